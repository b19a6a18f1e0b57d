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
"""

from __future__ import annotations

import os
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


@dataclass
class Run:
    seconds: float
    peak_kib: int
    ok: bool
    note: str = ""


def _measure(args: list[str], cwd: Path, timeout: float) -> Run:
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
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


def _ours(specs: Path, out: Path, timeout: float) -> Run:
    shutil.rmtree(out, ignore_errors=True)
    codegen = str(Path(sys.executable).parent / "wechatpay-codegen")
    return _measure(
        [codegen, "generate", "--specs", str(specs), "--out", str(out)], out.parent, timeout
    )


def _theirs(bundle: Path, out: Path, timeout: float) -> Run:
    shutil.rmtree(out, ignore_errors=True)
    tool = str(Path(sys.executable).parent / "openapi-python-client")
    args = [tool, "generate", "--path", str(bundle), "--output-path", str(out), "--overwrite"]
    return _measure(args, out.parent, timeout)


def _describe(run: Run) -> str:
    if not run.ok:
        if run.note.startswith("stopped"):
            return f"> {run.seconds:.0f} s ({run.note}), peak so far {run.peak_kib / 1024:,.0f} MiB"
        return f"FAILED {run.note}" if run.note else "failed"
    return f"{run.seconds:.2f} s, peak {run.peak_kib / 1024:,.0f} MiB"


def run(
    specs: Path, *, sizes: tuple[int, ...], repeats: dict[int, int], timeout: float, floor: float
) -> list[Row]:
    rows: list[Row] = []
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
        growth: list[tuple[int, float]] = []
        for label, folder, bundle, copies in inputs:
            ours: list[Run] = []
            theirs: list[Run] = []
            for _ in range(repeats.get(copies, 1)):
                theirs.append(_theirs(bundle, root / "out-theirs", timeout))
                budget = min(timeout, max(floor, 3 * theirs[-1].seconds))
                ours.append(_ours(folder, root / "out-ours", budget))
            ours_best = _typical(ours)
            theirs_best = _typical(theirs)
            rows.append(Row(SECTION, f"wechatpay-codegen, {label}", _describe(ours_best)))
            rows.append(Row(SECTION, f"openapi-python-client, {label}", _describe(theirs_best)))
            if copies == 0:
                rows.append(
                    ratio_row(
                        SECTION, "specs/ wall time", ours_best.seconds, at_most=0.5, unit=" s"
                    )
                )
            elif ours_best.ok:  # growth only from complete runs
                growth.append((copies, ours_best.seconds))
            if not ours_best.ok and ours_best.note.startswith("stopped") and theirs_best.ok:
                bound = theirs_best.seconds / ours_best.seconds
                rows.append(
                    Row(
                        SECTION,
                        f"speed vs openapi-python-client, {label}",
                        "",
                        f"< {bound:.2f}x",
                        ">= 3x",
                        False,
                    )
                )
            if ours_best.ok and theirs_best.ok:
                rows.append(
                    ratio_row(
                        SECTION,
                        f"speed vs openapi-python-client, {label}",
                        theirs_best.seconds / ours_best.seconds,
                        at_least=3.0,
                    )
                )
                rows.append(
                    ratio_row(
                        SECTION,
                        f"peak memory vs openapi-python-client, {label}",
                        ours_best.peak_kib / theirs_best.peak_kib,
                        at_most=1.0,
                    )
                )
        if len(growth) >= 2:
            (small, t_small), (large, t_large) = growth[0], growth[-1]
            # Linear: time per copy at the largest size within 1.5x of that at the smallest.
            per_copy = (t_large / large) / (t_small / small)
            rows.append(
                ratio_row(
                    SECTION,
                    f"growth: time per copy at {large} vs {small} copies",
                    per_copy,
                    at_most=1.5,
                )
            )
    return rows


def _typical(runs: list[Run]) -> Run:
    good = [r for r in runs if r.ok]
    if not good:
        return runs[0]
    mid = median([r.seconds for r in good])
    return min(good, key=lambda r: abs(r.seconds - mid))
