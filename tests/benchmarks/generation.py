"""Section 4: generation time and peak memory, ours against openapi-python-client.

Inputs: ``specs/`` and synthetic folders of 10, 50 and 200 renamed copies of its four operations
(``synth.py``); openapi-python-client reads the same API bundled into one YAML document. Each run
is a fresh process (``wechatpay-codegen generate``, which loads, validates and renders;
``openapi-python-client generate``, which also runs its ruff post-hooks, with the venv on PATH);
wall time around the process, peak memory from ``/proc/<pid>/status`` (``VmHWM``, polled every
10 ms; ``wait4``'s ``ru_maxrss`` where there is no ``/proc``). The two tools alternate
at each size, openapi-python-client first. To keep the whole benchmark bounded, our run is stopped
after ``max(floor, 3 x openapi-python-client's time)`` and then reported as "stopped" with the
ratio as an upper bound (a run that slow misses the 3x target by far anyway).

Our generator keeps a formatting cache (``_cache.py``), so each input is measured three ways, each
with its own ``WECHATPAY_CODEGEN_CACHE`` directory: *cold* (an empty cache: a first run, as in CI
on a fresh machine), *warm* (the same specs again: the cache holds every module), and *one edit*
(one operation's summary changed after the warm run: the everyday regeneration after a doc
update). A cold run that was stopped is followed by an unmeasured run that fills the cache, so the
warm and edited runs always start from a complete cache.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import synth
from .stats import Row, median, ratio_row

SECTION = "4 generation"
CACHE_VAR = "WECHATPAY_CODEGEN_CACHE"
MODES = ("cold", "warm", "one edit")
FILL_TIMEOUT = 900.0


@dataclass
class Run:
    seconds: float
    peak_kib: int
    ok: bool
    note: str = ""


def _measure(args: list[str], cwd: Path, timeout: float, extra_env: dict[str, str]) -> Run:
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""), **extra_env}
    with tempfile.TemporaryFile() as errors:  # a file, not a pipe: a chatty tool never blocks
        start = time.perf_counter()
        proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        deadline = start + timeout
        peak = 0
        while True:
            peak = max(peak, _high_water_kib(proc.pid))
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                _, status, usage = os.wait4(proc.pid, 0)
                proc.returncode = -9
                seconds = time.perf_counter() - start
                return Run(seconds, peak or usage.ru_maxrss, False, f"stopped at {timeout:.0f} s")
            time.sleep(0.01)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        stderr = errors.read().decode(errors="replace")
    ok = proc.returncode == 0
    return Run(seconds, peak or usage.ru_maxrss, ok, "" if ok else stderr.strip()[-300:])


def _high_water_kib(pid: int) -> int:
    """Peak RSS of a running process (``VmHWM``), 0 if unknown.

    Not ``wait4``'s ``ru_maxrss``: on Linux that also counts the parent's memory copied at fork,
    which made every small run look as large as this benchmark process.
    """
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _ours(specs: Path, out: Path, timeout: float, cache: Path) -> Run:
    shutil.rmtree(out, ignore_errors=True)
    codegen = str(Path(sys.executable).parent / "wechatpay-codegen")
    return _measure(
        [codegen, "generate", "--specs", str(specs), "--out", str(out)],
        out.parent,
        timeout,
        {CACHE_VAR: str(cache)},
    )


def _edited_copy(folder: Path, into: Path) -> Path:
    """``folder`` with the summary of its first operation changed (one doc update)."""
    shutil.rmtree(into, ignore_errors=True)
    shutil.copytree(folder, into)
    first = min(p for p in into.glob("*.yaml") if p.name != synth.COMMON)
    text = first.read_text(encoding="utf-8")
    edited = re.sub(r"^(\s+summary: )", r"\g<1>(edited) ", text, count=1, flags=re.M)
    if edited == text:
        raise RuntimeError(f"{first} has no summary to edit")
    first.write_text(edited, encoding="utf-8")
    return into


def _theirs(bundle: Path, out: Path, timeout: float) -> Run:
    shutil.rmtree(out, ignore_errors=True)
    tool = str(Path(sys.executable).parent / "openapi-python-client")
    args = [tool, "generate", "--path", str(bundle), "--output-path", str(out), "--overwrite"]
    return _measure(args, out.parent, timeout, {})


def _describe(run: Run) -> str:
    if not run.ok:
        if run.note.startswith("stopped"):
            return f"> {run.seconds:.0f} s ({run.note}), peak so far {run.peak_kib / 1024:,.0f} MiB"
        return f"FAILED {run.note}" if run.note else "failed"
    return f"{run.seconds:.2f} s, peak {run.peak_kib / 1024:,.0f} MiB"


def _compile_ours() -> None:
    """Bytecode for every module of the generator, as ``pip install`` leaves an installed package
    (openapi-python-client's included). An editable install leaves it to the first import, and
    ``PYTHONDONTWRITEBYTECODE`` (set on some machines) stops that: every run would then compile
    the generator from source and measure the development setup, not what users run."""
    import compileall

    import wechatpay_codegen

    if not compileall.compile_dir(Path(wechatpay_codegen.__file__).parent, quiet=1):
        raise RuntimeError("compileall failed on the generator's modules")


def run(
    specs: Path, *, sizes: tuple[int, ...], repeats: dict[int, int], timeout: float, floor: float
) -> list[Row]:
    rows: list[Row] = []
    _compile_ours()
    with tempfile.TemporaryDirectory(prefix="wechatpay-bench-") as tmp:
        root = Path(tmp)
        inputs: list[tuple[str, Path, Path, int]] = []
        bundle0 = synth.write_bundle(specs, root / "bundle-specs.yaml")
        inputs.append(("specs/", specs, bundle0, 0))
        for copies in sizes:
            folder = root / f"specs-{copies}"
            synth.write_copies(specs, folder, copies)
            bundle = synth.write_bundle(folder, root / f"bundle-{copies}.yaml")
            inputs.append((f"{copies} copies ({4 * copies} operations)", folder, bundle, copies))
        growth: dict[str, list[tuple[int, float]]] = {mode: [] for mode in MODES}
        for label, folder, bundle, copies in inputs:
            ours: dict[str, list[Run]] = {mode: [] for mode in MODES}
            theirs: list[Run] = []
            for rep in range(repeats.get(copies, 1)):
                cache = root / f"cache-{copies}-{rep}"
                shutil.rmtree(cache, ignore_errors=True)
                theirs.append(_theirs(bundle, root / "out-theirs", timeout))
                budget = min(timeout, max(floor, 3 * theirs[-1].seconds))
                out = root / "out-ours"
                ours["cold"].append(_ours(folder, out, budget, cache))
                if not ours["cold"][-1].ok:  # fill the cache, unmeasured
                    _ours(folder, out, FILL_TIMEOUT, cache)
                ours["warm"].append(_ours(folder, out, budget, cache))
                edited = _edited_copy(folder, root / "specs-edited")
                ours["one edit"].append(_ours(edited, out, budget, cache))
            theirs_best = _typical(theirs)
            rows.append(Row(SECTION, f"openapi-python-client, {label}", _describe(theirs_best)))
            for mode in MODES:
                best = _typical(ours[mode])
                rows.append(Row(SECTION, f"wechatpay-codegen, {label}, {mode}", _describe(best)))
                if copies == 0 and best.ok:
                    rows.append(
                        ratio_row(
                            SECTION,
                            f"specs/ wall time, {mode}",
                            best.seconds,
                            at_most=0.5,
                            unit=" s",
                        )
                    )
                elif best.ok:  # growth only from complete runs
                    growth[mode].append((copies, best.seconds))
                rows += _versus(label, mode, best, theirs_best)
        for mode in MODES:
            if len(growth[mode]) >= 2:
                (small, t_small), (large, t_large) = growth[mode][0], growth[mode][-1]
                # Linear: time per copy at the largest size within 1.5x of that at the smallest.
                per_copy = (t_large / large) / (t_small / small)
                rows.append(
                    ratio_row(
                        SECTION,
                        f"growth, {mode}: time per copy at {large} vs {small} copies",
                        per_copy,
                        at_most=1.5,
                    )
                )
    return rows


def _versus(label: str, mode: str, ours: Run, theirs: Run) -> list[Row]:
    """Speed and memory against openapi-python-client at one size, for one cache state."""
    what = f"vs openapi-python-client, {label}, {mode}"
    if not theirs.ok:
        return []
    if not ours.ok:
        if not ours.note.startswith("stopped"):
            return []
        bound = theirs.seconds / ours.seconds
        return [Row(SECTION, f"speed {what}", "", f"< {bound:.2f}x", ">= 3x", False)]
    return [
        ratio_row(SECTION, f"speed {what}", theirs.seconds / ours.seconds, at_least=3.0),
        ratio_row(SECTION, f"peak memory {what}", ours.peak_kib / theirs.peak_kib, at_most=1.0),
    ]


def _typical(runs: list[Run]) -> Run:
    good = [r for r in runs if r.ok]
    if not good:
        return runs[0]
    mid = median([r.seconds for r in good])
    return min(good, key=lambda r: abs(r.seconds - mid))
