"""``wechatpay-codegen generate`` on the broken spec sets: refused, output untouched, bounded.

The companion of ``test_bad_specs.py`` (which snapshots ``validate``): for every case under
``tests/fixtures/bad-specs/``, plus a 10 MB file and nesting 200 deep, ``generate`` must exit 1
with the same ``file:line:col`` problems ``validate`` reports and a one-line summary, print no
traceback, leave a previously generated output folder byte-for-byte as it was (no staging folders
left beside it either), and finish in bounded time and memory (the child's peak RSS, measured by
the kernel). The cases whose property names the generator escapes instead of refusing must
generate, with the escaped names.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CASES_DIR = REPO / "tests" / "fixtures" / "bad-specs"
CASES = sorted(p.name for p in CASES_DIR.iterdir() if p.is_dir())
ACCEPTED = {"property-python-builtin", "property-python-keyword"}
PROBLEM_LINE = re.compile(r"^[^:]+:\d+:\d+: \S.*$")
SUMMARY = re.compile(r"^not generated: (\d+) problem\(s\) in the specs$")
MAX_SECONDS = 30.0
MAX_RSS_MB = 400


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_rss_mb: float


_MEASURED_CLI = """
import atexit, os, runpy, sys
def _peak():
    with open("/proc/self/status") as status:
        kb = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(os.environ["PEAK_RSS_OUT"], "w") as out:
        out.write(kb)
atexit.register(_peak)
sys.argv[0] = "wechatpay-codegen"
runpy.run_module("wechatpay_codegen", run_name="__main__", alter_sys=True)
"""


def _peak_kb(recorded: Path, fallback_kb: int) -> int:
    """The child's own high-water mark, or wait4's figure where /proc gave none (killed)."""
    try:
        return int(recorded.read_text())
    except (OSError, ValueError):
        return fallback_kb


def run_generate(specs: Path, out: Path, cwd: Path = REPO) -> Run:
    """The CLI in a child process and its own peak RSS.

    The peak is the child's ``VmHWM`` read at exit: ``wait4``'s ``ru_maxrss`` also counts the
    pages the child shared with this (large) pytest process between fork and exec.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO / "generator"), env.get("PYTHONPATH", "")) if p
    )
    command = [sys.executable, "-c", _MEASURED_CLI, "generate"]
    with (
        tempfile.TemporaryFile() as stdout,
        tempfile.TemporaryFile() as stderr,
        tempfile.TemporaryDirectory() as scratch,
    ):
        env["PEAK_RSS_OUT"] = str(Path(scratch) / "peak")
        started = time.perf_counter()
        child = subprocess.Popen(
            [*command, "--specs", str(specs), "--out", str(out)],
            cwd=cwd,
            env=env,
            stdout=stdout,
            stderr=stderr,
        )
        killer = threading.Timer(120, child.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(child.pid, 0)
        finally:
            killer.cancel()
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        stdout.seek(0)
        stderr.seek(0)
        return Run(
            child.returncode,
            stdout.read().decode("utf-8"),
            stderr.read().decode("utf-8"),
            seconds,
            _peak_kb(Path(env["PEAK_RSS_OUT"]), usage.ru_maxrss) / 1024,
        )


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def previous_output(tmp_path: Path) -> Path:
    """A real generated package (a copy of generated/) that a failed run must leave alone."""
    out = tmp_path / "parent" / "out"
    shutil.copytree(REPO / "generated", out, ignore=shutil.ignore_patterns("__pycache__"))
    return out


def check_refused(result: Run, out: Path, before: dict[str, bytes]) -> list[str]:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == ""
    *problems, summary = result.stderr.splitlines()
    match = SUMMARY.match(summary)
    assert match is not None, summary
    assert int(match.group(1)) == len(problems) >= 1
    for line in problems:
        assert PROBLEM_LINE.match(line), line
    assert tree(out) == before  # byte for byte
    assert sorted(p.name for p in out.parent.iterdir()) == ["out"]  # no staging folder left
    assert result.seconds < MAX_SECONDS
    assert result.peak_rss_mb < MAX_RSS_MB
    return problems


@pytest.mark.parametrize("case", sorted(set(CASES) - ACCEPTED))
def test_generate_refuses_bad_specs_and_leaves_the_output_alone(
    case: str, previous_output: Path
) -> None:
    before = tree(previous_output)
    folder = (CASES_DIR / case).relative_to(REPO)
    problems = check_refused(run_generate(folder, previous_output), previous_output, before)
    # the same problems validate reports (its exact output is the case's snapshot)
    expected = (CASES_DIR / case / "expected.txt").read_text(encoding="utf-8").splitlines()
    assert problems == expected


@pytest.mark.parametrize(
    ("case", "escaped"),
    [("property-python-keyword", "class_"), ("property-python-builtin", "type_")],
)
def test_keyword_and_builtin_property_names_are_escaped(
    case: str, escaped: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = run_generate((CASES_DIR / case).relative_to(REPO), out)
    assert result.returncode == 0, result.stderr
    models = (out / "wechatpay_marketing" / "models.py").read_text(encoding="utf-8")
    assert re.search(rf"^    {escaped}: ", models, flags=re.M), models
    assert result.peak_rss_mb < MAX_RSS_MB


def test_generate_refuses_a_10_mb_spec(tmp_path: Path, previous_output: Path) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    filler = "".join(f"  x-pad-{i}: {'y' * 90}\n" for i in range(10 * 1024 * 1024 // 100))
    (specs / "huge.yaml").write_text("openapi: 3.1.0\ninfo:\n" + filler, encoding="utf-8")
    before = tree(previous_output)
    result = run_generate(specs, previous_output)
    [problem] = check_refused(result, previous_output, before)
    assert "over the 5 MB limit" in problem
    assert result.seconds < 10


def test_generate_refuses_nesting_200_deep(tmp_path: Path, previous_output: Path) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    nested = "".join("  " * i + f"level{i}:\n" for i in range(200)) + "  " * 200 + "end: 1\n"
    (specs / "deep.yaml").write_text(
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\nx-deep:\n"
        + "".join("  " + line + "\n" for line in nested.splitlines()),
        encoding="utf-8",
    )
    before = tree(previous_output)
    [problem] = check_refused(run_generate(specs, previous_output), previous_output, before)
    assert "nesting deeper than 64 levels" in problem
