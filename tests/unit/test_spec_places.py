"""The spec model's reading of each file as written (:mod:`wechatpay_codegen.spec_places`), and
the rule that it is the one reader of the raw documents (issue 11, item 1).

The fixture spec is this test's own (written below); the expectations come from it.
"""

from __future__ import annotations

import re
from pathlib import Path

from wechatpay_codegen.loader import SpecDocument, load_specs
from wechatpay_codegen.spec_model import SpecModel
from wechatpay_codegen.spec_places import (
    holding,
    object_places,
    schema_roots,
    schema_sites,
    webhook_operations,
)

PACKAGE = Path(__file__).resolve().parents[2] / "generator" / "wechatpay_codegen"

SPEC = """\
openapi: 3.1.0
info: {title: t, version: '1'}
paths:
  /v3/things/{id}:
    parameters:
      - {name: id, in: path, required: true, schema: {type: string}}
    post:
      operationId: make_thing
      x-rate-limit: {limit: 1, per: second}
      security: [{merchant: []}]
      parameters:
        - {name: q, in: query, schema: {type: integer}, example: 3}
      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Thing'}
            examples:
              one: {value: {name: a}}
              two: {$ref: '#/components/examples/Two'}
      responses:
        '200':
          description: ok
          headers:
            X-Tag: {schema: {type: string}}
          content:
            application/json:
              schema:
                type: object
                properties:
                  tags: {type: array, items: {type: string}}
webhooks:
  THING.MADE:
    post:
      requestBody:
        content:
          application/json:
            schema: {type: object}
      x-wechatpay-resource:
        schema: {$ref: '#/components/schemas/Thing'}
        example: {name: b}
      responses:
        '200': {description: ok}
components:
  securitySchemes:
    merchant:
      type: http
      scheme: WECHATPAY2-SHA256-RSA2048
  examples:
    Two: {value: {name: c}}
  schemas:
    Thing:
      type: object
      x-wechatpay-doc-differs: [{difference: extra, reason: r}]
      properties:
        name: {type: string, x-wechatpay-sensitive: true}
        parts: {type: array, items: {$ref: '#/components/schemas/Part'}}
      not: {required: [name]}
    Part: {type: string}
"""


def _load(tmp_path: Path) -> tuple[SpecModel, SpecDocument]:
    (tmp_path / "op.yaml").write_text(SPEC, encoding="utf-8")
    specs = load_specs([tmp_path])
    model = specs.model()
    (doc,) = specs.documents.values()
    return model, doc


def test_sites_are_every_place_written_in_place_with_a_schema(tmp_path: Path) -> None:
    model, doc = _load(tmp_path)
    sites = schema_sites(model, doc)
    base = ("paths", "/v3/things/{id}")
    assert [s.node.pointer for s in sites] == [
        (*base, "parameters", 0),
        (*base, "post", "parameters", 0),
        (*base, "post", "requestBody", "content", "application/json"),
        (*base, "post", "responses", "200", "content", "application/json"),
        (*base, "post", "responses", "200", "headers", "X-Tag"),
        ("webhooks", "THING.MADE", "post", "requestBody", "content", "application/json"),
        ("webhooks", "THING.MADE", "post", "x-wechatpay-resource"),
    ]
    query = sites[1]
    assert query.example is not None and query.example.raw == 3
    body = sites[2]
    assert body.schema is not None and body.schema.ref == "#/components/schemas/Thing"
    # examples: the one written in place and the one a $ref leads to, each where its value is
    assert [(w.pointer[-1], v.pointer, v.raw) for w, v in body.examples()] == [
        ("one", (*body.node.pointer, "examples", "one", "value"), {"name": "a"}),
        ("two", ("components", "examples", "Two", "value"), {"name": "c"}),
    ]


def test_roots_subschemas_and_one_ref_step(tmp_path: Path) -> None:
    model, doc = _load(tmp_path)
    sites = schema_sites(model, doc)
    roots = schema_roots(model, doc, sites)
    assert [r.pointer for r in roots[:2]] == [
        ("components", "schemas", "Thing"),
        ("components", "schemas", "Part"),
    ]
    thing = roots[0]
    assert [s.pointer[3:] for s in thing.subschemas()] == [
        (),
        ("properties", "name"),
        ("properties", "parts"),
        ("properties", "parts", "items"),
        ("not",),
    ]
    items = thing.subschema("properties").subschema("parts").item_schema
    assert items is not None
    target, problems = items.ref_target()
    assert problems == [] and target is not None and target.name == "Part"
    assert thing.ref_target() == (None, [])


def test_a_broken_ref_is_a_problem_at_the_ref_not_an_exception(tmp_path: Path) -> None:
    (tmp_path / "op.yaml").write_text(SPEC.replace("schemas/Part'", "schemas/Prat'"), "utf-8")
    specs = load_specs([tmp_path])
    model = specs.model()
    thing = next(s for s in model.named_schemas() if s.name == "Thing")
    items = thing.subschema("properties").subschema("parts").item_schema
    assert items is not None
    target, problems = items.ref_target()
    assert target is None
    assert [str(p).split(": ", 1)[0] for p in problems] == [str(items.child("$ref").location)]
    assert "'Prat'" in problems[0].message


def test_object_places_name_every_kind_an_extension_may_be_on(tmp_path: Path) -> None:
    model, _ = _load(tmp_path)
    sites = [s for d in model.documents() for s in schema_sites(model, d)]
    places = {p: kind for (name, p), kind in object_places(model, sites).items()}
    base = ("paths", "/v3/things/{id}", "post")
    assert places[()] == "document"
    assert places[("components", "securitySchemes", "merchant")] == "security-scheme"
    assert places[base] == "operation"
    assert places[("webhooks", "THING.MADE", "post")] == "webhook"
    assert places[("paths", "/v3/things/{id}", "parameters", 0)] == "parameter"
    assert places[(*base, "parameters", 0)] == "parameter"
    assert places[(*base, "requestBody", "content", "application/json")] == "media-type"
    assert places[(*base, "responses", "200")] == "response"
    assert places[("components", "schemas", "Thing", "properties", "name")] == "schema"
    assert places[(*base, "parameters", 0, "schema")] == "schema"
    # neither a header, a path item nor a request body is a place of any extension
    assert (*base, "responses", "200", "headers", "X-Tag") not in places
    assert ("paths", "/v3/things/{id}") not in places
    assert (*base, "requestBody") not in places


def test_webhooks_and_holders(tmp_path: Path) -> None:
    model, doc = _load(tmp_path)
    assert [(e, n.pointer) for e, n in webhook_operations(model, doc)] == [
        ("THING.MADE", ("webhooks", "THING.MADE", "post"))
    ]
    assert [n.pointer for n in holding(model, doc, "x-wechatpay-doc-differs")] == [
        ("components", "schemas", "Thing")
    ]
    assert [n.pointer[-1] for n in holding(model, doc, "x-rate-limit")] == ["post"]


# Modules that may hand a whole document (``SpecDocument.data``) to something else, and why. Any
# other module reads the specs through the model (spec_model, spec_places), never the raw data.
RAW_DOCUMENT_USERS = {
    # the JSON Schema registry examples are validated against: the documents as jsonschema needs
    "checks/examples.py": "registry",
    # the content fingerprint of a document, for the persistent cache of passed checks
    "validate.py": "fingerprint",
    # the sandbox validates requests against the specs' schemas with jsonschema (same registry)
    "sandbox/operations.py": "registry",
}
READERS = {"loader.py", "_yaml.py", "spec_model.py", "spec_places.py"}


def test_only_the_model_reads_the_raw_documents() -> None:
    found: set[str] = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        if name in READERS:
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"\bdoc\.data\b|\]\.data\b|\bdocument\.data\b", text):
            found.add(name)
    assert found == set(RAW_DOCUMENT_USERS)
