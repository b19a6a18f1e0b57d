"""Every name a generated annotation uses is imported or defined in its module.

The import lists come from the type kinds' names (``render/expressions.py``: ``KINDS``), so an
argument typed ``X | Mapping[str, Any]`` brings ``Mapping`` and ``Any`` wherever it is written. The
case that once slipped through: an upload whose signed part has a free-form object field (its
argument is ``Mapping[str, Any]`` in ``_operations.py``, which then lacked ``Any``).
"""

from __future__ import annotations

import ast
import builtins
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from wechatpay_codegen.build_ir import build_ir
from wechatpay_codegen.loader import load_specs
from wechatpay_codegen.render import PackageInfo, python_sources
from wechatpay_codegen.validate import validate_specs

ROOT = Path(__file__).resolve().parents[2]
SHAPES = ROOT / "tests" / "fixtures" / "shapes"


def _annotation_names(tree: ast.Module) -> set[str]:
    """Names read by the annotations of ``tree`` (arguments, returns, annotated assignments)."""
    found: set[str] = set()
    annotations: list[ast.expr | None] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            every = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
            every += [a for a in (node.args.vararg, node.args.kwarg) if a is not None]
            annotations += [a.annotation for a in every]
            annotations.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            annotations.append(node.annotation)
    for annotation in annotations:
        if annotation is not None:
            found |= {n.id for n in ast.walk(annotation) if isinstance(n, ast.Name)}
    return found


def _module_names(tree: ast.Module) -> set[str]:
    """Names bound at module level: imports, classes, functions, assignments."""
    bound: set[str] = set(dir(builtins))
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            bound.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            bound |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return bound


def _unbound(folder: Path) -> list[str]:
    specs = load_specs([folder])
    assert validate_specs(specs) == []
    sources = python_sources(build_ir(specs), PackageInfo("pkg", "pkg", "1.0"))
    assert sources
    missing: list[str] = []
    for name, text in sorted(sources.items()):
        tree = ast.parse(text)
        missing += [f"{name}: {n}" for n in sorted(_annotation_names(tree) - _module_names(tree))]
    return missing


def _upload_with_object_field(tmp_path: Path) -> Path:
    folder = tmp_path / "specs"
    folder.mkdir()
    shutil.copy(SHAPES / "common.yaml", folder)
    document: dict[str, Any] = yaml.safe_load((SHAPES / "upload_image.yaml").read_text("utf-8"))
    meta = document["components"]["schemas"]["UploadMeta"]
    assert "tags" not in meta["properties"]
    meta["properties"]["tags"] = {"type": "object", "description": "free-form tags"}
    (folder / "upload_image.yaml").write_text(
        yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8"
    )
    return folder


def test_an_upload_with_a_free_form_object_field_imports_what_its_arguments_use(
    tmp_path: Path,
) -> None:
    folder = _upload_with_object_field(tmp_path)
    sources = python_sources(build_ir(load_specs([folder])), PackageInfo("pkg", "pkg", "1.0"))
    assert "tags: Mapping[str, Any]" in sources["pkg/_operations.py"]  # the case is the one meant
    assert _unbound(folder) == []


@pytest.mark.parametrize(
    "folder", [ROOT / "specs", SHAPES, ROOT / "tests" / "fixtures" / "mini-specs"], ids=str
)
def test_every_annotation_name_is_imported(folder: Path) -> None:
    assert _unbound(folder) == []


def test_the_check_sees_a_missing_import() -> None:
    tree = ast.parse("from typing import Any\n\ndef f(x: Mapping[str, Any]) -> None: ...\n")
    assert _annotation_names(tree) - _module_names(tree) == {"Mapping"}
