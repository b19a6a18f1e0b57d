"""The spec loader: positions, safe YAML, cross-file ``$ref`` resolution, display names."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from wechatpay_codegen import _yaml
from wechatpay_codegen.loader import (
    MAX_FILE_BYTES,
    Location,
    Problem,
    SpecLoadError,
    load_specs,
    pointer_text,
)

REPO = Path(__file__).resolve().parents[2]
MINI = REPO / "tests" / "fixtures" / "mini-specs"
BUDGET_PATH = "/v3/mini/stocks/{stock_id}/budget"


@pytest.fixture
def specs_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the mini specs in ``<tmp>/specs``, with ``<tmp>`` as the working directory."""
    target = tmp_path / "specs"
    shutil.copytree(MINI, target)
    monkeypatch.chdir(tmp_path)
    return target


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def load_problems(*paths: Path) -> list[str]:
    with pytest.raises(SpecLoadError) as caught:
        load_specs(list(paths))
    assert str(caught.value) == "\n".join(str(p) for p in caught.value.problems)
    return [str(p) for p in caught.value.problems]


def line_col(text: str, needle: str) -> tuple[int, int]:
    """1-based line and column of the first ``needle`` in ``text``."""
    index = text.index(needle)
    line = text.count("\n", 0, index) + 1
    col = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, col


# ------------------------------------------------------------------------------ documents


def test_folder_loads_sorted_documents_with_relative_display_names(specs_dir: Path) -> None:
    write(specs_dir / "notes.txt", "not a spec")
    specs = load_specs([Path("specs")])
    assert list(specs.documents) == [
        "specs/common.yaml",
        "specs/set_budget.yaml",
        "specs/submit_plan.yaml",
    ]
    doc = specs.documents["specs/set_budget.yaml"]
    assert doc.path == (specs_dir / "set_budget.yaml").resolve()
    assert doc.display == "specs/set_budget.yaml"
    assert doc.data["paths"][BUDGET_PATH]["patch"]["operationId"] == "set_budget"
    assert doc.uri == doc.path.as_uri()


def test_yml_files_are_loaded_too(specs_dir: Path) -> None:
    (specs_dir / "submit_plan.yaml").rename(specs_dir / "submit_plan.yml")
    assert "specs/submit_plan.yml" in load_specs([specs_dir]).documents


def test_display_name_is_absolute_outside_the_working_directory(
    specs_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    specs = load_specs([specs_dir])
    assert next(iter(specs.documents)) == (specs_dir / "common.yaml").resolve().as_posix()


def test_naming_a_file_also_loads_the_files_it_references(specs_dir: Path) -> None:
    specs = load_specs([Path("specs/set_budget.yaml")])
    assert list(specs.documents) == ["specs/common.yaml", "specs/set_budget.yaml"]


def test_same_file_named_twice_is_loaded_once(specs_dir: Path) -> None:
    specs = load_specs([Path("specs"), Path("specs/../specs/common.yaml")])
    assert len(specs.documents) == 3


def test_referenced_file_outside_the_folder_is_not_loaded(tmp_path: Path) -> None:
    write(tmp_path / "secret.yaml", "openapi: 3.1.0\ninfo: {title: s, version: '1'}\n")
    spec = write(
        tmp_path / "specs" / "a.yaml",
        "openapi: 3.1.0\ninfo: {title: a, version: '1'}\npaths: {}\n"
        "components:\n  schemas:\n    X:\n      $ref: '../secret.yaml#/info'\n",
    )
    specs = load_specs([spec.parent])
    assert [d.path.name for d in specs.documents.values()] == ["a.yaml"]
    doc = next(iter(specs.documents.values()))
    with pytest.raises(SpecLoadError) as caught:
        specs.resolve(doc, "../secret.yaml#/info", at=("components", "schemas", "X", "$ref"))
    [problem] = caught.value.problems
    assert problem.location.line == 7
    assert "is outside the spec folder" in problem.message


# ------------------------------------------------------------------------------ positions


def test_positions_point_at_keys_and_items(specs_dir: Path) -> None:
    specs = load_specs([specs_dir])
    doc = specs.documents["specs/set_budget.yaml"]
    text = (specs_dir / "set_budget.yaml").read_text(encoding="utf-8")
    op = ("paths", BUDGET_PATH, "patch")
    assert doc.location((*op, "operationId")) == Location(
        "specs/set_budget.yaml", *line_col(text, "operationId: set_budget")
    )
    assert doc.location((*op, "parameters", 0)) == Location(
        "specs/set_budget.yaml", *line_col(text, "name: stock_id")
    )
    enum = ("components", "schemas", "BudgetReason", "enum", 1)
    cut_line, cut_col = line_col(text, "- CUT\n")
    assert doc.location(enum) == Location("specs/set_budget.yaml", cut_line, cut_col + 2)
    assert str(doc.location(enum)) == f"specs/set_budget.yaml:{cut_line}:11"
    assert doc.location(()) == Location("specs/set_budget.yaml", 1, 1)


def test_location_of_an_unknown_pointer_is_its_nearest_ancestor(specs_dir: Path) -> None:
    doc = load_specs([specs_dir]).documents["specs/set_budget.yaml"]
    op = ("paths", BUDGET_PATH, "patch")
    assert doc.location((*op, "nope", 3, "deeper")) == doc.location(op)
    assert doc.location(("nothing", "here")) == doc.location(())


def test_every_node_has_a_position(specs_dir: Path) -> None:
    doc = load_specs([specs_dir]).documents["specs/set_budget.yaml"]

    def pointers(value: Any, at: tuple[str | int, ...]) -> list[tuple[str | int, ...]]:
        found = [at]
        if isinstance(value, dict):
            for key, item in value.items():
                found += pointers(item, (*at, key))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                found += pointers(item, (*at, i))
        return found

    assert set(pointers(doc.data, ())) == set(doc.positions)


def test_refs_are_listed_in_document_order(specs_dir: Path) -> None:
    doc = load_specs([specs_dir]).documents["specs/set_budget.yaml"]
    refs = [ref for _, ref in doc.refs]
    assert refs == [
        "#/components/schemas/SetBudgetRequest",
        "common.yaml#/components/headers/Request-ID",
        "#/components/schemas/SetBudgetResponse",
        "common.yaml#/components/schemas/ErrorResponse",
        "common.yaml#/components/securitySchemes/merchant",
        "#/components/schemas/BudgetReason",
    ]
    for pointer, ref in doc.refs:
        assert pointer[-1] == "$ref"
        value: Any = doc.data
        for part in pointer:
            value = value[part]
        assert value == ref


def test_problem_and_location_format() -> None:
    problem = Problem(Location("specs/x.yaml", 12, 5), "what is wrong; what to do")
    assert str(problem) == "specs/x.yaml:12:5: what is wrong; what to do"
    earlier = Problem(Location("specs/x.yaml", 3, 9), "z")
    assert sorted([problem, earlier]) == [earlier, problem]


def test_pointer_text_escapes_slashes_and_tildes() -> None:
    assert pointer_text(("paths", "/v3/a~b", "get", 0)) == "/paths/~1v3~1a~0b/get/0"
    assert pointer_text(()) == ""


# ------------------------------------------------------------------------------ resolve


def test_resolve_local_and_cross_file(specs_dir: Path) -> None:
    specs = load_specs([specs_dir])
    budget = specs.documents["specs/set_budget.yaml"]
    common = specs.documents["specs/common.yaml"]
    doc, pointer, value = specs.resolve(budget, "#/components/schemas/BudgetReason")
    assert (doc, pointer) == (budget, ("components", "schemas", "BudgetReason"))
    assert value["enum"] == ["REFILL", "CUT"]
    doc, pointer, value = specs.resolve(budget, "common.yaml#/components/schemas/ErrorResponse")
    assert doc is common
    assert pointer == ("components", "schemas", "ErrorResponse")
    assert value["required"] == ["code", "message"]
    doc, pointer, value = specs.resolve(budget, "common.yaml")
    assert (doc, pointer, value) == (common, (), common.data)
    doc, pointer, value = specs.resolve(budget, f"#/paths/{BUDGET_PATH.replace('/', '~1')}")
    assert pointer == ("paths", BUDGET_PATH)
    doc, pointer, value = specs.resolve(
        budget, "common.yaml#/components/schemas/ErrorResponse/required/1"
    )
    assert (pointer[-1], value) == (1, "message")


def test_deref_follows_a_chain_across_files(specs_dir: Path) -> None:
    specs = load_specs([specs_dir])
    budget = specs.documents["specs/set_budget.yaml"]
    pointer = ("components", "securitySchemes", "merchant")
    doc, target, value = specs.deref(
        budget, pointer, budget.data["components"]["securitySchemes"]["merchant"]
    )
    assert doc.display == "specs/common.yaml"
    assert target == pointer
    assert value["x-wechatpay-auth-scheme"] == "WECHATPAY2-SHA256-RSA2048"
    assert specs.deref(budget, ("info",), budget.data["info"]) == (
        budget,
        ("info",),
        budget.data["info"],
    )


def test_deref_refuses_a_cycle(tmp_path: Path) -> None:
    spec = write(
        tmp_path / "a.yaml",
        "openapi: 3.1.0\ninfo: {title: a, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n"
        "    A:\n      $ref: '#/components/schemas/B'\n"
        "    B:\n      $ref: '#/components/schemas/A'\n",
    )
    specs = load_specs([spec])
    doc = next(iter(specs.documents.values()))
    with pytest.raises(SpecLoadError) as caught:
        specs.deref(doc, ("components", "schemas", "A"), doc.data["components"]["schemas"]["A"])
    [problem] = caught.value.problems
    assert "$ref cycle" in problem.message
    assert "/components/schemas/A -> " in problem.message


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        (
            "#/components/schemas/Nope",
            "no 'Nope' under /components/schemas in specs/set_budget.yaml",
        ),
        ("common.yaml#/components/nope/X", "no 'nope' under /components in specs/common.yaml"),
        ("missing.yaml#/x", "names a file that does not exist (specs/missing.yaml)"),
        ("https://example.com/a.yaml#/x", "points outside the spec files"),
        ("//example.com/a.yaml", "points outside the spec files"),
        ("../outside.yaml#/x", "is outside the spec folder"),
        ("#components", "only JSON-pointer fragments"),
        ("#/paths/%7Bnothing%7D", "no '{nothing}' under /paths"),
    ],
)
def test_resolve_failures_point_at_the_ref(specs_dir: Path, ref: str, message: str) -> None:
    specs = load_specs([specs_dir])
    doc = specs.documents["specs/set_budget.yaml"]
    at = ("components", "schemas", "SetBudgetRequest", "properties", "reason", "$ref")
    with pytest.raises(SpecLoadError) as caught:
        specs.resolve(doc, ref, at=at)
    [problem] = caught.value.problems
    assert problem.location == doc.location(at)
    assert message in problem.message
    assert repr(ref) in problem.message


# --------------------------------------------------------------------------- bad files


def test_missing_path_and_empty_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty").mkdir()
    assert load_problems(Path("nope.yaml"), Path("empty")) == [
        "empty:1:1: folder has no .yaml or .yml files; name a spec folder",
        "nope.yaml:1:1: no such file or folder; check the path",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "1:1: empty file; expected an OpenAPI document (a mapping)"),
        ("# only a comment\n", "1:1: empty file; expected an OpenAPI document (a mapping)"),
        ("- a\n- b\n", "1:1: the file holds a list, not a mapping;"),
        ("just text\n", "1:1: the file holds a string, not a mapping;"),
        ("name: app\n", "1:1: not an OpenAPI document (no openapi, info, paths or components key)"),
        ("openapi: 3.1.0\n---\nopenapi: 3.1.0\n", "2:1: more than one YAML document in the file"),
        ("openapi: 3.1.0\ninfo: [unclosed\n", "3:1: invalid YAML: "),
        (
            "openapi: 3.1.0\nx: !!binary aGk=\n",
            "2:4: unsupported YAML tag tag:yaml.org,2002:binary",
        ),
        ("openapi: 3.1.0\nx: !!set {a: null}\n", "2:4: unsupported YAML tag tag:yaml.org,2002:set"),
        ("openapi: 3.1.0\nx: !custom 1\n", "2:4: unsupported YAML tag !custom"),
        ("openapi: 3.1.0\nx:\n  <<: {a: 1}\n", "3:3: YAML merge keys (<<) are not supported"),
        ("openapi: 3.1.0\na: &x 1\nb: *x\n", "3:4: YAML alias *x is not supported"),
        (
            "openapi: 3.1.0\nx: \x07\n",
            "2:4: invalid YAML: control characters are not allowed (#x0007)",
        ),
    ],
)
def test_unreadable_files_give_one_positioned_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected: str
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "s.yaml", text)
    [problem] = load_problems(Path("s.yaml"))
    assert problem.startswith(f"s.yaml:{expected}"), problem
    assert "\n" not in problem


def test_duplicate_and_non_string_keys_are_all_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(
        tmp_path / "s.yaml",
        "openapi: 3.1.0\ninfo:\n  title: a\n  title: b\npaths:\n  /x:\n    get:\n      responses:\n"
        "        200:\n          description: ok\n        true: 1\n        ? [a]\n        : 2\n",
    )
    assert load_problems(Path("s.yaml")) == [
        "s.yaml:4:3: duplicate key 'title'; each key may appear once in a mapping",
        "s.yaml:9:9: mapping key 200 is not a string; write it in quotes",
        "s.yaml:11:9: mapping key True is not a string; write it in quotes",
        "s.yaml:12:11: mapping key ['a'] is not a string; write it in quotes",
    ]


def test_problems_of_several_files_come_together_sorted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "b.yaml", "openapi: [\n")
    write(tmp_path / "a.yaml", "- 1\n")
    problems = load_problems(Path("."))
    assert [p.split(":")[0] for p in problems] == ["a.yaml", "b.yaml"]


def test_non_utf8_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.yaml").write_bytes(b"openapi: 3.1.0\ninfo:\n  title: \xff\xfe\n")
    assert load_problems(Path("s.yaml")) == ["s.yaml:3:10: the file is not UTF-8; save it as UTF-8"]


def test_utf8_bom_and_chinese_text(tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_bytes("\ufeffopenapi: 3.1.0\ninfo: {title: 修改批次预算, version: '1'}\n".encode())
    doc = next(iter(load_specs([spec]).documents.values()))
    assert doc.data["info"]["title"] == "修改批次预算"
    assert doc.location(("info",)).line == 2


def test_file_over_the_cap_is_refused_without_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "big.yaml").write_bytes(b"openapi: 3.1.0\n" + b"#" * MAX_FILE_BYTES)
    assert load_problems(Path("big.yaml")) == [
        "big.yaml:1:1: file is 5.0 MB, over the 5 MB limit for a spec file; split it"
    ]


def test_nesting_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    ok = "openapi: 3.1.0\nx: " + "[" * 63 + "]" * 63 + "\n"  # root mapping + 63 = 64 levels
    write(tmp_path / "ok.yaml", ok)
    load_specs([Path("ok.yaml")])
    write(tmp_path / "deep.yaml", "openapi: 3.1.0\nx: " + "[" * 64 + "]" * 64 + "\n")
    [problem] = load_problems(Path("deep.yaml"))
    assert problem.startswith("deep.yaml:2:67: nesting deeper than 64 levels; ")


# ------------------------------------------------------------------------------ YAML data


def test_scalars_come_out_json_compatible() -> None:
    parsed = _yaml.parse_yaml(
        "a: 2025-01-01\nb: 2025-01-01T00:00:00+08:00\nc: yes\nd: 0x1F\ne: 1_000\nf: 1.5e+3\n"
        "g: ~\nh: '200'\ni: !!str 12\nj: .inf\nk: \"true\"\nl: 007\n"
    )
    assert parsed.data == {
        "a": "2025-01-01",
        "b": "2025-01-01T00:00:00+08:00",
        "c": True,
        "d": 31,
        "e": 1000,
        "f": 1500.0,
        "g": None,
        "h": "200",
        "i": "12",
        "j": float("inf"),
        "k": "true",
        "l": 7,
    }


def test_pure_python_parser_gives_the_same_result(
    specs_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fallback for a PyYAML built without libyaml behaves like the fast path."""
    fast = load_specs([specs_dir])
    monkeypatch.setattr(_yaml, "_Loader", yaml.SafeLoader)
    slow = load_specs([specs_dir])
    for name, doc in fast.documents.items():
        assert slow.documents[name].data == doc.data
        assert slow.documents[name].positions == doc.positions
        assert slow.documents[name].refs == doc.refs


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False),
    st.text(max_size=20),
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=8), _values, max_size=5), st.sampled_from([False, True]))
def test_round_trip_matches_safe_load(data: dict[str, Any], flow: bool) -> None:
    text = yaml.safe_dump(data, allow_unicode=True, default_flow_style=flow)
    parsed = _yaml.parse_yaml(text)
    assert parsed.data == yaml.safe_load(text)
    assert parsed.issues == []
