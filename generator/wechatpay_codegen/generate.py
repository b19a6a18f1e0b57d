"""``wechatpay-codegen generate``: specs -> the client distribution (or ``--check`` it).

load -> validate -> build the IR -> render -> write atomically. Any problem in the specs is
printed as ``file:line:col: message`` and nothing is written (exit 1); so is a failure to write.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import __version__
from ._cache import open_default
from ._report import ASK_WITH_SPECS, internal_error
from .build_ir import build_ir
from .loader import SpecLoadError, SpecSet, load_specs
from .render import PackageInfo, RenderError, render_package
from .validate import merge_problems, validate_specs
from .writer import WriteError, diff_tree, write_tree

__all__ = ["DISTRIBUTION_VERSION", "generate_files", "manifest", "run_generate"]

#: Version of the generated distribution.
DISTRIBUTION_VERSION = "0.1.0"


def manifest(specs: SpecSet, root: Path, package_name: str) -> dict[str, Any]:
    """What the output was generated from: each spec file's SHA-256, the generator version."""
    base = root.resolve() if root.is_dir() else root.resolve().parent
    hashes: dict[str, str] = {}
    for doc in specs.documents.values():
        try:
            name = doc.path.relative_to(base).as_posix()
        except ValueError:
            name = doc.path.name
        hashes[name] = hashlib.sha256(doc.path.read_bytes()).hexdigest()
    return {
        "generator": "wechatpay-codegen",
        "generator_version": __version__,
        "package": package_name,
        "specs": dict(sorted(hashes.items())),
    }


def _distribution(package_name: str) -> str:
    return package_name.replace("_", "-")


def generate_files(specs: Path, package_name: str, *, use_cache: bool = True) -> dict[str, bytes]:
    """Every output file, in memory. Raises SpecLoadError (with every problem) or RenderError.

    ``use_cache``: reuse black's output of earlier runs for unchanged code, and remember what
    this run formats (see :mod:`._cache`); the files are the same either way.
    """
    cache = open_default(use_cache)
    spec_set = load_specs([specs])
    problems = validate_specs(spec_set, cache=cache)
    try:
        api = build_ir(spec_set)
    except SpecLoadError as exc:
        raise SpecLoadError(merge_problems(problems, exc)) from None
    except Exception:
        if problems:  # the generator met specs validate refused: validate's problems stand
            raise SpecLoadError(problems) from None
        raise
    if problems:
        raise SpecLoadError(problems)
    info = PackageInfo(
        package=package_name,
        distribution=_distribution(package_name),
        version=DISTRIBUTION_VERSION,
    )
    return render_package(api, info, manifest(spec_set, specs, package_name), cache=cache)


def _print_all(lines: Sequence[object]) -> None:
    for line in lines:
        print(line, file=sys.stderr)


def run_generate(
    specs: Path, out: Path, package_name: str, check: bool, use_cache: bool = True
) -> int:
    """The CLI command; returns the exit code and never raises for bad input."""
    try:
        files = generate_files(specs, package_name, use_cache=use_cache)
    except SpecLoadError as exc:
        _print_all(exc.problems)
        print(f"not generated: {len(exc.problems)} problem(s) in the specs", file=sys.stderr)
        return 1
    except RenderError as exc:
        print(f"wechatpay-codegen: cannot render the package: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"wechatpay-codegen: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug of ours must not show the user a traceback
        print(internal_error("wechatpay-codegen", exc, ASK_WITH_SPECS), file=sys.stderr)
        return 2

    if check:
        report = diff_tree(files, out)
        if report:
            _print_all(report)
            print(
                f"{out} is stale: run `wechatpay-codegen generate --specs {specs} --out {out}`",
                file=sys.stderr,
            )
            return 1
        print(f"{out} is up to date ({len(files)} files)")
        return 0

    try:
        write_tree(files, out)
    except WriteError as exc:
        print(f"wechatpay-codegen: {exc}", file=sys.stderr)
        return 1
    print(f"generated {len(files)} files in {out}")
    return 0
