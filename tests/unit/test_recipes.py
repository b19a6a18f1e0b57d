"""CONTRIBUTING's recipes stay true to the code: every path they name exists, and every code name
in a step is written in one of the files that step names.

The recipes were followed on scratch changes when they were written; this keeps them from going
stale when a file or a name they point at moves.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONTRIBUTING = ROOT / "CONTRIBUTING.md"

_SPAN = re.compile(r"`([^`]+)`")
_STEP = re.compile(r"^(\d+)\. ")
# a code name: an identifier (maybe dotted) with an underscore or a capital letter; plain words
# (`validate`, `schema`, `main`) are prose as often as code and are not checked
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


def _section() -> str:
    text = CONTRIBUTING.read_text(encoding="utf-8")
    start = text.index("\n## Recipes\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def _recipes() -> dict[str, list[str]]:
    """Recipe title -> its steps (each step's text, continuation lines joined)."""
    recipes: dict[str, list[str]] = {}
    steps: list[str] | None = None
    for line in _section().splitlines():
        if line.startswith("### "):
            steps = recipes.setdefault(line[4:].strip(), [])
        elif steps is not None and _STEP.match(line):
            steps.append(line)
        elif steps is not None and steps and line.startswith("   ") and line.strip():
            steps[-1] += " " + line.strip()
    return recipes


# a file at the top of the repository, named without a folder
_TOP_FILE = re.compile(r"[\w.-]+\.(?:md|py|toml|yaml)")


def _is_path(span: str) -> bool:
    if " " in span or any(c in span for c in "<>*="):
        return False
    return "/" in span or bool(_TOP_FILE.fullmatch(span))


def _is_name(span: str) -> bool:
    return (
        bool(_NAME.fullmatch(span))
        and ("_" in span or any(c.isupper() for c in span))
        and not _is_path(span)
    )


# The recipes written in the checked form (a path per step, names in the files it names); others
# use shorter paths and example names.
_CHECKED = ("parameter location", "auth scheme", "type kind", "output file")
RECIPES = {
    title: steps
    for title, steps in _recipes().items()
    if any(wanted in title for wanted in _CHECKED)
}


def test_the_recipes_are_there() -> None:
    titles = " | ".join(RECIPES)
    for wanted in ("parameter location", "auth scheme", "output file", "type kind"):
        assert any(wanted in title for title in RECIPES), f"no recipe for {wanted}: {titles}"
    assert all(len(steps) >= 2 for steps in RECIPES.values()), RECIPES


def test_every_path_a_recipe_names_exists() -> None:
    missing = [
        f"{title}: {span}"
        for title, steps in RECIPES.items()
        for step in steps
        for span in _SPAN.findall(step)
        if _is_path(span) and not (ROOT / span).exists()
    ]
    assert not missing, "CONTRIBUTING recipes name paths that do not exist:\n" + "\n".join(missing)


@pytest.mark.parametrize("title", sorted(RECIPES))
def test_every_name_a_step_mentions_is_in_a_file_it_names(title: str) -> None:
    wrong: list[str] = []
    for step in RECIPES[title]:
        spans = _SPAN.findall(step)
        files = [ROOT / s for s in spans if _is_path(s) and (ROOT / s).is_file()]
        texts = [f.read_text(encoding="utf-8") for f in files]
        for name in (s for s in spans if _is_name(s)):
            if not any(name in text for text in texts):
                named = ", ".join(str(f.relative_to(ROOT)) for f in files) or "no file"
                wrong.append(f"step {step.split('.')[0]}: {name!r} is not in {named}")
    assert not wrong, f"recipe {title!r}:\n" + "\n".join(wrong)


def test_the_checks_catch_a_wrong_recipe() -> None:
    """The rules above are not vacuous: a made-up path and name are both flagged."""
    assert _is_path("generator/wechatpay_codegen/no_such_module.py")
    assert not (ROOT / "generator/wechatpay_codegen/no_such_module.py").exists()
    assert _is_name("_NO_SUCH_TABLE")
    assert "_NO_SUCH_TABLE" not in (ROOT / "generator/wechatpay_codegen/ir.py").read_text()
    assert not _is_name("validate") and not _is_path("make test")
