"""The generator's settings: ``[tool.wechatpay-codegen]`` in ``pyproject.toml``, then flags.

``generate`` reads the table from the ``pyproject.toml`` of the folder it runs in (no other file,
no search upwards). Its keys, all optional strings:

==============  =========================  ====================================================
key             default                    meaning
==============  =========================  ====================================================
``specs``       ``specs``                  folder of the OpenAPI specs (relative: to that folder)
``output``      ``generated``              folder the client distribution is written to
``distribution`` ``package`` with ``-``     the distribution name (``pip install <it>``)
``package``     ``wechatpay_marketing``    the import name of the generated package
``version``     ``0.1.0``                  the generated distribution's version (PEP 440)
==============  =========================  ====================================================

A command-line flag overrides its key. Every value is checked before anything is generated: an
unknown key, a wrong type, an import name that is not a Python identifier, a distribution name
or version that pip would refuse are errors naming the file and the key.
"""

from __future__ import annotations

import keyword
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found]  # not installed on 3.11+

__all__ = [
    "DEFAULT_OUTPUT",
    "DEFAULT_PACKAGE",
    "DEFAULT_SPECS",
    "DEFAULT_VERSION",
    "FLAGS",
    "KEYS",
    "PYPROJECT",
    "TABLE",
    "ConfigError",
    "Settings",
    "load_table",
    "settings",
]

PYPROJECT = "pyproject.toml"
TABLE = "wechatpay-codegen"
DEFAULT_SPECS = "specs"
DEFAULT_OUTPUT = "generated"
DEFAULT_PACKAGE = "wechatpay_marketing"
DEFAULT_VERSION = "0.1.0"
KEYS = ("specs", "output", "distribution", "package", "version")

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# PEP 508 names; the version is PEP 440's public form (what an index accepts), without local part.
_DISTRIBUTION = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?\Z")
_VERSION = re.compile(
    r"(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*" r"(?:(?:a|b|rc)[0-9]+)?(?:\.post[0-9]+)?(?:\.dev[0-9]+)?\Z"
)
_MAX_NAME = 100


class ConfigError(Exception):
    """A setting is unusable; the message names where it came from and why."""


@dataclass(frozen=True)
class Settings:
    """Everything ``generate`` needs to know besides the specs' content."""

    specs: Path
    output: Path
    distribution: str
    package: str
    version: str


#: The ``generate`` flag of each key.
FLAGS = {
    "specs": "--specs",
    "output": "--out",
    "distribution": "--distribution",
    "package": "--package",
    "version": "--package-version",
}


def _where(source: str, key: str) -> str:
    if source == "flag":
        return FLAGS[key]
    if source == "default":
        return f"the default {key}"
    return f"{source}: [tool.{TABLE}] {key}"


def load_table(folder: Path) -> tuple[dict[str, str], str]:
    """The ``[tool.wechatpay-codegen]`` table of ``folder/pyproject.toml`` ({} if none), its file.

    Raises ConfigError for a file that is not TOML, a table that is not a table, an unknown key
    or a value that is not a string.
    """
    path = folder / PYPROJECT
    shown = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}, shown
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot read: {exc.strerror or exc}") from exc
    try:
        document = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{shown}: not UTF-8 text ({exc.reason})") from exc
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)$", str(exc))
        if match:
            message = str(exc)[: match.start()].strip()
            raise ConfigError(f"{shown}:{match[1]}:{match[2]}: {message}") from exc
        raise ConfigError(f"{shown}: not valid TOML: {exc}") from exc
    tool = document.get("tool", {})
    table = tool.get(TABLE, {}) if isinstance(tool, dict) else {}
    if not isinstance(table, dict):
        raise ConfigError(f"{shown}: tool.{TABLE} must be a table ([tool.{TABLE}])")
    values: dict[str, str] = {}
    for key, value in table.items():
        if key not in KEYS:
            raise ConfigError(
                f"{_where(shown, repr(key)[1:-1])}: unknown key; the keys are {', '.join(KEYS)}"
            )
        if not isinstance(value, str):
            raise ConfigError(f"{_where(shown, key)}: must be a string, not {type(value).__name__}")
        values[key] = value
    return values, shown


def _checked_name(value: str, where: str, pattern: re.Pattern[str], what: str) -> str:
    if len(value) > _MAX_NAME or not pattern.match(value):
        raise ConfigError(f"{where}: {value!r} is not {what}")
    return value


def settings(folder: Path, flags: Mapping[str, Any]) -> Settings:
    """The settings for a run in ``folder``: flags (non-None values) over the table over defaults.

    Relative folders are relative to ``folder`` for table values and kept as given for flags
    (both relative to the working folder when ``folder`` is it). Raises ConfigError.
    """
    table, source = load_table(folder)
    chosen: dict[str, tuple[str, str]] = {}  # key -> (value, where it came from)
    for key in KEYS:
        if flags.get(key) is not None:
            chosen[key] = (str(flags[key]), "flag")
        elif key in table:
            chosen[key] = (table[key], source)

    def path(key: str, default: str) -> Path:
        if key not in chosen:
            return folder / default if folder != Path() else Path(default)
        value, where = chosen[key]
        if not value or "\0" in value:
            raise ConfigError(f"{_where(where, key)}: {value!r} is not a folder name")
        given = Path(value)
        return given if where == "flag" or given.is_absolute() else folder / given

    package, where = chosen.get("package", (DEFAULT_PACKAGE, "default"))
    _checked_name(package, _where(where, "package"), _IDENTIFIER, "a Python identifier")
    if keyword.iskeyword(package) or not package.isascii():
        raise ConfigError(f"{_where(where, 'package')}: {package!r} is not a usable import name")
    if "distribution" in chosen:
        distribution, where = chosen["distribution"]
        shown = _where(where, "distribution")
    else:  # today's rule: the import name with hyphens
        distribution = package.replace("_", "-").strip("-")
        shown = f"{_where(where, 'package')} (as the distribution name)"
    _checked_name(distribution, shown, _DISTRIBUTION, "a distribution name")
    version, where = chosen.get("version", (DEFAULT_VERSION, "default"))
    _checked_name(version, _where(where, "version"), _VERSION, "a release version (PEP 440)")
    return Settings(
        specs=path("specs", DEFAULT_SPECS),
        output=path("output", DEFAULT_OUTPUT),
        distribution=distribution,
        package=package,
        version=version,
    )
