"""The protocol facts (``wechatpay_codegen.protocol``) agree with the runtime's own copies.

The runtime is copied verbatim into the generated package, so it cannot import the generator's
facts; these tests read the runtime from its source (``templates/runtime``) and compare.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from wechatpay_codegen.protocol import (
    AUTH_SCHEMES,
    EXTENSIONS,
    PATH_PLACEHOLDER,
    is_lenient_date_time,
    placeholders,
)

RUNTIME = Path(__file__).resolve().parents[2] / "templates" / "runtime"


def _assigned(module: str, name: str) -> Any:
    """The literal value the runtime module assigns to ``name``."""
    tree = ast.parse((RUNTIME / module).read_text("utf-8"))
    for node in tree.body:
        target = getattr(node, "target", None) or next(iter(getattr(node, "targets", [])), None)
        if isinstance(target, ast.Name) and target.id == name:
            value = node.value
            assert value is not None
            return ast.literal_eval(value)
    raise AssertionError(f"{name} not assigned in {module}")


def test_the_runtime_signs_with_the_same_schemes_and_identities() -> None:
    runtime = _assigned("signing.py", "SCHEMES")
    assert {scheme.runtime: (scheme.word, scheme.identity) for scheme in AUTH_SCHEMES.values()} == {
        name: tuple(value) for name, value in runtime.items()
    }


def test_every_extension_of_ours_is_named_like_one() -> None:
    for name, extension in EXTENSIONS.items():
        assert name == extension.name
        assert re.fullmatch(r"x-[a-z]+(-[a-z]+)*", name)
        assert extension.places


@pytest.mark.parametrize(
    ("template", "names"),
    [("/v3/a/{id}/b/{other_id}", ["id", "other_id"]), ("/v3/a", []), ("/v3/{}", [""])],
)
def test_placeholders(template: str, names: list[str]) -> None:
    assert placeholders(template) == names
    assert [m.group(1) for m in PATH_PLACEHOLDER.finditer(template)] == names


@pytest.mark.parametrize(
    "value",
    ["2025-01-01T00:00+08:00", "2025-01-01T00:00:00Z", "2025-01-01T00:00:00.123-05:30"],
)
def test_what_validate_accepts_the_client_parses(value: str) -> None:
    """A date-time the spec examples may hold is one the generated client parses to a datetime."""
    from datetime import datetime

    from wechatpay_marketing._runtime.serde import parse_datetime

    assert is_lenient_date_time(value)
    assert isinstance(parse_datetime(value, "$"), datetime)
