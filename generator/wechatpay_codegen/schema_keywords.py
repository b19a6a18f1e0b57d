"""Every JSON Schema keyword a spec may write, and what the generator does with it.

A keyword is *supported* (it changes the generated code: a type, a check, a rule), an *annotation*
(documentation or examples: shown, or checked by ``validate``, never enforced by the client) or
*refused* (valid JSON Schema the generator does not implement: ``validate`` says so, with the
place, instead of the client silently skipping a check). Anything else is a misspelling:
``validate`` names the likely intended keyword. An ``x-`` key is an extension (see
:data:`~.protocol.EXTENSIONS` for ours).

To support a refused keyword: move it to ``SUPPORTED``, read it in ``build_ir`` (through the spec
model's :class:`~.spec_model.Schema`) and carry it in the IR (``ir.Constraints`` or ``ir.Rules``);
see CONTRIBUTING, "Add a schema keyword".
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "ANNOTATIONS",
    "REFUSED",
    "SCHEMA_LISTS",
    "SCHEMA_MAPS",
    "SCHEMA_ONE",
    "SUPPORTED",
    "did_you_mean",
    "known",
]

SUPPORTED: frozenset[str] = frozenset(
    {
        "$ref",
        "type",
        "properties",
        "required",
        "items",
        "enum",
        "format",
        "minLength",
        "maxLength",
        "pattern",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minItems",
        "maxItems",
        "uniqueItems",
        "not",  # only `not: {required: [...]}` (fields that must not all be present)
        "dependentRequired",
        "minProperties",
        "maxProperties",
        "additionalProperties",
    }
)

ANNOTATIONS: frozenset[str] = frozenset(
    {
        "title",
        "description",
        "example",
        "examples",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
        "$comment",
        "$schema",
        "$id",
        "externalDocs",
        "contentMediaType",
        "contentEncoding",
    }
)

# Keyword -> why it is refused / what to write instead.
REFUSED: dict[str, str] = {
    "allOf": "merge the schemas into one object schema",
    "anyOf": "describe one schema (a union type is not generated)",
    "oneOf": "describe one schema (a union type is not generated)",
    "if": "use dependentRequired or not: {required: [...]}",
    "then": "use dependentRequired or not: {required: [...]}",
    "else": "use dependentRequired or not: {required: [...]}",
    "const": "use an enum with one value",
    "prefixItems": "use items with one schema",
    "contains": "describe the items with items",
    "minContains": "describe the items with items",
    "maxContains": "describe the items with items",
    "multipleOf": "state the step in the description",
    "patternProperties": "list the properties",
    "propertyNames": "list the properties",
    "dependentSchemas": "use dependentRequired",
    "unevaluatedProperties": "use additionalProperties",
    "unevaluatedItems": "use items",
    "$defs": "define the schema under components/schemas",
    "$anchor": "use a JSON-pointer $ref",
    "$dynamicRef": "use $ref",
    "$dynamicAnchor": "use $ref",
    "$vocabulary": "remove it",
    "contentSchema": "describe the content in the description",
    "discriminator": "describe one schema (a union type is not generated)",
    "xml": "remove it (the API speaks JSON)",
    "nullable": "OpenAPI 3.0 only: in 3.1 write type: [string, 'null'] (not generated) or omit",
}

# Keywords whose value holds subschemas: a mapping of them, a list of them, or one.
SCHEMA_MAPS = ("properties", "patternProperties", "dependentSchemas", "$defs")
SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
SCHEMA_ONE = (
    "items",
    "additionalProperties",
    "unevaluatedProperties",
    "unevaluatedItems",
    "contains",
    "not",
    "if",
    "then",
    "else",
    "propertyNames",
    "contentSchema",
)


def known() -> frozenset[str]:
    """Every keyword that is not a misspelling."""
    return SUPPORTED | ANNOTATIONS | frozenset(REFUSED)


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate ``word`` is most likely a misspelling of, or None."""
    pool = sorted(set(candidates))
    found = difflib.get_close_matches(word, pool, n=1, cutoff=0.75)
    if not found:
        lowered = {c.lower(): c for c in pool}
        found = difflib.get_close_matches(word.lower(), sorted(lowered), n=1, cutoff=0.75)
        found = [lowered[f] for f in found]
    return found[0] if found else None
