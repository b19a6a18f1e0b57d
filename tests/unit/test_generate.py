"""``wechatpay-codegen generate``: writing, ``--check``, atomicity, determinism, bad input."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from wechatpay_codegen import cli, writer
from wechatpay_codegen.generate import run_generate
from wechatpay_codegen.writer import MANIFEST, WriteError, read_tree, write_tree

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "tests" / "golden" / "specs"
PACKAGE = "golden_client"


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    """A private copy of the fixture specs (tests edit it)."""
    copy = tmp_path / "specs"
    shutil.copytree(SPECS, copy)
    return copy


@pytest.fixture
def out(tmp_path: Path, specs: Path) -> Path:
    """A freshly generated output folder."""
    target = tmp_path / "out"
    assert run_generate(specs, target, PACKAGE, check=False) == 0
    return target


def _siblings(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.parent.iterdir())


def test_generate_writes_the_package(out: Path) -> None:
    files = read_tree(out)
    assert {
        "README.md",
        "pyproject.toml",
        MANIFEST,
        f"{PACKAGE}/__init__.py",
        f"{PACKAGE}/models.py",
        f"{PACKAGE}/py.typed",
        f"{PACKAGE}/_runtime/client.py",
    } <= set(files)
    assert b'name = "golden-client"' in files["pyproject.toml"]
    assert _siblings(out) == ["out", "specs"]  # no temporary folders left behind


def test_manifest_records_spec_hashes(out: Path, specs: Path) -> None:
    import hashlib
    import json

    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["generator"] == "wechatpay-codegen"
    assert manifest["package"] == PACKAGE
    assert manifest["specs"] == {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(specs.glob("*.yaml"))
    }
    assert list(manifest) == sorted(manifest)


def test_check_passes_when_fresh(
    out: Path, specs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = read_tree(out)
    assert run_generate(specs, out, PACKAGE, check=True) == 0
    assert "up to date" in capsys.readouterr().out
    assert read_tree(out) == before


def test_check_fails_on_a_stale_file_and_shows_a_diff(
    out: Path, specs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    models = out / PACKAGE / "models.py"
    models.write_text(models.read_text(encoding="utf-8").replace("A gadget", "A widget"))
    assert run_generate(specs, out, PACKAGE, check=True) == 1
    err = capsys.readouterr().err
    assert f"differs: {out.as_posix()}/{PACKAGE}/models.py" in err
    assert '-    """A widget"""' in err and '+    """A gadget"""' in err
    assert "is stale" in err


def test_check_fails_when_the_specs_changed(
    out: Path, specs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = specs / "submit_gadget.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("Submit a gadget", "Send a gadget"))
    assert run_generate(specs, out, PACKAGE, check=True) == 1
    err = capsys.readouterr().err
    assert f"differs: {out.as_posix()}/{PACKAGE}/_client.py" in err
    assert f"differs: {out.as_posix()}/{MANIFEST}" in err


def test_check_lists_missing_and_extra_files(
    out: Path, specs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (out / PACKAGE / "enums.py").unlink()
    (out / PACKAGE / "stray.py").write_text("x = 1\n")
    (out / PACKAGE / "__pycache__").mkdir()
    (out / PACKAGE / "__pycache__" / "models.cpython-311.pyc").write_bytes(b"\0")
    assert run_generate(specs, out, PACKAGE, check=True) == 1
    err = capsys.readouterr().err
    assert f"missing: {out.as_posix()}/{PACKAGE}/enums.py" in err
    assert f"extra: {out.as_posix()}/{PACKAGE}/stray.py" in err
    assert "__pycache__" not in err  # caches are not part of the output


def test_check_of_a_missing_folder_fails(
    tmp_path: Path, specs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_generate(specs, tmp_path / "nowhere", PACKAGE, check=True) == 1
    assert f"missing: {(tmp_path / 'nowhere').as_posix()}/README.md" in capsys.readouterr().err
    assert not (tmp_path / "nowhere").exists()


def test_regenerating_replaces_stale_and_extra_files(out: Path, specs: Path) -> None:
    fresh = read_tree(out)
    (out / PACKAGE / "stray.py").write_text("x = 1\n")
    (out / "README.md").write_text("edited by hand\n")
    assert run_generate(specs, out, PACKAGE, check=False) == 0
    assert read_tree(out) == fresh
    assert _siblings(out) == ["out", "specs"]


def test_a_failure_halfway_leaves_the_previous_output_untouched(
    out: Path, specs: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (out / "README.md").write_text("previous output\n")  # make "previous" distinguishable
    before = read_tree(out)
    spec = specs / "submit_gadget.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("Submit a gadget", "Send a gadget"))

    real_write = writer._write_file
    written: list[str] = []

    # Only changed files are written (the others are linked): the edit changes more than two.
    def fail_on_the_third(root: Path, relative: str, content: bytes) -> None:
        if len(written) == 2:
            raise OSError(28, "No space left on device")
        written.append(relative)
        real_write(root, relative, content)

    monkeypatch.setattr(writer, "_write_file", fail_on_the_third)
    assert run_generate(specs, out, PACKAGE, check=False) == 1
    assert "No space left on device" in capsys.readouterr().err
    assert len(written) == 2
    assert read_tree(out) == before
    assert _siblings(out) == ["out", "specs"]


def test_a_render_failure_writes_nothing(
    out: Path, specs: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from wechatpay_codegen import render

    before = read_tree(out)
    real_render = render.render_file
    calls: list[str] = []

    def fail_on_the_third(*args: object) -> bytes:
        calls.append(str(args[2]))
        if len(calls) == 3:
            raise render.RenderError("simulated template failure")
        return real_render(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(render, "render_file", fail_on_the_third)
    assert run_generate(specs, out, PACKAGE, check=False) == 1
    assert "simulated template failure" in capsys.readouterr().err
    assert read_tree(out) == before
    assert _siblings(out) == ["out", "specs"]


def test_refuses_to_replace_a_folder_it_did_not_generate(tmp_path: Path, specs: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me\n")
    assert run_generate(specs, precious, PACKAGE, check=False) == 1
    assert (precious / "notes.txt").read_text() == "keep me\n"
    assert sorted(p.name for p in precious.iterdir()) == ["notes.txt"]
    with pytest.raises(WriteError, match="refusing"):
        write_tree({"a.txt": b"a"}, precious)


@pytest.mark.parametrize("bad", ["/abs.py", "../escape.py", "a/../../b.py", "a//b.py", "a\\b.py"])
def test_writer_refuses_paths_outside_the_folder(tmp_path: Path, bad: str) -> None:
    with pytest.raises(WriteError, match="not a plain relative path"):
        write_tree({bad: b"x", MANIFEST: b"{}"}, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_output_is_deterministic_across_processes(tmp_path: Path, specs: Path) -> None:
    """Two runs in fresh interpreters (different hash seeds) write byte-identical trees."""
    trees = []
    for seed in ("1", "2"):
        target = tmp_path / f"run{seed}" / "out"  # the same name: the README shows it
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "wechatpay_codegen",
                "generate",
                "--specs",
                str(specs),
                "--out",
                str(target),
                "--package-name",
                PACKAGE,
            ],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        assert result.returncode == 0, result.stderr
        trees.append(read_tree(target))
    assert trees[0] == trees[1]


def test_bad_specs_are_reported_with_locations_and_nothing_is_written(
    out: Path, specs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = read_tree(out)
    spec = specs / "update_gadget.yaml"
    text = spec.read_text(encoding="utf-8")
    spec.write_text(text.replace("x-ray:\n          type: boolean", "x_ray:\n          type: 1"))
    assert run_generate(specs, out, PACKAGE, check=False) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"{spec}:" in err or "update_gadget.yaml:" in err
    first = err.splitlines()[0]
    file_part, line, col = first.split(":")[:3]
    assert file_part.endswith("update_gadget.yaml") and line.isdigit() and col.isdigit()
    assert read_tree(out) == before


def test_naming_collisions_stop_generation(
    out: Path, specs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = read_tree(out)
    spec = specs / "update_gadget.yaml"
    text = spec.read_text(encoding="utf-8")
    # A second property that also becomes the Python name x_ray.
    spec.write_text(
        text.replace(
            "        x-ray:\n", "        x_ray:\n          type: string\n        x-ray:\n", 1
        )
    )
    assert run_generate(specs, out, PACKAGE, check=False) == 1
    err = capsys.readouterr().err
    assert "'x-ray'" in err and "'x_ray'" in err and "update_gadget.yaml:" in err
    assert read_tree(out) == before


def test_invalid_package_name_is_an_error_not_a_traceback(
    tmp_path: Path, specs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["generate", "--specs", str(specs), "--out", str(tmp_path / "o"),
                     "--package-name", "not-an-identifier"]) == 1  # fmt: skip
    err = capsys.readouterr().err
    assert "not-an-identifier" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_missing_specs_folder_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_generate(tmp_path / "no-specs", tmp_path / "o", PACKAGE, check=False) == 1
    assert "no-specs" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
