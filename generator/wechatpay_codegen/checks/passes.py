"""Remembered passes: content fingerprints of documents and schemas that passed the slow JSON
Schema checks, kept for this run and in the persistent cache (:mod:`.._cache`).
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Any

from .._cache import Cache, digest, frame
from .common import installed_version


def fingerprint_of(value: Any) -> str | None:
    """SHA-256 of a loaded YAML value: types, order and text (``1``, ``1.0``, ``True`` differ).

    None for a value too deep to walk (it is simply checked again).

    The digest is ``digest(parts)`` of the parts ``{``, ``}``, ``[``, ``]`` and
    ``<module>.<type>:<repr>`` per scalar, in document order; the parts are framed with
    ``frame``, as ``digest`` frames them, and hashed in one go (it runs for every document every
    run).
    """
    chunks: list[bytes] = []
    append = chunks.append
    prefixes: dict[type, str] = {}

    def walk(node: Any) -> None:
        kind = type(node)
        if kind is dict:
            append(_OPEN_MAP)
            for key, item in node.items():
                walk(key)
                walk(item)
            append(_CLOSE_MAP)
        elif kind is list:
            append(_OPEN_LIST)
            for item in node:
                walk(item)
            append(_CLOSE_LIST)
        else:
            prefix = prefixes.get(kind)
            if prefix is None:
                prefix = prefixes[kind] = f"{kind.__module__}.{kind.__qualname__}:"
            append(frame(f"{prefix}{node!r}"))

    try:
        walk(value)
    except RecursionError:
        return None
    return hashlib.sha256(b"".join(chunks)).hexdigest()


_OPEN_MAP, _CLOSE_MAP, _OPEN_LIST, _CLOSE_LIST = map(frame, "{}[]")


_PASSES_VERSION = "validate-passes-1"
_PASS_LIBRARIES = (
    "jsonschema",
    "jsonschema-specifications",
    "referencing",
    "openapi-schema-validator",
    "openapi-spec-validator",
)


@functools.cache
def _library_versions() -> str:
    """The validating libraries' versions, and the text of the checks (this package), of the
    protocol facts (the format checkers) and of the model reading the places they check."""
    here = Path(__file__).parent
    sources = [
        *sorted(here.glob("*.py")),
        *(here.parent / name for name in ("protocol.py", "spec_model.py", "spec_places.py")),
    ]
    found: list[str] = [
        f"{path.name}={hashlib.sha256(path.read_bytes()).hexdigest()}" for path in sources
    ]
    for name in _PASS_LIBRARIES:
        found.append(f"{name}={installed_version(name)}")
    return ";".join(found)


class Passes:
    """Content fingerprints that passed a check: this run's, and the persistent cache's.

    Only passes are remembered: a check that finds problems runs every time, so its messages are
    always freshly computed. A pass is keyed by the check, the versions of the validating
    libraries and the checked value's fingerprint; the check's outcome depends on nothing else.
    """

    def __init__(self, cache: Cache | None) -> None:
        self._cache = cache
        self._seen: set[tuple[str, str]] = set()

    def _key(self, check: str, fingerprint: str) -> str:
        return digest([_PASSES_VERSION, _library_versions(), check, fingerprint])

    def known(self, check: str, fingerprint: str | None) -> bool:
        if fingerprint is None:
            return False
        if (check, fingerprint) in self._seen:
            return True
        if self._cache is not None and self._cache.get("validate", self._key(check, fingerprint)):
            self._seen.add((check, fingerprint))
            return True
        return False

    def add(self, check: str, fingerprint: str | None) -> None:
        if fingerprint is None or (check, fingerprint) in self._seen:
            return
        self._seen.add((check, fingerprint))
        if self._cache is not None:
            self._cache.put("validate", self._key(check, fingerprint), b"ok")
