"""``wechatpay-codegen generate``: specs -> the client distribution (or ``--check`` it).

load -> validate -> build the IR -> render -> write atomically. Any problem in the specs is
printed as ``file:line:col: message`` and nothing is written (exit 1); so is a failure to write.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import __version__
from ._cache import open_default
from ._report import ASK_WITH_SPECS, internal_error
from .build_ir import build_ir
from .config import DEFAULT_VERSION
from .loader import SpecLoadError, SpecSet, load_specs
from .render import PackageInfo, RenderError, render_package
from .validate import merge_problems, validate_specs
from .writer import WriteError, diff_tree, write_tree

__all__ = ["DISTRIBUTION_VERSION", "generate_files", "manifest", "run_generate"]

#: Version of the generated distribution, unless the configuration sets one.
DISTRIBUTION_VERSION = DEFAULT_VERSION


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


def install_path(out: Path) -> str:
    """How the README tells users to install the output folder: ``./<its name>``, shell-quoted."""
    name = Path(os.path.abspath(out)).name
    if not name or not name.isprintable():
        return "path/to/this/folder"
    return shlex.quote(f"./{name}")


def generate_files(
    specs: Path,
    package_name: str,
    *,
    use_cache: bool = True,
    distribution: str | None = None,
    version: str = DISTRIBUTION_VERSION,
    out: Path = Path("generated"),
) -> dict[str, bytes]:
    """Every output file, in memory. Raises SpecLoadError (with every problem) or RenderError.

    ``distribution`` defaults to ``package_name`` with hyphens (checked names come from
    :mod:`.config`). ``out``: where the files will go (its name is in the README).

    ``use_cache``: reuse black's output of earlier runs for unchanged code, and remember what
    this run formats (see :mod:`._cache`); the files are the same either way.
    """
    cache = open_default(use_cache)
    spec_set = load_specs([specs])
    problems = validate_specs(spec_set, cache=cache)
    try:
        api = build_ir(spec_set)
    except SpecLoadError as exc:
        raise SpecLoadError(merge_problems(spec_set, problems, exc)) from None
    except Exception:
        if problems:  # the generator met specs validate refused: validate's problems stand
            raise SpecLoadError(problems) from None
        raise
    if problems:
        raise SpecLoadError(problems)
    info = PackageInfo(
        package=package_name,
        distribution=distribution or _distribution(package_name),
        version=version,
        install_path=install_path(out),
    )
    return render_package(api, info, manifest(spec_set, specs, package_name), cache=cache)


def _print_all(lines: Sequence[object]) -> None:
    for line in lines:
        print(line, file=sys.stderr)


def run_generate(
    specs: Path,
    out: Path,
    package_name: str,
    check: bool,
    use_cache: bool = True,
    *,
    distribution: str | None = None,
    version: str = DISTRIBUTION_VERSION,
) -> int:
    """The CLI command; returns the exit code and never raises for bad input."""
    try:
        files = generate_files(
            specs,
            package_name,
            use_cache=use_cache,
            distribution=distribution,
            version=version,
            out=out,
        )
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
        summary = write_tree(files, out)
    except WriteError as exc:
        print(f"wechatpay-codegen: {exc}", file=sys.stderr)
        return 1
    print(f"generated {out}: {summary}")
    return 0
