"""Docstrings of the generated code: what models, fields, enums and methods say about themselves.

Each function returns :class:`~.escaping.Block` paragraphs; the ``docstring`` filter escapes and
wraps them.
"""

from __future__ import annotations

from .. import ir
from ..protocol import AUTH_SCHEMES
from .escaping import Block, plain_text


def _count(number: int, word: str) -> str:
    return f"{number} {word}" if number == 1 else f"{number} {word}s"


def _constraints(c: ir.Constraints) -> list[str]:
    out: list[str] = []
    if c.min_length is not None:
        out.append(f"at least {_count(c.min_length, 'character')}")
    if c.max_length is not None:
        out.append(f"at most {_count(c.max_length, 'character')}")
    if c.pattern is not None:
        out.append(f"matches {c.pattern}")
    for word, value in (
        (">=", c.minimum),
        ("<=", c.maximum),
        (">", c.exclusive_minimum),
        ("<", c.exclusive_maximum),
    ):
        if value is not None:
            out.append(f"{word} {value}")
    if c.min_items is not None:
        out.append(f"at least {_count(c.min_items, 'item')}")
    if c.max_items is not None:
        out.append(f"at most {_count(c.max_items, 'item')}")
    if c.unique_items:
        out.append("unique items")
    return out


def _type_notes(t: ir.TypeRef) -> list[str]:
    notes = _constraints(t.constraints)
    if t.kind == "datetime":
        notes.append("RFC 3339 date-time")
    if t.kind == "array" and t.items is not None:
        notes.extend(f"each item {n}" for n in _type_notes(t.items))
    return notes


def _with_notes(text: str, t: ir.TypeRef) -> str:
    """A description followed by the constraints the type carries, in parentheses."""
    notes = "; ".join(_type_notes(t))
    text = " ".join(text.split())
    if not text:
        return f"Constraints: {notes}." if notes else "Not described in the spec."
    return f"{text} ({notes})" if notes else text


def _rules_text(rules: ir.Rules) -> list[str]:
    out: list[str] = []
    for group in rules.mutually_exclusive:
        out.append(f"{', '.join(group)}: not all of these together.")
    for trigger, needed in rules.dependent_required:
        out.append(f"When {trigger} is set, {', '.join(needed)} must be set too.")
    if rules.min_properties is not None:
        out.append(f"Set at least {rules.min_properties} field(s).")
    if rules.max_properties is not None:
        out.append(f"Set at most {rules.max_properties} field(s).")
    if not rules.additional_properties:
        out.append("No other fields are allowed.")
    return out


def _paragraphs(text: str) -> list[Block]:
    return [Block(line) for line in plain_text(text).strip().split("\n")]


def model_doc(model: ir.Model) -> list[Block]:
    blocks = _paragraphs(model.description or f"The {model.name} object.")
    rules = _rules_text(model.rules)
    if rules:
        blocks += [Block(), *(Block(r) for r in rules)]
    return blocks


def field_doc(field: ir.Field) -> list[Block]:
    """The attribute docstring; none when the spec says nothing about the field."""
    if not field.description.strip() and not _type_notes(field.type):
        return []
    return [Block(_with_notes(field.description, field.type))]


def enum_doc(enum: ir.EnumDef) -> list[Block]:
    return _paragraphs(enum.description or f"Values of {enum.name}.")


def member_doc(member: ir.EnumMember) -> list[Block]:
    return [Block(member.description)]


def _rate_limit(limit: ir.RateLimit) -> str:
    scope = f" per {limit.scope}" if limit.scope else ""
    return f"Rate limit: {limit.limit} requests per {limit.per}{scope}."


#: runtime scheme -> what a method's docstring says about the client it needs
_AUTH_NOTE = {
    s.runtime: f"{s.runtime.capitalize()} API: needs a client created with {s.identity}=."
    for s in AUTH_SCHEMES.values()
}


def method_doc(op: ir.Operation, api: ir.API) -> list[Block]:
    blocks = _paragraphs(op.summary or op.operation_id)
    if op.description:
        blocks += [Block(), *_paragraphs(op.description)]
    blocks += [Block(), Block(f"{op.http_method} {op.path}"), Block(_AUTH_NOTE[op.auth_scheme])]
    if op.rate_limit is not None:
        blocks.append(Block(_rate_limit(op.rate_limit)))
    if op.body_model is not None:
        rules = _rules_text(api.model(op.body_model).rules)
        if rules:
            blocks += [Block(), Block("Request rules:"), *(Block(r, "    ", "    ") for r in rules)]
    blocks += [Block(), Block("Args:")]
    for p in op.parameters:
        blocks.append(Block(_with_notes(p.description, p.type), f"    {p.name}: ", " " * 8))
    indent = " " * 8
    blocks += [
        Block("Extra HTTP headers for this call only.", "    extra_headers: ", indent),
        Block("Retries for this call instead of the client's.", "    max_retries: ", indent),
        Block("Timeout in seconds for this call instead of the client's.", "    timeout: ", indent),
    ]
    if op.response_bytes:
        blocks.append(
            Block(
                "Size limit of the file for this call instead of the client's.",
                "    max_response_bytes: ",
                indent,
            )
        )
    blocks += [Block(), Block("Returns:")]
    if op.response_bytes:
        note = (
            " WeChat Pay does not sign it: check it against the hash the apply-bill answer gave "
            "(read_bill, save_bill)."
            if op.unsigned_statuses
            else ""
        )
        blocks.append(Block(f"The file.{note}", "    bytes: ", " " * 8))
    elif op.response_model is None:
        blocks.append(Block(f"None: the server answers {op.success_status} with no body.", "    "))
    else:
        response = api.model(op.response_model)
        text = " ".join((response.description or "The response.").split())
        blocks.append(Block(text, f"    {response.name}: ", " " * 8))
    blocks += [
        Block(),
        Block("Raises:"),
        Block(
            "The arguments break the spec; nothing was sent.",
            "    RequestValidationError: ",
            " " * 8,
        ),
    ]
    for status in op.errors:
        codes = "; ".join(f"{c.code} ({' '.join(c.description.split())})" for c in status.codes)
        text = f"HTTP {status.status}" + (f": {codes}." if codes else ".")
        blocks.append(Block(text, f"    {status.exception}: ", " " * 8))
    blocks += [
        Block("Any other error status.", "    APIStatusError: ", " " * 8),
        Block(
            "The response failed verification; its data is not returned.",
            "    SignatureVerificationError: ",
            " " * 8,
        ),
        Block(
            "A verified response whose body is not the documented shape.",
            "    APIResponseValidationError: ",
            " " * 8,
        ),
        Block(
            "No response (APITimeoutError when it timed out).",
            "    APIConnectionError: ",
            " " * 8,
        ),
    ]
    return blocks


def prepare_doc(op: ir.Operation) -> list[Block]:
    what = (
        "Path parameters, validated wire body and query"
        if op.query_params
        else ("Path parameters and validated wire body")
    )
    return [
        Block(f"{what} for {op.name}."),
        Block(),
        Block("Raises RequestValidationError naming the first field that breaks the spec."),
    ]
