"""Injection fuzzing: hostile spec text through the real pipeline, into a package that must import.

Each example writes a spec set whose descriptions, titles, examples, enum values, error-code rows
and property names hold quotes, triple quotes, backslashes, newlines, Jinja syntax, NUL and other
control characters, bidi controls, emoji and very long runs (:mod:`.specgen`), then runs
load -> validate -> build_ir -> render -> write into a temporary folder and imports the result
under a package name of its own. Every generated module must be exactly black's output of itself
(the formatter runs black only on long lines: :mod:`wechatpay_codegen._settle`). The package must
compile and import; every module must hold exactly the definitions the spec calls for (nothing
broke out of a string); every string must come back exactly (enum values, wire names, examples,
the path; descriptions in the docstrings, up to re-flowed whitespace); no generated file may carry
a raw control or bidi character; and nothing may be written outside the output folder.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import itertools
import json
import os
import re
import subprocess
import sys
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import black
from hypothesis import given
from hypothesis import strategies as st
from wechatpay_codegen.generate import generate_files
from wechatpay_codegen.render import STYLE
from wechatpay_codegen.writer import read_tree, write_tree

from .hostile import to_yaml
from .profiles import fuzz
from .schemas import REPO
from .specgen import OPERATION_ID, FuzzSpec, spec_sets

_PACKAGES = itertools.count()
_MODEL_CLASSES = {"FuzzNested", "FuzzRequest", "FuzzResponse"}


def squash(text: str) -> str:
    """Text without whitespace: docstrings re-flow spaces and line breaks, nothing else."""
    return "".join(c for c in text if not (c.isspace() or unicodedata.category(c) == "Zs"))


def contains(doc: str | None, text: str) -> bool:
    return doc is not None and squash(text) in squash(doc)


def expected_paths(package: str) -> set[str]:
    """The committed generated/ tree, with its package renamed: the files every run writes."""
    return {p.replace("wechatpay_marketing", package) for p in read_tree(REPO / "generated")}


def visible(text: str) -> bool:
    """No raw control, format (bidi) or separator characters other than a newline."""
    return all(c == "\n" or c.isprintable() for c in text)


@contextmanager
def imported(out: Path, package: str) -> Iterator[ModuleType]:
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(package)
    finally:
        sys.path.remove(str(out))
        for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
            del sys.modules[name]


def attribute_docs(source: str, class_name: str) -> dict[str, str]:
    """Attribute (or enum member) -> the docstring written under it in the class body."""
    module = ast.parse(source)
    [cls] = [n for n in module.body if isinstance(n, ast.ClassDef) and n.name == class_name]
    docs: dict[str, str] = {}
    for before, node in itertools.pairwise(cls.body):
        target = before.target if isinstance(before, ast.AnnAssign) else None
        if isinstance(before, ast.Assign) and len(before.targets) == 1:
            target = before.targets[0]
        if (
            isinstance(target, ast.Name)
            and isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            docs[target.id] = node.value.value
    return docs


def definitions(source: str) -> dict[str, set[str]]:
    """Top-level classes and functions -> the functions defined in them: what the module defines."""
    out: dict[str, set[str]] = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            out[node.name] = {
                n.name
                for n in getattr(node, "body", [])
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
            }
    return out


def readme_call(readme: str) -> dict[str, Any]:
    """The keyword arguments of the README's example call, evaluated as literals."""
    blocks = re.findall(r"^(`{3,})python\n(.*?)^\1$", readme, flags=re.S | re.M)
    calls = [code for _, code in blocks if f".{OPERATION_ID}(" in code]
    assert len(calls) == 1, blocks
    [statement] = ast.parse(calls[0]).body
    assert isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Call)
    return {k.arg: ast.literal_eval(k.value) for k in statement.value.keywords if k.arg}


def _arguments(spec: FuzzSpec, prepare: Any) -> dict[str, str]:
    """Body wire name -> argument name: required first, then optional, in spec order."""
    schema = spec.operation["components"]["schemas"]["FuzzRequest"]
    wires = list(schema["properties"])
    ordered = [w for w in wires if w in schema["required"]]
    ordered += [w for w in wires if w not in schema["required"]]
    names = list(inspect.signature(prepare).parameters)
    assert names[0] == "thing_id"
    return dict(zip(ordered, names[1:], strict=True))


def check_package(spec: FuzzSpec, out: Path, package: str) -> None:
    files = read_tree(out)
    for name, content in files.items():
        if name.endswith((".py", ".md", ".toml")):
            text = content.decode("utf-8")
            assert visible(text), (name, [c for c in text if not (c == "\n" or c.isprintable())])
        if name.endswith(".py"):
            compile(content, name, "exec", dont_inherit=True)
    source = {n.rsplit("/", 1)[-1]: c.decode() for n, c in files.items() if n.startswith(package)}
    assert set(definitions(source["models.py"])) == _MODEL_CLASSES
    for methods in definitions(source["models.py"]).values():
        assert methods == {"to_dict", "from_dict"}
    assert definitions(source["enums.py"]) == {"FuzzKind": set()}
    assert definitions(source["_operations.py"]) == {f"prepare_{OPERATION_ID}": set()}
    assert definitions(source["_client.py"]) == {
        "WeChatPayClient": {OPERATION_ID, "with_raw_response"},
        "AsyncWeChatPayClient": {OPERATION_ID, "with_raw_response"},
        "WeChatPayClientWithRawResponse": {"__init__", OPERATION_ID},
        "AsyncWeChatPayClientWithRawResponse": {"__init__", OPERATION_ID},
    }
    assert set(definitions(source["_validators.py"])) == {
        "validate_fuzz_request",
        "validate_fuzz_nested",
    }

    with imported(out, package) as pkg:
        enums = importlib.import_module(f"{package}.enums")
        models = importlib.import_module(f"{package}.models")
        operations = importlib.import_module(f"{package}._operations")

        # enum values and their descriptions
        kind = enums.FuzzKind
        assert [m.value for m in kind] == list(spec.enum_values)
        assert contains(kind.__doc__, spec.enum_description)
        member_docs = attribute_docs(source["enums.py"], "FuzzKind")
        for member in kind:
            if spec.enum_descriptions.get(member.value, "").strip():
                assert contains(member_docs[member.name], spec.enum_descriptions[member.value])

        # models: wire names, descriptions, exact round trips
        request, nested, response = models.FuzzRequest, models.FuzzNested, models.FuzzResponse
        assert contains(request.__doc__, spec.request_description)
        assert contains(nested.__doc__, spec.nested_description)
        properties = spec.operation["components"]["schemas"]["FuzzRequest"]["properties"]
        assert request._FIELDS == set(properties)
        attributes = [f.name for f in dataclasses.fields(request) if f.name != "_extra"]
        field_docs = attribute_docs(source["models.py"], "FuzzRequest")
        for wire, attribute in zip(properties, attributes, strict=True):
            if spec.request_fields.get(wire, "").strip():
                assert contains(field_docs[attribute], spec.request_fields[wire]), wire
        assert request.from_dict(spec.request_example).to_dict() == spec.request_example
        assert response.from_dict(spec.response_example).to_dict() == spec.response_example
        # unknown fields with hostile names survive too
        extra = {**spec.response_example, '"""\x00\u202e{{ x }}': spec.description}
        assert response.from_dict(extra).to_dict() == extra

        # the operation: path, validation of hostile values, the exact wire body
        op = getattr(operations, OPERATION_ID.upper())
        assert (op.operation_id, op.path, op.method) == (OPERATION_ID, spec.path, "PATCH")
        prepare = getattr(operations, f"prepare_{OPERATION_ID}")
        names = _arguments(spec, prepare)
        kwargs = {names[w]: v for w, v in spec.request_example.items()}
        path_params, body = prepare(thing_id=spec.param_example, **kwargs)
        assert path_params == {"thing_id": spec.param_example}
        assert body == spec.request_example
        wrong = {**kwargs, names[spec.pattern_field]: spec.pattern_value + "!"}
        try:
            prepare(thing_id=spec.param_example, **wrong)
        except pkg.RequestValidationError as exc:
            assert exc.path == spec.pattern_field
        else:
            raise AssertionError("a value breaking the pattern passed")

        # the method docstrings
        for client in (pkg.WeChatPayClient, pkg.AsyncWeChatPayClient):
            doc = getattr(client, OPERATION_ID).__doc__
            for text in (spec.summary, spec.description, spec.param_description):
                assert contains(doc, text), text
            assert contains(doc, spec.error_code) and contains(doc, spec.error_description)

    # the README: the example call evaluates to the spec's examples; the error table keeps shape
    readme = files["README.md"].decode()
    expected_call = {"thing_id": spec.param_example}
    expected_call |= {names[w]: v for w, v in spec.request_example.items()}
    assert readme_call(readme) == expected_call
    rows = [line for line in readme.splitlines() if line.startswith("| 400 |")]
    assert len(rows) == 1
    assert len(re.split(r"(?<!\\)\|", rows[0])) == 7, rows[0]  # five cells, no more


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@fuzz(ci=12, long=400)
@given(spec=spec_sets())
def test_hostile_spec_text_round_trips_exactly(spec: FuzzSpec) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        spec.write(root / "specs")
        before = tree(root)
        package = f"fuzzpkg_{os.getpid()}_{next(_PACKAGES)}"
        files = generate_files(root / "specs", package)
        assert set(files) == expected_paths(package)
        for name, content in files.items():  # the formatter's fast path: still black's output
            if name.endswith(".py") and "/_runtime/" not in name:
                text = content.decode("utf-8")
                assert black.format_str(text, mode=STYLE.mode()) == text, name
        write_tree(files, root / "out")
        after = tree(root)
        outside = {k: v for k, v in after.items() if not k.startswith("out/")}
        assert outside == before  # the specs untouched, nothing else written
        assert {
            k.removeprefix("out/"): v for k, v in after.items() if k.startswith("out/")
        } == files
        check_package(spec, root / "out", package)


# Property names the generated code itself uses, Python keywords and builtins, dunders and names
# that only differ by leading underscores: each must get a Python name of its own and keep its wire
# name on the wire.
RESERVED_NAMES = (
    "class",
    "self",
    "cls",
    "data",
    "obj",
    "path",
    "model",
    "to_dict",
    "from_dict",
    "_extra",
    "_FIELDS",
    "validate_fuzz_request",
    "prepare_fuzz_op",
    "body",
    "path_params",
    "response",
    "timeout",
    "extra_headers",
    "max_retries",
    "str",
    "int",
    "list",
    "datetime",
    "Any",
    "ClassVar",
    "Mapping",
    "Sequence",
    "Operation",
    "dataclasses",
    "__init__",
    "__class__",
    "mro",
    "True",
    "None",
    "async",
    "await",
    "match",
    "_serde",
    "_v",
    "_operations",
    "__future__",
    "x-y.z",
    "3ds",
)


@fuzz(ci=2, long=20)
@given(spec=spec_sets(field_names=RESERVED_NAMES))
def test_reserved_property_names_keep_their_wire_names(spec: FuzzSpec) -> None:
    test_hostile_spec_text_round_trips_exactly.hypothesis.inner_test(spec)  # type: ignore[attr-defined]


@fuzz(ci=2, long=10)
@given(spec=spec_sets())
def test_cli_generates_a_package_that_imports_in_a_fresh_interpreter(spec: FuzzSpec) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        spec.write(root / "specs")
        env = {**os.environ, "PYTHONPATH": str(REPO / "generator")}
        command = [sys.executable, "-m", "wechatpay_codegen", "generate"]
        result = subprocess.run(
            [*command, "--specs", "specs", "--out", "out", "--package-name", "hostile_pkg"],
            cwd=root,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert sorted(p.name for p in root.iterdir()) == ["out", "specs"]
        script = (
            "import json, sys, hostile_pkg\n"
            "from hostile_pkg.enums import FuzzKind\n"
            "from hostile_pkg.models import FuzzRequest\n"
            "example = json.loads(sys.stdin.read())\n"
            "assert FuzzRequest.from_dict(example).to_dict() == example\n"
            "print(json.dumps([m.value for m in FuzzKind]))\n"
        )
        imported_run = subprocess.run(
            [sys.executable, "-c", script],
            cwd=root / "out",
            input=json.dumps(spec.request_example),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert imported_run.returncode == 0, imported_run.stderr
        assert json.loads(imported_run.stdout) == list(spec.enum_values)


def test_yaml_writer_is_exact() -> None:
    """The test's own YAML writer: what the loader reads back is what was meant."""
    from wechatpay_codegen._yaml import parse_yaml

    @fuzz(ci=200, long=5000)
    @given(st.dictionaries(st.text(), st.lists(st.text() | st.integers() | st.booleans())))
    def prop(document: dict[str, Any]) -> None:
        clean = _no_surrogates(document)
        assert parse_yaml(to_yaml({"x": clean})).data == {"x": clean}

    prop()


def _no_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return "".join(c for c in value if not 0xD800 <= ord(c) < 0xE000)
    if isinstance(value, list):
        return [_no_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {_no_surrogates(k): _no_surrogates(v) for k, v in value.items()}
    return value
