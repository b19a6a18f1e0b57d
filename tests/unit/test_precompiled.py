"""The templates compiled ahead of time (``render/precompiled.py``, ``render/_precompiled/``).

They are current (the shipped modules are what compiling today's templates gives), a render uses
them instead of compiling, the output is byte for byte what compiling from source gives, and a
module that no longer matches its template (an edited template, another Jinja) is never used.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import jinja2
import pytest
from wechatpay_codegen.generate import generate_files
from wechatpay_codegen.render import _precompiled, precompile_environment, templates_dir
from wechatpay_codegen.render import precompiled as precompiled_module
from wechatpay_codegen.render.formatting import format_python
from wechatpay_codegen.render.precompiled import compiled_modules, write_modules

SPECS = Path(__file__).resolve().parents[1] / "golden" / "specs"  # every template branch
SHIPPED = Path(_precompiled.__file__).parent
REFRESH = "run `python -m wechatpay_codegen.render.precompiled` (or `make golden`)"


def _fresh() -> dict[str, str]:
    environment, folder = precompile_environment(templates_dir())
    return compiled_modules(
        environment, folder, lambda text: format_python({"__init__.py": text}, None)["__init__.py"]
    )


def _render(root: Path | None = None) -> dict[str, bytes]:
    from wechatpay_codegen.build_ir import build_ir
    from wechatpay_codegen.loader import load_specs
    from wechatpay_codegen.render import PackageInfo, render_package

    spec_set = load_specs([SPECS])
    info = PackageInfo("golden_client", "golden-client", "1.0.0")
    return render_package(build_ir(spec_set), info, {}, root=root)


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The templates Jinja compiles from source during the test (by name)."""
    seen: list[str] = []
    original = jinja2.Environment.compile

    def compile_and_note(self: jinja2.Environment, source: str, name: Any = None, *a: Any) -> Any:
        seen.append(str(name))
        return original(self, source, name, *a)

    monkeypatch.setattr(jinja2.Environment, "compile", compile_and_note)
    return seen


def test_every_template_source_is_the_one_its_module_was_compiled_from() -> None:
    # Holds whatever Jinja is installed: a template edited without a refresh fails here.
    environment, folder = precompile_environment(templates_dir())
    names = sorted(environment.list_templates())
    assert sorted(_precompiled.TEMPLATES) == names, REFRESH
    for name in names:
        source = (folder / name).read_text(encoding="utf-8")
        module, _digest = _precompiled.TEMPLATES[name]
        assert precompiled_module._digest(source) == _digest, f"{name}: {REFRESH}"
        assert (SHIPPED / f"{module}.py").is_file(), f"{module}.py is missing: {REFRESH}"


def test_the_shipped_modules_are_what_compiling_gives(tmp_path: Path) -> None:
    fresh = _fresh()
    if _precompiled.JINJA_VERSION == jinja2.__version__:
        shipped = {p.name: p.read_text(encoding="utf-8") for p in SHIPPED.glob("*.py")}
        assert shipped == fresh, REFRESH
    else:  # another Jinja here: they are not used (next tests), and a refresh would say so
        assert f'JINJA_VERSION = "{jinja2.__version__}"' in fresh["__init__.py"]
    # The writer makes a folder hold exactly that, and rewrites nothing the second time.
    (tmp_path / "t_stale.py").write_text("old\n", encoding="utf-8")
    assert sorted(write_modules(tmp_path, fresh)) == sorted([*fresh, "t_stale.py"])
    assert write_modules(tmp_path, fresh) == []
    assert sorted(p.name for p in tmp_path.glob("*.py")) == sorted(fresh)


def test_a_render_compiles_no_template_and_gives_the_same_bytes(
    compiles: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = _render()
    if _precompiled.JINJA_VERSION == jinja2.__version__:
        assert compiles == []
    else:  # made by another Jinja (a newer release installed here): none of them may be used
        assert sorted(compiles) == sorted(_precompiled.TEMPLATES)
    compiles.clear()
    monkeypatch.setattr(precompiled_module, "compiled_code", lambda name, source: None)
    from_source = _render()
    assert len(compiles) == len(_precompiled.TEMPLATES)  # every template was compiled this time
    assert from_source == shipped


def test_an_edited_template_is_compiled_from_its_own_source(
    tmp_path: Path, compiles: list[str]
) -> None:
    root = tmp_path / "templates"
    shutil.copytree(templates_dir(), root)
    edited = root / "package" / "package" / "_version.py.j2"
    edited.write_text(edited.read_text(encoding="utf-8") + "EDITED = True\n", encoding="utf-8")
    files = _render(root)
    assert compiles == ["package/_version.py.j2"]  # the others still come precompiled
    assert b"EDITED = True" in files["golden_client/_version.py"]


def test_a_module_made_by_another_jinja_is_not_used(
    compiles: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_precompiled, "JINJA_VERSION", "0.0.0")
    _render()
    assert sorted(compiles) == sorted(_precompiled.TEMPLATES)


def test_generate_output_does_not_depend_on_the_shipped_modules(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with_them = generate_files(SPECS, "golden_client", use_cache=False)
    monkeypatch.setattr(precompiled_module, "compiled_code", lambda name, source: None)
    assert generate_files(SPECS, "golden_client", use_cache=False) == with_them
