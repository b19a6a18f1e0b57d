"""diff: the usual spec changes are classed as users of the generated client feel them.

Each test copies the committed specs, makes one change to the copy (through the YAML data, so the
values come from the spec itself), and compares the two folders.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from wechatpay_codegen.cli import main
from wechatpay_codegen.diff import diff_views, next_version
from wechatpay_codegen.doccheck.spec_view import read_specs
from wechatpay_codegen.loader import load_specs

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs"
PLAN = "update_delivery_plan.yaml"
BUNDLE = "update_stock_bundle.yaml"


@pytest.fixture
def new(tmp_path: Path) -> Path:
    folder = tmp_path / "new"
    folder.mkdir()
    for spec in SPECS.glob("*.yaml"):
        shutil.copy(spec, folder / spec.name)
    return folder


def _mutate(folder: Path, file: str, change: Callable[[dict[str, Any]], None]) -> None:
    path = folder / file
    data = yaml.safe_load(path.read_text("utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")


def _schemas(data: dict[str, Any]) -> dict[str, Any]:
    schemas: dict[str, Any] = data["components"]["schemas"]
    return schemas


def _changes(old: Path, new: Path) -> list[tuple[str, str]]:
    views = [read_specs(load_specs([folder])) for folder in (old, new)]
    return [(c.kind, c.text) for c in diff_views(*views).changes]


def test_the_same_specs_have_no_changes(new: Path) -> None:
    assert _changes(SPECS, new) == []


def test_a_removed_operation_breaks_and_an_added_one_does_not(new: Path) -> None:
    (new / "modify_budget.yaml").unlink()
    assert _changes(SPECS, new) == [
        ("breaking", "operation removed (PATCH /v3/marketing/busifavor/stocks/{stock_id}/budget)")
    ]
    assert _changes(new, SPECS) == [
        ("compatible", "new operation (PATCH /v3/marketing/busifavor/stocks/{stock_id}/budget)")
    ]


def test_request_fields_removed_or_newly_required_break(new: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        content = _schemas(data)["PlanModifyContent"]["properties"]
        del content["user_limit"]
        content["channel"] = {"type": "string", "description": "【渠道】 渠道"}

    _mutate(new, PLAN, change)
    assert sorted(_changes(SPECS, new)) == [
        ("breaking", "request field `modify_content.user_limit` removed"),
        ("compatible", "new optional request field `modify_content.channel`"),
    ]

    def require(data: dict[str, Any]) -> None:
        _schemas(data)["PlanModifyContent"]["required"] = ["channel"]

    _mutate(new, PLAN, require)
    assert ("breaking", "new required request field `modify_content.channel`") in _changes(
        SPECS, new
    )


def test_a_narrowed_constraint_breaks_and_a_widened_one_does_not(new: Path) -> None:
    spec = yaml.safe_load((SPECS / PLAN).read_text("utf-8"))
    length = _schemas(spec)["PlanModifyContent"]["properties"]["plan_name"]["maxLength"]

    def narrow(data: dict[str, Any]) -> None:
        _schemas(data)["PlanModifyContent"]["properties"]["plan_name"]["maxLength"] = length - 1

    _mutate(new, PLAN, narrow)
    text = f"request field `modify_content.plan_name` maxLength {length} → {length - 1}"
    assert _changes(SPECS, new) == [("breaking", f"{text} (narrowed)")]
    widened = f"request field `modify_content.plan_name` maxLength {length - 1} → {length}"
    assert _changes(new, SPECS) == [("compatible", f"{widened} (widened)")]


def test_a_removed_request_enum_value_breaks(new: Path) -> None:
    spec = yaml.safe_load((SPECS / BUNDLE).read_text("utf-8"))
    values = _schemas(spec)["StockStoreScope"]["enum"]

    def drop(data: dict[str, Any]) -> None:
        _schemas(data)["StockStoreScope"]["enum"] = values[:-1]

    _mutate(new, BUNDLE, drop)
    changes = _changes(SPECS, new)
    assert ("breaking", f"request field `store_scope`: value `{values[-1]}` removed") in changes
    assert all(kind == "compatible" for kind, text in changes if text.startswith("response"))
    assert ("compatible", f"request field `store_scope`: new value `{values[-1]}`") in _changes(
        new, SPECS
    )


def test_a_changed_type_or_path_breaks(new: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        _schemas(data)["PlanModifyContent"]["properties"]["total_count"] = {"type": "string"}
        paths = data["paths"]
        (old_path,) = paths
        paths[old_path + "/v2"] = paths.pop(old_path)

    _mutate(new, PLAN, change)
    changes = _changes(SPECS, new)
    assert (
        "breaking",
        "request field `modify_content.total_count` type integer (int64) → string",
    ) in changes
    assert any(kind == "breaking" and text.startswith("endpoint PATCH ") for kind, text in changes)


def test_response_fields(new: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        plan = _schemas(data)["DeliveryPlan"]
        del plan["properties"]["user_limit"]
        plan["properties"]["channel"] = {"type": "string"}
        plan["required"].remove("brand_id")
        _schemas(data)["PlanState"]["enum"].append("PLAN_ARCHIVED")

    _mutate(new, PLAN, change)
    assert sorted(_changes(SPECS, new)) == [
        ("breaking", "response field `plan.brand_id` is now optional (may be None)"),
        ("breaking", "response field `plan.user_limit` removed"),
        ("compatible", "new response field `plan.channel`"),
        ("compatible", "response field `plan.plan_state`: new value `PLAN_ARCHIVED`"),
    ]


@pytest.mark.parametrize(
    ("version", "bump", "expected"),
    [
        ("1.4.2", "major", "2.0.0"),
        ("1.4.2", "minor", "1.5.0"),
        ("1.4.2", "patch", "1.4.3"),
        ("1.4.2", "none", "1.4.2"),
        ("0.1.0", "major", "0.2.0"),
        ("0.1.0", "minor", "0.1.1"),
    ],
)
def test_next_version(version: str, bump: str, expected: str) -> None:
    assert next_version(version, bump) == expected


def test_the_command_writes_markdown_and_fails_on_breaking(
    new: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (new / "modify_budget.yaml").unlink()
    args = ["diff", str(SPECS), str(new), "--current-version", "1.2.3"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("## Changes to the generated client\n")
    assert "Suggested version: 2.0.0 (from 1.2.3; breaking changes)" in out
    assert "### Breaking\n\n- `modify_budget`: operation removed" in out
    assert main([*args, "--fail-on-breaking"]) == 1
    capsys.readouterr()
    assert (
        main(["diff", str(new), str(SPECS), "--current-version", "1.2.3", "--fail-on-breaking"])
        == 0
    )
    assert "Suggested version: 1.3.0 (from 1.2.3; additions)" in capsys.readouterr().out


def _commit(repo: Path) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "specs"]):
        subprocess.run(["git", "-C", str(repo), *args], check=True, env=env)


def test_against_a_git_revision(new: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _commit(new.parent)
    (new / "submit_delivery_plan.yaml").unlink()
    assert main(["diff", "--against", "HEAD", str(new), "--fail-on-breaking"]) == 1
    assert "- `submit_delivery_plan`: operation removed" in capsys.readouterr().out


def test_the_config_table_names_the_specs_and_the_current_version(
    new: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = new.parent
    (project / "pyproject.toml").write_text(
        '[tool.wechatpay-codegen]\nspecs = "new"\noutput = "client"\nversion = "3.4.5"\n', "utf-8"
    )
    _commit(project)
    (new / "submit_delivery_plan.yaml").unlink()
    monkeypatch.chdir(project)
    assert main(["diff", "--against", "HEAD"]) == 0  # NEW is the table's specs folder
    out = capsys.readouterr().out
    assert "- `submit_delivery_plan`: operation removed" in out
    assert "Suggested version: 4.0.0 (from 3.4.5; breaking changes)" in out
    (project / "client").mkdir()  # a generated package's own version wins over the table's
    (project / "client" / "pyproject.toml").write_text(
        '[project]\nname = "x"\nversion = "3.6.0"\n', "utf-8"
    )
    assert main(["diff", "--against", "HEAD"]) == 0
    assert "Suggested version: 4.0.0 (from 3.6.0; breaking changes)" in capsys.readouterr().out


def test_bad_input_is_one_line_not_a_traceback(
    new: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diff", "--against", "no-such-revision", str(new)]) == 2
    assert main(["diff", str(new / "missing"), str(new)]) == 2
    assert main(["diff"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "no such file or folder" in err


def test_a_new_or_changed_pattern_breaks_and_a_removed_one_does_not(new: Path) -> None:
    spec = yaml.safe_load((SPECS / BUNDLE).read_text("utf-8"))
    field = _schemas(spec)["UpdateStockBundleRequest"]["properties"]["out_request_no"]
    pattern = field["pattern"]

    def drop(data: dict[str, Any]) -> None:
        del _schemas(data)["UpdateStockBundleRequest"]["properties"]["out_request_no"]["pattern"]

    _mutate(new, BUNDLE, drop)
    what = "request field `out_request_no` pattern"
    assert _changes(SPECS, new) == [("compatible", f"{what} removed")]
    assert _changes(new, SPECS) == [("breaking", f"{what} none → {pattern}")]


def test_callback_models(new: Path) -> None:
    file = "busifavor_coupon_send_notification.yaml"
    spec = yaml.safe_load((SPECS / file).read_text("utf-8"))
    (event,) = spec["webhooks"]
    resource = _schemas(spec)["BusifavorCouponSendResource"]
    needed = resource["required"][-1]

    def change(data: dict[str, Any]) -> None:
        _schemas(data)["BusifavorCouponSendResource"]["required"].remove(needed)

    _mutate(new, file, change)
    views = [read_specs(load_specs([folder])) for folder in (SPECS, new)]
    changes = [(c.operation, c.kind, c.text) for c in diff_views(*views).changes]
    assert changes == [
        (event, "breaking", f"resource field `{needed}` is now optional (may be None)")
    ]
    (new / file).unlink()
    assert (
        "breaking",
        "callback no longer described (parse_notification gives its resource as a dict)",
    ) in _changes(SPECS, new)
    assert ("compatible", "new callback model") in _changes(new, SPECS)
