"""``validate_specs`` rules on edited copies of the mini specs, and ``run_validate``'s contract."""

from __future__ import annotations

import contextlib
import copy
import io
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from wechatpay_codegen import validate
from wechatpay_codegen.build_ir import build_ir
from wechatpay_codegen.loader import SpecLoadError, load_specs
from wechatpay_codegen.protocol import is_lenient_date_time
from wechatpay_codegen.validate import run_validate, validate_specs

REPO = Path(__file__).resolve().parents[2]
MINI = REPO / "tests" / "fixtures" / "mini-specs"
BUDGET = "specs/set_budget.yaml"
PLAN = "specs/submit_plan.yaml"
COMMON = "specs/common.yaml"


@pytest.fixture
def specs_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the mini specs in ``<tmp>/specs``, with ``<tmp>`` as the working directory."""
    target = tmp_path / "specs"
    shutil.copytree(MINI, target)
    monkeypatch.chdir(tmp_path)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def problems_of(folder: Path) -> list[str]:
    return [str(p) for p in validate_specs(load_specs([folder]))]


def line_of(path: Path, needle: str) -> int:
    text = path.read_text(encoding="utf-8")
    return text.count("\n", 0, text.index(needle)) + 1


def test_mini_specs_are_valid(specs_dir: Path) -> None:
    assert problems_of(specs_dir) == []


def test_run_validate_prints_a_summary(specs_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_validate([Path("specs")]) == 0
    out, err = capsys.readouterr()
    assert (out, err) == ("ok: 3 files, 2 operations, 4 schemas\n", "")


def test_run_validate_reports_problems_on_stderr(
    specs_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(specs_dir / "set_budget.yaml", "operationId: set_budget", "operationId: submit_plan")
    assert run_validate([Path("specs")]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    line = line_of(specs_dir / "submit_plan.yaml", "operationId")
    assert err.startswith(f"{PLAN}:{line}:7: operationId 'submit_plan' is already used by ")
    assert err.count("\n") == 1


def test_run_validate_reports_loader_problems(
    specs_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_validate([Path("nowhere")]) == 1
    assert capsys.readouterr().err == "nowhere:1:1: no such file or folder; check the path\n"


def test_an_internal_error_is_one_line_and_exit_2(
    specs_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(specs: object) -> list[object]:
        raise KeyError("multi\nline")

    monkeypatch.setattr(validate, "validate_specs", broken)
    assert run_validate([Path("specs")]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "wechatpay-codegen: internal error: KeyError: 'multi\\nline'; "
        "please report it with the spec files that caused it\n"
    )


# ------------------------------------------------------------------------------ examples


def test_response_example_error_names_the_json_path(specs_dir: Path) -> None:
    spec = specs_dir / "set_budget.yaml"
    edit(
        spec,
        "              example:\n                max_coupons: 3000\n",
        "              example:\n                max_coupons: many\n",
    )
    line = line_of(spec, "              example:\n                max_coupons: many")
    assert problems_of(specs_dir) == [
        f"{BUDGET}:{line}:15: example does not match its schema at $.max_coupons: many is not "
        "of type integer; fix the example or the schema"
    ]


def test_lenient_date_time_in_examples(specs_dir: Path) -> None:
    spec = specs_dir / "set_budget.yaml"
    edit(spec, "effective_time: 2025-01-01T00:00+08:00", "effective_time: 2025-01-01 00:00")
    line = line_of(spec, "            example:\n              max_coupons: 3000")
    assert problems_of(specs_dir) == [
        f"{BUDGET}:{line}:13: example does not match its schema at $.effective_time: "
        "2025-01-01 00:00 is not a valid date-time; fix the example or the schema"
    ]


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("2025-01-01T00:00+08:00", True),
        ("2025-01-01T00:00:00+08:00", True),
        ("2025-01-01T00:00:00.123Z", True),
        ("2025-01-01t23:59:60z", True),
        ("2025-01-01 08:30-05:00", True),
        ("2025-01-01T00:00", False),
        ("2025-01-01", False),
        ("2025-02-30T00:00+08:00", False),
        ("2025-01-01T24:00+08:00", False),
        ("2025-01-01T00:00+8:00", False),
        ("2025-01-01T00:00:61Z", False),
        ("yesterday", False),
        ("2025-01-01T00:00+08:00\n", False),  # "$" would have let a trailing newline through
        ("\u0662\u0660\u0662\u0665-01-01T00:00+08:00", False),  # Arabic-Indic digits
        (20250101, True),  # format applies to strings only; the type check catches numbers
    ],
)
def test_lenient_date_time(value: object, valid: bool) -> None:
    assert is_lenient_date_time(value) is valid


def test_named_examples_and_cross_file_schemas(specs_dir: Path) -> None:
    plan = specs_dir / "submit_plan.yaml"
    edit(
        plan,
        "              example:\n                code: PARAM_ERROR\n"
        "                message: bad plan\n",
        "              examples:\n                short:\n                  value:\n"
        "                    code: PARAM_ERROR\n",
    )
    line = line_of(plan, "                  value:")
    assert problems_of(specs_dir) == [
        f"{PLAN}:{line}:19: example does not match its schema at $: 'message' is a required "
        "property; fix the example or the schema"
    ]


def test_schema_examples_are_checked(specs_dir: Path) -> None:
    spec = specs_dir / "set_budget.yaml"
    edit(
        spec,
        "          format: int64\n          minimum: 1\n",
        "          format: int64\n          minimum: 1\n          example: 0\n",
    )
    edit(spec, "        - CUT\n", "        - CUT\n      examples:\n        - CUT\n        - GROW\n")
    minimum = line_of(spec, "          example: 0")
    grow = line_of(spec, "        - GROW")
    assert problems_of(specs_dir) == [
        f"{BUDGET}:{minimum}:11: example does not match its schema at $: 0 is less than the "
        "minimum of 1; fix the example or the schema",
        f"{BUDGET}:{grow}:11: example does not match its schema at $: GROW is not one of "
        "['REFILL', 'CUT']; fix the example or the schema",
    ]


# ------------------------------------------------------------------------------ security


def test_security_may_come_from_the_document(specs_dir: Path) -> None:
    spec = specs_dir / "set_budget.yaml"
    edit(spec, "      security:\n        - merchant: []\n", "")
    edit(spec, "servers:\n", "security:\n  - merchant: []\nservers:\n")
    assert problems_of(specs_dir) == []


def test_one_signing_scheme_per_operation(specs_dir: Path) -> None:
    spec = specs_dir / "set_budget.yaml"
    edit(spec, "        - merchant: []\n", "        - merchant: []\n        - brand: []\n")
    edit(
        spec,
        "  securitySchemes:\n",
        "  securitySchemes:\n    brand:\n"
        "      $ref: 'common.yaml#/components/securitySchemes/brand'\n",
    )
    line = line_of(spec, "      security:")
    assert problems_of(specs_dir) == [
        f"{BUDGET}:{line}:7: operation PATCH /v3/mini/stocks/{{stock_id}}/budget allows several "
        "signing schemes; the client needs exactly one security scheme per operation"
    ]


def test_identity_must_match_the_scheme(specs_dir: Path) -> None:
    common = specs_dir / "common.yaml"
    edit(common, "x-wechatpay-identity: mchid", "x-wechatpay-identity: brand_id")
    line = line_of(common, "x-wechatpay-identity: brand_id")
    assert problems_of(specs_dir) == [
        f"{COMMON}:{line}:7: x-wechatpay-identity brand_id does not go with "
        "WECHATPAY2-SHA256-RSA2048; use mchid"
    ]


# ---------------------------------------------------------------------------- parameters


def test_path_level_parameters_count(specs_dir: Path) -> None:
    spec = specs_dir / "submit_plan.yaml"
    text = spec.read_text(encoding="utf-8")
    start = text.index("      parameters:\n")
    end = text.index("      responses:\n")
    block = text[start:end]
    spec.write_text(
        text[:start].replace("    post:\n", block.replace("\n  ", "\n")[2:] + "    post:\n")
        + text[end:],
        encoding="utf-8",
    )
    assert "    parameters:\n      - name: plan_id" in spec.read_text(encoding="utf-8")
    assert problems_of(specs_dir) == []


def test_a_parameter_declared_twice(specs_dir: Path) -> None:
    spec = specs_dir / "submit_plan.yaml"
    edit(
        spec,
        "          example: '12000'\n",
        "          example: '12000'\n        - name: plan_id\n          in: path\n"
        "          required: true\n          schema:\n            type: string\n",
    )
    text = spec.read_text(encoding="utf-8")
    line = text.count("\n", 0, text.rindex("- name: plan_id")) + 1
    assert problems_of(specs_dir) == [
        f"{PLAN}:{line}:11: path parameter 'plan_id' is declared twice in "
        "POST /brand/mini/plans/{plan_id}/submit; remove one"
    ]


def test_missing_operation_id(specs_dir: Path) -> None:
    spec = specs_dir / "submit_plan.yaml"
    edit(spec, "      operationId: submit_plan\n", "")
    line = line_of(spec, "    post:")
    assert problems_of(specs_dir) == [
        f"{PLAN}:{line}:5: operation POST /brand/mini/plans/{{plan_id}}/submit has no "
        "operationId; add one in snake_case (it becomes the client method name)"
    ]


# ------------------------------------------------------------------------------- schemas


def test_the_same_schema_in_two_files_is_fine(specs_dir: Path) -> None:
    spec = specs_dir / "submit_plan.yaml"
    budget = (specs_dir / "set_budget.yaml").read_text(encoding="utf-8")
    reason = budget[budget.index("    BudgetReason:\n") : budget.index("    SetBudgetResponse:\n")]
    edit(spec, "components:\n", f"components:\n  schemas:\n{reason}")
    edit(
        specs_dir / "common.yaml",
        "  headers:\n",
        "    SetBudgetResponse:\n"
        "      $ref: 'set_budget.yaml#/components/schemas/SetBudgetResponse'\n"
        "  headers:\n",
    )
    assert problems_of(specs_dir) == []


def test_a_cycle_across_files(specs_dir: Path) -> None:
    edit(
        specs_dir / "set_budget.yaml",
        "$ref: '#/components/schemas/BudgetReason'",
        "$ref: 'common.yaml#/components/schemas/Loop'",
    )
    common = specs_dir / "common.yaml"
    edit(
        common,
        "  headers:\n",
        "    Loop:\n      type: object\n      properties:\n        back:\n"
        "          $ref: 'set_budget.yaml#/components/schemas/SetBudgetRequest'\n  headers:\n",
    )
    line = line_of(common, "$ref: 'set_budget.yaml")
    example = line_of(specs_dir / "set_budget.yaml", "            example:\n              max")
    assert problems_of(specs_dir) == [
        f"{COMMON}:{line}:11: recursive schemas are not supported: Loop -> SetBudgetRequest -> "
        "Loop; replace one reference with a non-recursive schema",
        f"{BUDGET}:{example}:13: example does not match its schema at $.reason: REFILL is not "
        "of type object; fix the example or the schema",
    ]


def test_invalid_schema_keyword_values(specs_dir: Path) -> None:
    spec = specs_dir / "set_budget.yaml"
    edit(spec, "          minimum: 1\n", "          minimum: 1\n          maxLength: -1\n")
    line = line_of(spec, "maxLength: -1")
    assert problems_of(specs_dir) == [
        f"{BUDGET}:{line}:11: invalid schema: -1 is less than the minimum of 0; fix it to match "
        "JSON Schema 2020-12"
    ]


def test_a_components_only_file_needs_no_openapi_key(specs_dir: Path) -> None:
    common = specs_dir / "common.yaml"
    text = common.read_text(encoding="utf-8")
    common.write_text(text[text.index("components:") :], encoding="utf-8")
    assert problems_of(specs_dir) == []


def test_problems_are_sorted_and_unique(specs_dir: Path) -> None:
    spec = specs_dir / "set_budget.yaml"
    edit(spec, "        - CUT\n", "        - 1\n        - REFILL\n")
    edit(spec, "operationId: set_budget", "operationId: setBudget")
    found = validate_specs(load_specs([specs_dir]))
    assert found == sorted(set(found))
    assert [p.message.split(";")[0] for p in found] == [
        "operationId 'setBudget' is not snake_case",
        "enum value 1 is not a string",
        "duplicate enum value 'REFILL'",
    ]


def test_an_invalid_schema_is_reported_the_same_whatever_the_hash_seed(specs_dir: Path) -> None:
    """Two subschemas break JSON Schema: the one reported does not depend on set order (which
    varies with PYTHONHASHSEED in jsonschema), and it is the first one written."""
    spec = specs_dir / "set_budget.yaml"
    edit(
        spec,
        "  SetBudgetResponse:\n      type: object\n      required:\n        - max_coupons\n"
        "      properties:\n        max_coupons:\n          type: integer\n"
        "          format: int64\n",
        "  SetBudgetResponse:\n      type: object\n      properties:\n        max_coupons: x\n"
        "        other: object\n",
    )
    env = dict(os.environ, PYTHONPATH=str(REPO / "generator"))
    outputs = set()
    for seed in ("0", "1", "2", "3", "4", "5"):
        env["PYTHONHASHSEED"] = seed
        result = subprocess.run(
            [sys.executable, "-m", "wechatpay_codegen", "validate", "specs"],
            cwd=specs_dir.parent,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        assert result.returncode == 1, result.stderr
        outputs.add(result.stderr)
    assert len(outputs) == 1, outputs
    (output,) = outputs
    assert f"{BUDGET}:{line_of(spec, 'max_coupons: x')}:9: invalid schema: 'x' is not of" in output


# ------------------------------------------------------------- the generator's refusals


def test_generator_refusals_come_with_validate_problems_in_one_run(
    specs_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One file with a problem of validate's (a misspelled key) and two things only the
    generator refuses (a rate limit that is no integer, an error code that is no string): all
    three in one run."""
    spec = specs_dir / "set_budget.yaml"
    edit(spec, "limit: 20", "limit: twenty")
    edit(spec, "- code: PARAM_ERROR", "- code: 400")
    edit(spec, "operationId: set_budget\n", "operationId: set_budget\n      sumary: typo\n")
    assert run_validate([Path("specs")]) == 1
    err = capsys.readouterr().err
    assert [line.split(": ", 1)[0] for line in err.splitlines()] == [
        f"{BUDGET}:{line_of(spec, 'sumary')}:7",
        f"{BUDGET}:{line_of(spec, 'x-rate-limit')}:7",
        f"{BUDGET}:{line_of(spec, 'code: 400')}:15",
    ]
    assert "unexpected key 'sumary'" in err
    assert "'x-rate-limit' needs 'limit' (integer)" in err
    assert "an error code row needs 'code'" in err


def test_a_refusal_that_follows_from_a_validate_problem_is_left_out(
    specs_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The answer's schema ``$ref`` is broken: validate says so; that the answer is then no
    object with properties (the generator's refusal) is its consequence and not repeated."""
    spec = specs_dir / "set_budget.yaml"
    edit(
        spec, "$ref: '#/components/schemas/SetBudgetResponse'", "$ref: '#/components/schemas/Nope'"
    )
    assert run_validate([Path("specs")]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{BUDGET}:{line_of(spec, 'Nope')}:")
    assert "does not resolve" in lines[0]


# ---------------------------------------------------------------------------- robustness

_JUNK: list[object] = [
    None,
    0,
    -1,
    2.5,
    True,
    "",
    "x",
    [],
    {},
    [1, "a"],
    {"a": 1},
    {"$ref": "#/nope"},
    {"$ref": "#/paths"},
    {"$ref": "#"},
    {"$ref": 5},
    {"$ref": "common.yaml#/components/schemas/ErrorResponse"},
    {"type": "object", "properties": "x"},
]


def _paths(value: object, at: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    found = [at]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*at, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _paths(item, (*at, i))
    return found


def _write_mutated(rnd: random.Random, folder: str) -> None:
    """The mini specs into ``folder``, each with up to three values replaced by junk or removed."""
    for source in sorted(MINI.glob("*.yaml")):
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
        for _ in range(rnd.randint(0, 3)):
            path = rnd.choice(_paths(data)[1:])
            parent = data
            for part in path[:-1]:
                parent = parent[part]
            if isinstance(parent, dict) and rnd.random() < 0.3:
                del parent[path[-1]]
            else:
                parent[path[-1]] = copy.deepcopy(rnd.choice(_JUNK))
        text = yaml.safe_dump(data, allow_unicode=True)
        Path(folder, source.name).write_text(text, encoding="utf-8")


@settings(max_examples=60, deadline=None)
@given(st.randoms(use_true_random=False))
def test_mutated_specs_never_crash(rnd: random.Random) -> None:
    """Whatever a spec contains, validate answers with problems or ok, never an internal error."""
    with tempfile.TemporaryDirectory() as folder:
        _write_mutated(rnd, folder)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = run_validate([Path(folder)])
    assert code in (0, 1), err.getvalue()
    if code == 1:
        assert out.getvalue() == ""
        for line in err.getvalue().splitlines():
            assert re.match(r"^[^:]+:\d+:\d+: \S", line), line
    else:
        assert out.getvalue().startswith("ok: ")


@settings(max_examples=60, deadline=None)
@given(st.randoms(use_true_random=False))
def test_the_generator_reads_mutated_specs_without_crashing(rnd: random.Random) -> None:
    """The generator's refusals are reported alongside validate's problems, so it must read specs
    validate refuses too: it answers with problems, never an exception of its own (which would
    hide its refusals)."""
    with tempfile.TemporaryDirectory() as folder:
        _write_mutated(rnd, folder)
        try:
            specs = load_specs([Path(folder)])
        except SpecLoadError:
            return
        try:
            build_ir(specs)
        except SpecLoadError as exc:
            assert exc.problems


def test_an_operation_id_with_a_trailing_newline_is_not_snake_case(specs_dir: Path) -> None:
    spec = specs_dir / "set_budget.yaml"
    edit(spec, "operationId: set_budget", 'operationId: "set_budget\\n"')
    messages = [p.message for p in validate_specs(load_specs([specs_dir]))]
    assert any(m.startswith("operationId 'set_budget\\n' is not snake_case") for m in messages)


def test_an_openapi_version_with_a_trailing_newline_is_shown_escaped(specs_dir: Path) -> None:
    spec = specs_dir / "set_budget.yaml"
    edit(spec, "openapi: 3.1.0", 'openapi: "3.1.0\\n"')
    messages = [p.message for p in validate_specs(load_specs([specs_dir]))]
    assert "unsupported OpenAPI version '3.1.0\\n'; use 3.1.x" in messages
