"""Small helpers the checks share: safe mapping access, short texts of values, JSON paths,
``$ref`` following that never raises, installed library versions, pre-crawled validators.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from collections.abc import Sequence
from typing import Any

from ..loader import Pointer, SpecDocument, SpecLoadError, SpecSet


@functools.cache
def installed_version(name: str) -> str:
    """The installed version of distribution ``name``, or ``?``.

    Read off the name of its ``<name>-<version>.dist-info`` folder on ``sys.path`` when there is
    exactly one (``importlib.metadata`` takes longer to import than a cold run spends on most
    checks); else, and for any other layout, from ``importlib.metadata``."""
    found = _dist_info_versions().get(_normalized(name))
    if found is not None and len(found) == 1:
        return found[0]
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


@functools.cache
def _dist_info_versions() -> dict[str, list[str]]:
    """Normalized distribution name -> the versions of its dist-info folders, in the first
    ``sys.path`` entry that has any for it (as ``importlib.metadata`` would look first there)."""
    found: dict[str, list[str]] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        here: dict[str, list[str]] = {}
        for folder in names:
            if folder.endswith(".dist-info"):
                distribution, _, version = folder[: -len(".dist-info")].partition("-")
                if version:
                    here.setdefault(_normalized(distribution), []).append(version)
        for key, versions in here.items():
            found.setdefault(key, versions)
    return found


def mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def short(value: Any, limit: int = 60) -> str:
    text = " ".join((value if isinstance(value, str) else repr(value)).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def json_path(path: Sequence[Any]) -> str:
    """``['a', 0, 'b c']`` → ``$.a[0]['b c']``."""
    out = "$"
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and part.isidentifier():
            out += f".{part}"
        else:
            out += f"[{part!r}]"
    return out


def deref(
    specs: SpecSet, doc: SpecDocument, pointer: Pointer, value: Any
) -> tuple[SpecDocument, Pointer, Any] | None:
    """``SpecSet.deref``, or None when the chain breaks (reported by the reference check)."""
    try:
        return specs.deref(doc, pointer, value)
    except SpecLoadError:
        return None


def crawled(validator: Any) -> Any:
    """``validator`` with its reference registry crawled once, up front.

    A jsonschema validator resolves references through a registry whose root resource (here the
    large OpenAPI 3.1 meta-schema) is not crawled yet, and each ``$dynamicRef`` lookup from it
    crawls the whole schema again: that was most of the validation time, growing faster than the
    number of files. The crawled registry holds the same resources, so the errors are the same.
    Any validator not shaped like jsonschema's (another backend) is returned as it is.
    """
    try:
        resolver = validator._resolver
        registry = resolver._registry.crawl()
        return validator.evolve(_resolver=registry.resolver(base_uri=resolver._base_uri))
    except AttributeError:
        return validator


def types(value: Any) -> str:
    names = value if isinstance(value, list) else [value]
    return " or ".join(str(n) for n in names)
