"""Quiet, honest regeneration: untouched unchanged files, the change summary, every command's
--help, bad arguments without tracebacks, and where the formatting cache lives (or does not)."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from wechatpay_codegen import cli
from wechatpay_codegen._cache import ENV_VAR, OFF_VAR, default_cache_dir, open_default
from wechatpay_codegen.generate import run_generate
from wechatpay_codegen.writer import MANIFEST, read_tree, write_tree

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "tests" / "golden" / "specs"
PACKAGE = "golden_client"
CODEGEN = Path(sys.executable).parent / "wechatpay-codegen"


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    copy = tmp_path / "specs"
    shutil.copytree(SPECS, copy)
    return copy


def _stats(root: Path) -> dict[str, tuple[int, int]]:
    """(inode, mtime in ns) of every output file."""
    return {
        relative: ((root / relative).stat().st_ino, (root / relative).stat().st_mtime_ns)
        for relative in read_tree(root)
    }


def _generate(specs: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert run_generate(specs, out, PACKAGE, check=False) == 0
    return capsys.readouterr().out.strip()


def test_a_second_generate_touches_nothing(
    tmp_path: Path, specs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    first = _generate(specs, out, capsys)
    count = len(read_tree(out))
    assert first == f"generated {out}: 0 changed, {count} added, 0 unchanged"
    before, folder = _stats(out), out.stat().st_ino
    os.utime(out / "pyproject.toml", ns=(1_000_000_000, 1_000_000_000))  # an old, known mtime
    before["pyproject.toml"] = (before["pyproject.toml"][0], 1_000_000_000)
    second = _generate(specs, out, capsys)
    assert second == f"generated {out}: 0 changed, {count} unchanged"
    assert _stats(out) == before
    assert out.stat().st_ino == folder  # not even swapped


def test_an_edit_rewrites_only_the_files_it_changes(
    tmp_path: Path, specs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    _generate(specs, out, capsys)
    before_files, before_stats = read_tree(out), _stats(out)
    cache = out / PACKAGE / "__pycache__"
    cache.mkdir()
    (cache / "models.cpython-311.pyc").write_bytes(b"\0")
    spec = specs / "submit_gadget.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("Submit a gadget", "Send a gadget"))

    report = _generate(specs, out, capsys)

    after_files, after_stats = read_tree(out), _stats(out)
    changed = sorted(p for p in after_files if after_files[p] != before_files[p])
    unchanged = sorted(p for p in after_files if after_files[p] == before_files[p])
    assert MANIFEST in changed and f"{PACKAGE}/_client.py" in changed
    assert f"{PACKAGE}/models.py" in unchanged and "pyproject.toml" in unchanged
    assert report == f"generated {out}: {len(changed)} changed, {len(unchanged)} unchanged"
    for path in unchanged:
        assert after_stats[path] == before_stats[path], path
    for path in changed:
        assert after_stats[path][0] != before_stats[path][0], path
    # Caches and build products in the output folder survive a regeneration.
    assert (cache / "models.cpython-311.pyc").read_bytes() == b"\0"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "specs"]


def test_the_summary_counts_added_and_removed_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree({MANIFEST: b"{}", "a.txt": b"a", "b.txt": b"b", "c.txt": b"c"}, out)
    summary = write_tree({MANIFEST: b"{}", "a.txt": b"A", "b.txt": b"b", "d.txt": b"d"}, out)
    assert (summary.added, summary.changed, summary.removed) == (("d.txt",), ("a.txt",), ("c.txt",))
    assert str(summary) == "1 changed, 1 added, 1 removed, 2 unchanged"
    assert read_tree(out) == {MANIFEST: b"{}", "a.txt": b"A", "b.txt": b"b", "d.txt": b"d"}


def test_a_replaced_symlink_is_written_as_a_plain_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree({MANIFEST: b"{}", "a.txt": b"a", "b.txt": b"b"}, out)
    (tmp_path / "elsewhere").write_bytes(b"a")
    (out / "a.txt").unlink()
    (out / "a.txt").symlink_to(tmp_path / "elsewhere")
    write_tree({MANIFEST: b"{}", "a.txt": b"a", "b.txt": b"B"}, out)
    assert not (out / "a.txt").is_symlink() and (out / "a.txt").read_bytes() == b"a"


# -- the command line ---------------------------------------------------------------------------


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = cli._parser()
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(actions[0].choices)


def test_every_subcommand_help_shows_defaults_and_an_example() -> None:
    commands = _subcommands()
    assert {"validate", "generate", "sandbox"} <= set(commands)
    for name, parser in commands.items():
        text = " ".join(parser.format_help().split())
        assert f"examples: wechatpay-codegen {name}" in text, name
        for action in parser._actions:
            if action.dest == "help" or (action.option_strings and action.nargs == 0):
                continue  # --help, and switches (off unless given)
            if isinstance(action, argparse._SubParsersAction):
                continue  # sub-sub-commands (sandbox notify) have a --help of their own
            assert action.help, (name, action.dest)
            if "(default:" in action.help:
                continue  # says it in its own words
            # Otherwise the formatter appends "(default: <value>)": it must be a real value.
            assert action.default not in (None, argparse.SUPPRESS), (name, action.dest)
            assert f"(default: {action.default})" in text, (name, action.dest)


def _all_parsers() -> dict[str, argparse.ArgumentParser]:
    """Every command's parser, sub-sub-commands (``sandbox notify``) included."""
    found: dict[str, argparse.ArgumentParser] = {}
    todo = list(_subcommands().items())
    while todo:
        name, parser = todo.pop()
        found[name] = parser
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                todo += [(f"{name} {sub}", p) for sub, p in action.choices.items()]
    return found


def test_no_help_says_default_none_or_gives_a_default_twice() -> None:
    parsers = _all_parsers()
    assert "sandbox notify" in parsers
    for name, parser in parsers.items():
        for action in parser._actions:
            # the text the formatter prints for this one option, joined across its line breaks
            formatter = parser._get_formatter()
            formatter.add_argument(action)
            text = " ".join(formatter.format_help().split())
            assert "(default: None)" not in text, (name, action.dest, text)
            assert text.count("(default:") <= 1, (name, action.dest, text)


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["sandbox", "--port", "99999"], "99999"),
        (["sandbox", "--port", "-1"], "-1"),
        (["sandbox", "--port", "http"], "'http'"),
        (["generate", "--package", "not-an-identifier"], "--package: 'not-an-identifier'"),
        (["generate", "--package", "class"], "--package: 'class'"),
        (["generate", "--distribution", "acme pay"], "--distribution: 'acme pay'"),
        (["generate", "--package-version", "one"], "--package-version: 'one'"),
        (["generate", "--out", "/dev/null"], "/dev/null"),
        (["generate", "--specs", "no-such-folder"], "no-such-folder"),
        (["validate", "no-such-file.yaml"], "no-such-file.yaml"),
        (["frobnicate"], "'frobnicate'"),
        ([], "command"),
    ],
)
def test_bad_arguments_give_a_clear_error_not_a_traceback(
    tmp_path: Path, args: list[str], named: str
) -> None:
    shutil.copytree(SPECS, tmp_path / "specs")
    result = subprocess.run(
        [str(CODEGEN), *args], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode in (1, 2), result
    assert "Traceback" not in result.stderr, result.stderr
    assert named in result.stderr, result.stderr
    assert not (tmp_path / "generated").exists()


def test_the_port_error_names_the_range(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["sandbox", "--port", "99999"])
    assert exit_.value.code == 2
    assert "99999 is not a port number (0 to 65535)" in capsys.readouterr().err


# -- the cache's location -----------------------------------------------------------------------


def test_the_cache_follows_xdg_cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.delenv(OFF_VAR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "wechatpay-codegen"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/xdg")  # the spec says: ignore relative paths
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "wechatpay-codegen"
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "explicit"))
    assert default_cache_dir() == tmp_path / "explicit"


@pytest.mark.parametrize(("value", "off"), [("1", True), ("yes", True), ("0", False), ("", False)])
def test_the_environment_switches_the_cache_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, specs: Path, value: str, off: bool
) -> None:
    cache_dir = tmp_path / "cache"
    monkeypatch.setenv(ENV_VAR, str(cache_dir))
    monkeypatch.setenv(OFF_VAR, value)
    assert (open_default() is None) is off
    assert run_generate(specs, tmp_path / "out", PACKAGE, check=False) == 0
    assert cache_dir.exists() is not off
