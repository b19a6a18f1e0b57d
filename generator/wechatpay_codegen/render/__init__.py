"""IR -> the files of the generated distribution (in memory; :mod:`..writer` puts them on disk).

Jinja2 renders ``templates/package/**`` (``StrictUndefined``, no autoescape, trailing newlines
kept), then every ``.py`` file goes through black's Python API with one fixed mode.
``templates/runtime/*.py`` are copied verbatim into ``<package>/_runtime/``.

This module assembles the package: the Jinja environment with its filters, the list of files,
rendering each. The parts it assembles live beside it, one job each:

- :mod:`.escaping`: the one escaping path every printed value takes (``py``, ``docstring``,
  ``md``, ``toml`` ... filters and the ``finalize`` hook that refuses anything unescaped);
- :mod:`.expressions`: Python expressions from the IR's types (annotations, parsers, checks);
- :mod:`.docstrings`: what the generated models and methods say about themselves;
- :mod:`.examples`: the README's example calls;
- :mod:`.context`: the template context (import and export lists);
- :mod:`.formatting`: black's style and the call that formats rendered Python.

Spec text is passed to templates as data, so Jinja syntax inside it is never evaluated.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import ir
from .._cache import Cache
from ..naming import is_identifier
from .context import PackageInfo, sort_all, sort_names, template_context
from .docstrings import enum_doc, field_doc, member_doc, method_doc, model_doc, prepare_doc
from .escaping import (
    LINE_LENGTH,
    Block,
    Code,
    RenderError,
    code_block,
    docstring,
    finalize,
    identifiers,
    md_code,
    md_text,
    py_literal,
    toml_string,
)
from .examples import example_call
from .expressions import (
    annotation,
    argument_annotation,
    checker,
    field_reader,
    field_set,
    field_tuple,
    parser,
    path_value,
    prepare_returns,
    to_wire,
)
from .formatting import STYLE, format_python, split_filter

if TYPE_CHECKING:
    import jinja2

__all__ = [
    "LINE_LENGTH",
    "STYLE",
    "Block",
    "Code",
    "PackageInfo",
    "RenderError",
    "code_block",
    "docstring",
    "md_code",
    "md_text",
    "precompile_environment",
    "py_literal",
    "python_sources",
    "render_file",
    "render_package",
    "runtime_files",
    "sort_all",
    "sort_names",
    "templates_dir",
]

_PACKAGE_TEMPLATES = "package"
_RUNTIME_TEMPLATES = "runtime"


def __getattr__(name: str) -> Any:
    # BLACK_MODE is built on first use: importing black costs a tenth of a second, and a run
    # whose every chunk is in the cache never needs it.
    if name == "BLACK_MODE":
        return STYLE.mode()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def templates_dir() -> Path:
    """``wechatpay_codegen/templates`` in an installed wheel, else ``<repo>/templates``."""
    here = Path(__file__).resolve().parent.parent
    bundled = here / "templates"
    if bundled.is_dir():
        return bundled
    return here.parent.parent / "templates"


def _bytecode_cache(cache: Cache | None) -> jinja2.BytecodeCache | None:
    """Jinja's own cache of compiled templates (checked against each template's source), kept in
    the generator's cache folder; compiling the templates takes a fifth of a second per run."""
    import jinja2

    folder = cache.folder("jinja") if cache is not None else None
    if folder is None:
        return None

    class QuietBytecodeCache(jinja2.FileSystemBytecodeCache):
        def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            try:
                super().dump_bytecode(bucket)
            except OSError:
                pass  # an unwritable cache is not a failure

    return QuietBytecodeCache(str(folder))


def _environment(root: Path, cache: Cache | None = None) -> jinja2.Environment:
    import jinja2

    from .precompiled import PrecompiledLoader

    # Autoescaping is for HTML; here every printed value goes through ``finalize`` instead.
    env = jinja2.Environment(
        loader=PrecompiledLoader(str(root / _PACKAGE_TEMPLATES)),
        bytecode_cache=_bytecode_cache(cache),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=finalize,
    )
    env.filters.update(
        py=py_literal,
        docstring=docstring,
        md=md_text,
        md_code=md_code,
        code_block=code_block,
        toml=toml_string,
        names=identifiers,
        annotation=annotation,
        argument_annotation=argument_annotation,
        parser=parser,
        field_reader=field_reader,
        to_wire=to_wire,
        path_value=path_value,
        field_set=field_set,
        field_tuple=field_tuple,
        model_doc=model_doc,
        field_doc=field_doc,
        enum_doc=enum_doc,
        member_doc=member_doc,
        prepare_doc=prepare_doc,
        example_call=example_call,
        split=split_filter,
    )
    return env


# (template path relative to templates/package, output path; "{package}" is replaced)
_FILES: tuple[tuple[str, str], ...] = (
    ("README.md.j2", "README.md"),
    ("pyproject.toml.j2", "pyproject.toml"),
    ("package/__init__.py.j2", "{package}/__init__.py"),
    ("package/_client.py.j2", "{package}/_client.py"),
    ("package/_operations.py.j2", "{package}/_operations.py"),
    ("package/_validators.py.j2", "{package}/_validators.py"),
    ("package/_version.py.j2", "{package}/_version.py"),
    ("package/enums.py.j2", "{package}/enums.py"),
    ("package/models.py.j2", "{package}/models.py"),
    ("package/py.typed.j2", "{package}/py.typed"),
)


def _render_text(env: jinja2.Environment, template: str, context: Mapping[str, Any]) -> str:
    import jinja2

    try:
        return env.get_template(template).render(**context)
    except jinja2.TemplateError as exc:
        raise RenderError(f"template {template}: {exc}") from exc


def render_file(
    env: jinja2.Environment,
    template: str,
    output: str,
    context: Mapping[str, Any],
    cache: Cache | None = None,
) -> bytes:
    """One file: render the template, black-format Python."""
    text = _render_text(env, template, context)
    if output.endswith(".py"):
        text = format_python({output: text}, cache)[output]
    return text.encode("utf-8")


def runtime_files(root: Path) -> dict[str, bytes]:
    """``templates/runtime/*.py`` by file name, bytes as they are."""
    folder = root / _RUNTIME_TEMPLATES
    if not folder.is_dir():
        raise RenderError(f"runtime templates folder {folder} is missing")
    return {path.name: path.read_bytes() for path in sorted(folder.glob("*.py"))}


def _package_environment(
    api: ir.API, info: PackageInfo, root: Path, cache: Cache | None
) -> tuple[jinja2.Environment, dict[str, Any]]:
    """The environment with the IR-bound filters, and the template context."""
    if not is_identifier(info.package):
        raise RenderError(f"package name {info.package!r} is not a Python identifier")
    env = _environment(root, cache)
    _bind_api(env, api, cache)
    return env, template_context(api, info)


def _bind_api(env: jinja2.Environment, api: ir.API, cache: Cache | None) -> None:
    """The filters that need the whole API (or the cache) at hand."""
    validators = {m.name: m.validator for m in api.models if m.in_request}
    env.filters["check"] = lambda t: checker(t, validators)
    env.filters["method_doc"] = lambda op: method_doc(op, api)
    env.filters["example_call"] = lambda op: example_call(op, cache=cache)
    env.filters["prepare_returns"] = prepare_returns
    env.filters["py_set"] = lambda values: Code("{" + ", ".join(map(str, values)) + "}")


def precompile_environment(root: Path) -> tuple[jinja2.Environment, Path]:
    """The rendering environment with every filter, and the package templates' folder: what
    :mod:`.precompiled` compiles the shipped templates with."""
    env = _environment(root)
    _bind_api(env, ir.API((), (), ()), None)
    return env, root / _PACKAGE_TEMPLATES


def python_sources(api: ir.API, info: PackageInfo, *, root: Path | None = None) -> dict[str, str]:
    """The Python modules as the templates render them, before black (for tests of formatting)."""
    env, context = _package_environment(api, info, root or templates_dir(), None)
    return {
        output.replace("{package}", info.package): _render_text(env, template, context)
        for template, output in _FILES
        if output.endswith(".py")
    }


def render_package(
    api: ir.API,
    info: PackageInfo,
    manifest: Mapping[str, Any],
    *,
    root: Path | None = None,
    cache: Cache | None = None,
) -> dict[str, bytes]:
    """Every file of the distribution: relative POSIX path -> bytes (sorted by path).

    ``cache``: where black's output of earlier runs is kept (None: format everything now).
    """
    root = root if root is not None else templates_dir()
    env, context = _package_environment(api, info, root, cache)
    files: dict[str, bytes] = {}
    for template, output in _FILES:
        path = output.replace("{package}", info.package)
        files[path] = render_file(env, template, path, context, cache)
    for name, content in runtime_files(root).items():
        files[f"{info.package}/_runtime/{name}"] = content
    files[".codegen-manifest.json"] = (
        json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    ).encode("utf-8")
    return dict(sorted(files.items()))
