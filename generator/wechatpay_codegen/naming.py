"""Every Python name the generator emits is decided here.

The rules, in one place:

- Attributes and keyword arguments keep the spec's wire name when it is already a plain ASCII
  identifier (``plan_id`` stays ``plan_id``, ``planName`` stays ``planName``). Otherwise characters
  other than ``[A-Za-z0-9_]`` become ``_`` (``x-ray`` -> ``x_ray``), leading underscores are dropped
  (a ``__dunder__`` or ``_private`` attribute would be mangled or look private) and a leading digit
  gets an ``n`` prefix (``3ds`` -> ``n3ds``).
- Method names are snake_case (``modifyBudget`` -> ``modify_budget``); class names are PascalCase
  (``stock_bundle`` -> ``StockBundle``, an existing ``StockBundleEntity`` is kept); enum members and
  module constants are UPPER_SNAKE (``mini-program`` -> ``MINI_PROGRAM``); a leading digit gets an
  ``N`` prefix (``3D`` -> ``N3D``).
- Python keywords, builtins, and names the generated code itself uses in the same scope are
  suffixed with ``_`` (``class`` -> ``class_``, ``type`` -> ``type_``, ``timeout`` -> ``timeout_``).
- Non-ASCII names are refused: Python would NFKC-normalise them, so two distinct spec names could
  silently become one identifier.

The functions raise :class:`NamingError` when no name can be derived; two spec names that end up as
the same Python name are caught by :class:`Namespace`, which remembers who claimed each name.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from typing import Generic, TypeVar

__all__ = [
    "BUILTINS",
    "NameCollision",
    "Namespace",
    "NamingError",
    "attribute_name",
    "class_name",
    "constant_name",
    "escape",
    "is_identifier",
    "method_name",
    "snake_case",
]

# A fixed list, not ``dir(builtins)``: the output must not depend on the generator's Python.
BUILTINS: frozenset[str] = frozenset("""
    abs aiter all anext any ascii bin bool breakpoint bytearray bytes callable chr classmethod
    compile complex copyright credits delattr dict dir divmod enumerate eval exec exit filter
    float format frozenset getattr globals hasattr hash help hex id input int isinstance
    issubclass iter len license list locals map max memoryview min next object oct open ord pow
    print property quit range repr reversed round set setattr slice sorted staticmethod str sum
    super tuple type vars zip Ellipsis NotImplemented
    """.split())

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_NOT_WORD = re.compile(r"[^A-Za-z0-9]+")
# Word boundaries inside a run of letters/digits: "planName" | "HTTPCode" | "v3Api".
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z0-9])(?=[A-Z][a-z])")


class NamingError(ValueError):
    """No usable Python name can be derived from a spec name."""


def is_identifier(name: str) -> bool:
    """A plain ASCII identifier that is not a keyword."""
    return bool(_IDENTIFIER.match(name)) and not keyword.iskeyword(name)


def _words(name: str) -> list[str]:
    if not name.isascii():
        raise NamingError(f"{name!r} contains non-ASCII characters; use an ASCII name")
    words = [w for part in _NOT_WORD.split(name) for w in _CAMEL_BOUNDARY.split(part) if w]
    if not words:
        raise NamingError(f"cannot derive a Python name from {name!r}: it has no letters or digits")
    return words


def escape(name: str, reserved: frozenset[str] = frozenset()) -> str:
    """Suffix ``_`` to keywords, builtins and ``reserved`` names."""
    if keyword.iskeyword(name) or name in BUILTINS or name in reserved:
        return name + "_"
    return name


def snake_case(name: str) -> str:
    """``modifyBudget`` / ``Modify-Budget`` / ``modify_budget`` -> ``modify_budget`` (unescaped)."""
    result = "_".join(w.lower() for w in _words(name))
    return "n" + result if result[0].isdigit() else result


def method_name(name: str, reserved: frozenset[str] = frozenset()) -> str:
    """A method or function name: snake_case, escaped."""
    return escape(snake_case(name), reserved)


def attribute_name(wire_name: str, reserved: frozenset[str] = frozenset()) -> str:
    """An attribute or keyword argument named after a wire name (kept verbatim when possible)."""
    if not wire_name.isascii():
        raise NamingError(f"{wire_name!r} contains non-ASCII characters; use an ASCII name")
    stripped = wire_name.lstrip("_")
    name = re.sub(r"[^A-Za-z0-9_]", "_", stripped)
    if not name.strip("_"):
        raise NamingError(
            f"cannot derive a Python name from {wire_name!r}: it has no letters or digits"
        )
    if name[0].isdigit():
        name = "n" + name
    escaped = escape(name, reserved)
    if stripped != wire_name and escaped == name:
        # "_foo" must not read as a private attribute, nor silently become "foo": mark it.
        escaped = name + "_"
    return escaped


def class_name(name: str, reserved: frozenset[str] = frozenset()) -> str:
    """A class name: PascalCase, keeping the capitals already there (``WeChatPay`` stays)."""
    words = _words(name)
    result = "".join(w[0].upper() + w[1:] for w in words)
    if result[0].isdigit():
        result = "N" + result
    return escape(result, reserved)


def constant_name(name: str, reserved: frozenset[str] = frozenset()) -> str:
    """An enum member or module constant: UPPER_SNAKE."""
    result = "_".join(w.upper() for w in _words(name))
    if result[0].isdigit():
        result = "N" + result
    return escape(result, reserved)


T = TypeVar("T")


@dataclass(frozen=True)
class NameCollision(Generic[T]):
    """Two spec names that map to one Python name; ``first`` and ``second`` are the claimants."""

    python_name: str
    first: T
    second: T


@dataclass
class Namespace(Generic[T]):
    """One Python scope (a module, a class, a parameter list): who claimed which name.

    ``T`` is whatever the caller uses to point back at the spec (a location, a spec name), so a
    collision can name both sides.
    """

    claims: dict[str, T] = field(default_factory=dict)

    def claim(self, python_name: str, owner: T) -> NameCollision[T] | None:
        """Record ``owner`` as the holder of ``python_name``; a collision if it was taken."""
        previous = self.claims.get(python_name)
        if previous is not None:
            return NameCollision(python_name, previous, owner)
        self.claims[python_name] = owner
        return None
