"""Golden test: the fixture specs in ``specs/`` render byte for byte to ``expected/``.

The fixture covers nested objects, arrays (of models, of enums, nested), enums whose values are not
identifiers, date-times, a 204 brand operation, an inline request and response schema, keyword /
builtin / hyphenated / camelCase / leading-digit / leading-underscore wire names, an argument that
clashes with the per-call ``timeout``, an operation named like a client method (``close``), and
hostile text (triple quotes, backslashes, NUL, a bidi mark, Jinja syntax, Markdown and HTML).

``_runtime/`` is a verbatim copy of ``templates/runtime`` and is checked against it instead of
being stored here. To accept a deliberate change of the output:

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/golden
"""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from wechatpay_codegen.config import Settings, settings
from wechatpay_codegen.generate import generate_files
from wechatpay_codegen.render import templates_dir
from wechatpay_codegen.writer import read_tree, write_tree

HERE = Path(__file__).resolve().parent
SPECS = HERE / "specs"
EXPECTED = HERE / "expected"
PACKAGE = "golden_client"
RUNTIME = f"{PACKAGE}/_runtime/"
VENV_BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def configured(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The settings of ``codegen-config.toml`` read as a project's pyproject.toml."""
    project = tmp_path_factory.mktemp("project")
    shutil.copyfile(HERE / "codegen-config.toml", project / "pyproject.toml")
    shutil.copytree(SPECS, project / "specs")
    chosen = settings(project, {})
    assert (chosen.package, chosen.distribution, chosen.version) == (
        PACKAGE,
        "golden-pay-client",
        "9.8.7",
    )
    return chosen


@pytest.fixture(scope="module")
def rendered(configured: Settings) -> dict[str, bytes]:
    return generate_files(
        configured.specs,
        configured.package,
        distribution=configured.distribution,
        version=configured.version,
    )


def _without_runtime(files: dict[str, bytes]) -> dict[str, bytes]:
    return {path: data for path, data in files.items() if not path.startswith(RUNTIME)}


def test_output_matches_expected_tree(rendered: dict[str, bytes]) -> None:
    produced = _without_runtime(rendered)
    if os.environ.get("UPDATE_GOLDEN") == "1":
        write_tree(produced, EXPECTED)
    expected = read_tree(EXPECTED)
    assert sorted(produced) == sorted(expected), "file list differs from tests/golden/expected"
    for path, data in produced.items():
        if data != expected[path]:
            diff = "\n".join(
                difflib.unified_diff(
                    expected[path].decode().splitlines(),
                    data.decode().splitlines(),
                    f"expected/{path}",
                    f"rendered/{path}",
                    lineterm="",
                )
            )
            pytest.fail(f"{path} differs (UPDATE_GOLDEN=1 to accept):\n{diff}")


def test_runtime_is_copied_verbatim(rendered: dict[str, bytes]) -> None:
    runtime = {p[len(RUNTIME) :]: d for p, d in rendered.items() if p.startswith(RUNTIME)}
    originals = {p.name: p.read_bytes() for p in (templates_dir() / "runtime").glob("*.py")}
    assert runtime == originals
    assert {"serde.py", "validation.py", "client.py", "errors.py"} <= set(runtime)


def test_rendering_twice_is_byte_identical(
    rendered: dict[str, bytes], configured: Settings
) -> None:
    again = generate_files(
        configured.specs,
        configured.package,
        distribution=configured.distribution,
        version=configured.version,
    )
    assert again == rendered


def test_the_configured_names_are_used_everywhere(rendered: dict[str, bytes]) -> None:
    assert all(p.startswith(f"{PACKAGE}/") or "/" not in p for p in rendered)
    assert f"{PACKAGE}/py.typed" in rendered
    for path, data in rendered.items():
        text = data.decode("utf-8")
        assert "wechatpay_marketing" not in text and "wechatpay-marketing" not in text, path
    assert b'name = "golden-pay-client"\nversion = "9.8.7"' in rendered["pyproject.toml"]
    assert rendered["README.md"].startswith(b"# golden-pay-client\n")
    assert b"from golden_client import WeChatPayClient" in rendered["README.md"]
    assert b'__version__ = "9.8.7"' in rendered[f"{PACKAGE}/_version.py"]


def test_hostile_text_stays_inert(rendered: dict[str, bytes]) -> None:
    client = rendered[f"{PACKAGE}/_client.py"].decode()
    # Jinja syntax from the spec is printed, not evaluated.
    assert "{{ 7*7 }}" in client and "{% raw %}" in client and "{{ secret }}" in client
    # Triple quotes, NUL and the bidi mark are escaped in the source.
    assert '\\"\\"\\"' in client
    assert "\x00" not in client and "\u202e" not in client
    assert "\\x00" in client and "\\u202e" in client
    readme = rendered["README.md"].decode()
    assert "<b>" not in readme and "\\<b\\>" in readme
    assert "\u202e" not in readme


@pytest.fixture(scope="module")
def installed(rendered: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The rendered distribution on disk (with its runtime), as a user would get it."""
    root = tmp_path_factory.mktemp("golden") / "out"
    write_tree(rendered, root)
    return root


def test_generated_code_passes_ruff_and_mypy_strict(installed: Path) -> None:
    ruff = subprocess.run(
        [str(VENV_BIN / "ruff"), "check", "--no-cache", PACKAGE],
        cwd=installed,
        capture_output=True,
        text=True,
    )
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    mypy = subprocess.run(
        [str(VENV_BIN / "mypy"), "--strict", "--no-incremental", PACKAGE],
        cwd=installed,
        capture_output=True,
        text=True,
    )
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr


def test_tricky_names_work_at_runtime(installed: Path) -> None:
    """Import the golden package in a fresh interpreter and use its escaped names."""
    script = r"""
import golden_client as g
from golden_client import _operations as ops

# Keyword / builtin / hyphen / leading digit / leading underscore wire names round-trip.
wire = {"out_request_no": "req_000001", "class": "c", "type": "3D", "x-ray": True,
        "3ds_info": {"enrolled": True}, "_private": "p", "planName": "w"}
model = g.UpdateGadgetRequest.from_dict(wire)
assert model.class_ == "c" and model.type_ is g.GadgetType.N3D and model.x_ray is True
assert model.n3ds_info is not None and model.n3ds_info.enrolled is True
assert model.private_ == "p" and model.planName == "w"
assert model.to_dict() == wire

# The argument clashing with the per-call timeout is timeout_, and goes out as "timeout".
path, body = ops.prepare_update_gadget(
    gadget_id="g-1", shelf_no=7, out_request_no="req_000001", timeout_=5,
    from_="2025-01-01T00:00:00+08:00", type_=g.GadgetType.MINI_PROGRAM,
)
assert path == {"gadget_id": "g-1", "shelf_no": "7"}, path
assert body == {"out_request_no": "req_000001", "from": "2025-01-01T00:00:00+08:00",
                "type": "mini-program", "timeout": 5}, body

# Business rules and constraints name the JSON path.
def message(**kwargs):
    base = dict(gadget_id="g-1", shelf_no=7, out_request_no="req_000001")
    try:
        ops.prepare_update_gadget(**{**base, **kwargs})
    except g.RequestValidationError as exc:
        return str(exc)
    return None
assert message(class_="c", private_="p") == "_private: cannot be set together with class"
assert message(from_="2025-01-01T00:00:00+08:00") == "timeout: is required when from is set"
assert message(parts=[{"name": "bolt", "colour": "red"}]) == (
    "parts[0].colour: is not a field of this object"
)
assert message(tags=["a", "a"]) == "tags[1]: repeats an earlier item; items must be unique"
assert message(tags=["abcdef"]) == "tags[0]: at most 5 characters"
assert message(dimensions={}) == "dimensions: set at least 1 field"
assert message(dimensions={"width": 100}) == "dimensions.width: must be < 100"
assert message(shelf_no=0) == "shelf_no: must be >= 1"
assert message(gadget_id="g/1") == "gadget_id: must match the pattern ^[A-Za-z0-9\\-_]+$"

# The client method named like the base class's close() is close_; close() still closes.
assert hasattr(g.WeChatPayClient, "close_") and hasattr(g.WeChatPayClient, "close")
print("ok")
"""
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=installed,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(installed)},
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stdout + result.stderr
