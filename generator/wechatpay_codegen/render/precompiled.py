"""Templates compiled ahead of time, so that a first run does not spend its time parsing them.

Compiling the package templates (Jinja's lexer, parser and code generator) was a quarter of a
cold ``generate``: a first run on a fresh machine, with an empty cache. ``_precompiled/`` ships
Jinja's Python for each template of ``templates/package``, one module per template, and an index
(``_precompiled/__init__.py``) of the template text each was made from (SHA-256) and the Jinja
version that made it. The package installs like any other Python code (pip compiles it to
bytecode), and the loader below uses a module only when both still hold: the template being
rendered is the exact text it was compiled from, and the installed Jinja made it. Anything else
(an edited template, another Jinja, templates from another ``root``) is compiled from
source as before, so the output never depends on whether a module was used.

Refresh after editing a template: ``python -m wechatpay_codegen.render.precompiled`` (``make
golden`` runs it); ``tests/unit/test_precompiled.py`` fails while a module is out of date.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from collections.abc import Callable, Mapping, MutableMapping
from pathlib import Path
from types import CodeType
from typing import Any

import jinja2

from . import _precompiled

__all__ = ["PrecompiledLoader", "compiled_code", "compiled_modules", "write_modules"]

_INDEX = "__init__.py"
_MODULE_PREFIX = "t_"


def _digest(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def compiled_code(name: str, source: str) -> CodeType | None:
    """The shipped compilation of template ``name`` if it was made from ``source`` by the
    installed Jinja, else None (the caller compiles from source)."""
    entry = _precompiled.TEMPLATES.get(name)
    if entry is None or _precompiled.JINJA_VERSION != jinja2.__version__:
        return None
    module, digest = entry
    if _digest(source) != digest:
        return None
    spec = importlib.util.find_spec(f"{_precompiled.__name__}.{module}")
    # The code object only (from the module's .pyc when there is one), never the module: each
    # environment executes it in a namespace of its own, as Jinja does with compiled source.
    get_code = getattr(spec.loader, "get_code", None) if spec is not None else None
    code = get_code(spec.name) if get_code is not None and spec is not None else None
    return code if isinstance(code, CodeType) else None


class PrecompiledLoader(jinja2.FileSystemLoader):
    """``FileSystemLoader`` that takes a template's shipped compilation when it is current."""

    def load(
        self,
        environment: jinja2.Environment,
        name: str,
        globals: MutableMapping[str, Any] | None = None,
    ) -> jinja2.Template:
        source, _filename, uptodate = self.get_source(environment, name)
        code = compiled_code(name, source)
        if code is None:
            return super().load(environment, name, globals)
        return environment.template_class.from_code(environment, code, globals or {}, uptodate)


def _module_name(template: str) -> str:
    stem = "".join(c if c.isalnum() else "_" for c in template.removesuffix(".j2"))
    return _MODULE_PREFIX + stem.lower()


def compiled_modules(
    environment: jinja2.Environment, folder: Path, index_format: Callable[[str], str]
) -> dict[str, str]:
    """File name in ``_precompiled/`` -> its text, for every template under ``folder``, compiled
    by ``environment`` (the one that renders, with every filter). ``index_format`` formats the
    index module (black)."""
    files: dict[str, str] = {}
    entries: dict[str, tuple[str, str]] = {}
    for template in sorted(environment.list_templates()):
        source = (folder / template).read_text(encoding="utf-8")
        module = _module_name(template)
        if f"{module}.py" in files:
            raise ValueError(f"templates {template!r} and another both map to module {module!r}")
        files[f"{module}.py"] = environment.compile(source, template, raw=True) + "\n"
        entries[template] = (module, _digest(source))
    files[_INDEX] = index_format(_index_text(entries, jinja2.__version__))
    return files


def _index_text(entries: Mapping[str, tuple[str, str]], version: str) -> str:
    rows = "".join(
        f"    {_string(t)}: ({_string(m)}, {_string(d)}),\n" for t, (m, d) in entries.items()
    )
    return (
        '"""Index of the templates compiled ahead of time (see ``..precompiled``).\n\n'
        "Written by ``python -m wechatpay_codegen.render.precompiled``; do not edit by hand.\n"
        '"""\n\n'
        f"JINJA_VERSION = {_string(version)}\n\n"
        "# template (relative to templates/package) -> (module here, SHA-256 of its source)\n"
        f"TEMPLATES: dict[str, tuple[str, str]] = {{\n{rows}}}\n"
    )


def _string(text: str) -> str:
    return json.dumps(text)  # black's quotes; template paths and hex digests need no escapes


def write_modules(target: Path, files: Mapping[str, str]) -> list[str]:
    """Make ``target`` hold exactly ``files`` (stale modules removed); returns what changed."""
    changed: list[str] = []
    for stale in sorted(target.glob("*.py")):
        if stale.name not in files:
            stale.unlink()
            changed.append(stale.name)
    for name, text in sorted(files.items()):
        path = target / name
        data = text.encode("utf-8")
        if not path.is_file() or path.read_bytes() != data:
            path.write_bytes(data)
            changed.append(name)
    return changed


def main() -> int:
    from . import precompile_environment, templates_dir
    from .formatting import format_python

    environment, folder = precompile_environment(templates_dir())
    files = compiled_modules(
        environment, folder, lambda text: format_python({_INDEX: text}, None)[_INDEX]
    )
    target = Path(_precompiled.__file__).parent
    changed = write_modules(target, files)
    print(f"{target}: {len(changed)} changed, {len(files) - len(changed)} unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
