"""Synthetic spec folders for the generation benchmark: N renamed copies of the four operations.

``python -m tests.benchmarks.synth --copies 50 --out /tmp/specs50 [--bundle /tmp/b50.yaml]``

Copy ``k`` of ``specs/<op>.yaml`` becomes ``<op>_c<k>.yaml`` with the operationId ``<op>_c<k>``,
the path ``/<first segment>/c<k>/...`` and every schema of its ``components.schemas`` renamed
``<Name>C<k>`` (definitions and the local ``$ref``s to them); ``common.yaml`` and the callback
specs (``webhooks`` only) are shared, as in ``specs/``. The renaming is textual, so the copies
keep the hand-written layout (and the loader's work per file stays what it is for a real spec).

``--bundle`` also writes the same API as one self-contained document (every ``$ref`` local),
which is what single-file generators such as openapi-python-client read.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

SPECS = Path(__file__).resolve().parents[2] / "specs"
COMMON = "common.yaml"


def _has_paths(path: Path) -> bool:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return isinstance(data, dict) and "paths" in data


def _operation_files(specs: Path) -> list[Path]:
    """The files with an operation (callback specs, which have only ``webhooks``, are not)."""
    return sorted(p for p in specs.glob("*.yaml") if p.name != COMMON and _has_paths(p))


def _other_files(specs: Path) -> list[Path]:
    """Spec files copied once as they are (callbacks): neither common.yaml nor operations."""
    return sorted(p for p in specs.glob("*.yaml") if p.name != COMMON and not _has_paths(p))


def _schema_names(text: str) -> list[str]:
    data = yaml.safe_load(text)
    schemas = (data.get("components") or {}).get("schemas") or {}
    return sorted(schemas, key=len, reverse=True)


def rename_copy(text: str, copy: int) -> str:
    """The text of one operation file, renamed for copy number ``copy``."""
    tag = f"c{copy:03d}"
    suffix = f"C{copy:03d}"
    data = yaml.safe_load(text)
    [path] = data["paths"]
    first, _, rest = path.lstrip("/").partition("/")
    new_path = f"/{first}/{tag}/{rest}"
    out = re.sub(
        rf"^(  ){re.escape(path)}:", lambda m: f"{m.group(1)}{new_path}:", text, flags=re.M
    )
    out = re.sub(r"^(\s+operationId:\s*)(\w+)", rf"\g<1>\g<2>_{tag}", out, flags=re.M)
    for name in _schema_names(text):
        out = re.sub(
            rf"(['\"]#/components/schemas/){re.escape(name)}(['\"])", rf"\g<1>{name}{suffix}\2", out
        )
        out = re.sub(rf"^(    ){re.escape(name)}:", rf"\g<1>{name}{suffix}:", out, flags=re.M)
    return out


def write_copies(specs: Path, out: Path, copies: int) -> list[Path]:
    """Write ``copies`` renamed copies of every operation file, plus ``common.yaml``."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    shutil.copyfile(specs / COMMON, out / COMMON)
    for other in _other_files(specs):
        shutil.copyfile(other, out / other.name)
    written = []
    for source in _operation_files(specs):
        text = source.read_text(encoding="utf-8")
        for copy in range(1, copies + 1):
            target = out / f"{source.stem}_c{copy:03d}.yaml"
            target.write_text(rename_copy(text, copy), encoding="utf-8")
            written.append(target)
    return written


def _local_refs(node: Any) -> Any:
    """``common.yaml#/x`` -> ``#/x`` everywhere in ``node``."""
    if isinstance(node, dict):
        return {
            key: (
                value.replace(COMMON + "#", "#", 1)
                if key == "$ref" and isinstance(value, str)
                else _local_refs(value)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_local_refs(item) for item in node]
    return node


def bundle(specs: Path) -> dict[str, Any]:
    """One OpenAPI document holding every operation and component of a spec folder."""
    common = _local_refs(yaml.safe_load((specs / COMMON).read_text(encoding="utf-8")))
    components: dict[str, dict[str, Any]] = {}
    for kind, entries in (common.get("components") or {}).items():
        components[kind] = dict(entries)
    paths: dict[str, Any] = {}
    info: dict[str, Any] = {"title": "WeChat Pay marketing (bundled)", "version": "1.0.0"}
    servers: list[Any] = []
    for source in _operation_files(specs):
        data = _local_refs(yaml.safe_load(source.read_text(encoding="utf-8")))
        paths.update(data["paths"])
        servers = servers or data.get("servers", [])
        for kind, entries in (data.get("components") or {}).items():
            merged = components.setdefault(kind, {})
            for name, value in entries.items():
                # A local alias of a common component ({$ref: '#/...'} to itself) adds nothing.
                if value == {"$ref": f"#/components/{kind}/{name}"}:
                    continue
                merged.setdefault(name, value)
    return {
        "openapi": "3.1.0",
        "info": info,
        "servers": servers,
        "paths": paths,
        "components": components,
    }


def write_bundle(specs: Path, target: Path) -> Path:
    target.write_text(
        yaml.safe_dump(bundle(specs), allow_unicode=True, sort_keys=False, width=100),
        encoding="utf-8",
    )
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.synth", description=__doc__)
    parser.add_argument("--copies", type=int, required=True, help="copies of each operation")
    parser.add_argument("--out", type=Path, required=True, help="folder to (re)create")
    parser.add_argument("--bundle", type=Path, help="also write the API as one YAML document")
    parser.add_argument("--specs", type=Path, default=SPECS, help="source spec folder")
    args = parser.parse_args(argv)
    if args.copies < 1:
        parser.error("--copies must be at least 1")
    files = write_copies(args.specs, args.out, args.copies)
    print(f"wrote {len(files)} operation files and {COMMON} to {args.out}")
    if args.bundle:
        write_bundle(args.out, args.bundle)
        print(f"wrote the bundled document {args.bundle}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
