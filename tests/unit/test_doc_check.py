"""doc-check: the committed pages agree with the specs; each kind of page change is found.

Every test copies the committed specs and pages to a temporary folder, changes one thing on a page
(as the doc site would), and expects exactly the difference that change makes, placed at the page
line it is on and at the spec's file:line:col read from the spec itself. Values the specs hold (a
field's length) are read from the spec, so a routine spec edit (with its page) breaks none of this.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from wechatpay_codegen.cli import main
from wechatpay_codegen.doccheck import ANNOTATION, check_docs
from wechatpay_codegen.doccheck.page import PageFormatError, read_page, unnumber
from wechatpay_codegen.loader import load_specs
from wechatpay_codegen.protocol import EXTENSIONS

ROOT = Path(__file__).resolve().parents[2]
# The project's specs, or an edited copy of them (tests/unit/test_spec_edits.py).
SPECS = Path(os.environ.get("WECHATPAY_TEST_SPECS") or ROOT / "specs")
PAGES = SPECS / "pages"


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    for spec in SPECS.glob("*.yaml"):
        shutil.copy(spec, tmp_path / spec.name)
    shutil.copytree(PAGES, tmp_path / "pages")
    return tmp_path


def _copy_of(folder: Path, spec: str, page: str) -> Path:
    """Only ``common.yaml``, one spec file and its page: what another file holds cannot matter."""
    for name in ("common.yaml", spec):
        shutil.copy(SPECS / name, folder / name)
    (folder / "pages").mkdir()
    shutil.copy(PAGES / page, folder / "pages" / page)
    return folder


def _edit(path: Path, old: str, new: str) -> int:
    """Replace one occurrence; the 1-based line where the new text starts."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    at = text.index(old)
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text.count("\n", 0, at) + 1


def _spec_location(folder: Path, file: str, *pointer: str | int) -> str:
    doc = next(d for d in load_specs([folder]).documents.values() if d.path.name == file)
    return str(doc.location(pointer)).split(":", 1)[1]  # line:col


def _only(folder: Path) -> tuple[str, str]:
    result = check_docs(folder / "pages", folder)
    assert not result.problems, result.problems
    assert len(result.differences) == 1, [str(d) for d in result.differences]
    difference = result.differences[0]
    return difference.kind, str(difference)


BODY = ("components", "schemas", "UpdateStockBundleRequest", "properties")


def _remark_length(folder: Path) -> int:
    """update_stock_bundle's body.remark maxLength, as the spec says (the page agrees)."""
    doc = next(d for d in load_specs([folder]).documents.values() if d.path.name == BUNDLE_SPEC)
    length: Any = doc.data
    for key in (*BODY, "remark", "maxLength"):
        length = length[key]
    assert isinstance(length, int)
    return length


BUNDLE_SPEC = "update_stock_bundle.yaml"


def test_committed_pages_agree_with_the_specs() -> None:
    result = check_docs(PAGES, SPECS)
    assert result.ok, result.lines()
    assert result.pages == len(list(PAGES.glob("*.txt")))
    assert result.acknowledged > 0  # the specs' recorded decisions are annotations


def test_a_changed_length_is_found(copy: Path) -> None:
    page = copy / "pages" / "update-stock-bundle.txt"
    length = _remark_length(copy)
    line = _edit(page, f"remark 选填 string({length})\n", f"remark 选填 string({length + 12})\n")
    kind, text = _only(copy)
    assert kind == "max-length"
    assert f"update-stock-bundle.txt:{line}: " in text
    assert f"body.remark maxLength: page {length + 12}, spec {length}" in text
    where = _spec_location(copy, "update_stock_bundle.yaml", *BODY, "remark", "maxLength")
    assert f"update_stock_bundle.yaml:{where}" in text


def test_an_added_field_is_found(copy: Path) -> None:
    page = copy / "pages" / "update-stock-bundle.txt"
    line = _edit(
        page,
        "brand_id 必填 string\n【品牌ID】",
        "coupon_tag 选填 string(12)\n【券标签】 新字段\nbrand_id 必填 string\n【品牌ID】",
    )
    kind, text = _only(copy)
    assert kind == "field-added"
    assert f":{line}: body.coupon_tag (选填 string) is on the page, not in the spec" in text
    where = _spec_location(copy, "update_stock_bundle.yaml", *BODY)
    assert f"update_stock_bundle.yaml:{where}" in text


def test_a_removed_enum_value_is_found(copy: Path) -> None:
    page = copy / "pages" / "update-stock-bundle.txt"
    _edit(
        page,
        "SPECIFIC: 特定门店可用,品牌需调用关联门店接口关联门店,关联后该批次在关联的门店可用",
        "",
    )
    kind, text = _only(copy)
    assert kind == "enum-removed"
    assert "body.store_scope: enum value SPECIFIC is in the spec, not on the page" in text


def test_a_new_error_code_is_found(copy: Path) -> None:
    page = copy / "pages" / "modify-budget.txt"
    row = "403 | NO_AUTH | 商户无权限 | 请确认商户已开通该功能 |"
    line = _edit(
        page,
        "404 | RESOURCE_NOT_EXISTS | 批次不存在",
        f"{row}\n404 | RESOURCE_NOT_EXISTS | 批次不存在",
    )
    kind, text = _only(copy)
    assert kind == "error-code-added"
    assert f":{line}: error code 403 NO_AUTH: 商户无权限 is on the page, not in the spec" in text
    where = _spec_location(
        copy,
        "modify_budget.yaml",
        "paths",
        "/v3/marketing/busifavor/stocks/{stock_id}/budget",
        "patch",
        "responses",
        "403",
        "x-wechatpay-error-codes",
    )
    assert f"modify_budget.yaml:{where}" in text


def test_a_changed_path_is_found(tmp_path: Path) -> None:
    # The page is then matched by its title, which another spec file might share: not here.
    copy = _copy_of(tmp_path, "modify_budget.yaml", "modify-budget.txt")
    page = copy / "pages" / "modify-budget.txt"
    old = "/v3/marketing/busifavor/stocks/{stock_id}/budget"
    line = _edit(page, f"【PATCH】{old}\n", f"【PATCH】{old}-limit\n")
    kind, text = _only(copy)
    assert kind == "path"
    assert f":{line}: path: page {old}-limit, spec {old}" in text
    assert f"modify_budget.yaml:{_spec_location(copy, 'modify_budget.yaml', 'paths', old)}" in text


def test_required_type_auth_and_name_changes_are_found(copy: Path) -> None:
    page = copy / "pages" / "update-stock-bundle.txt"
    length = _remark_length(copy)
    _edit(page, f"remark 选填 string({length})\n", f"remark 必填 string({length})\n")
    _edit(page, "brand_id 必填 string\n【品牌ID】", "brand_id 必填 integer\n【品牌号】")
    _edit(page, "支持商户:【普通服务商】", "支持商户:【品牌商户】")
    result = check_docs(copy / "pages", copy)
    kinds = sorted((d.kind, d.subject or "") for d in result.differences)
    assert kinds == [
        ("auth", ""),
        ("gist", "body.brand_id"),
        ("required", "body.remark"),
        ("type", "body.brand_id"),
    ]


def test_an_annotation_whose_difference_is_gone_is_reported(copy: Path) -> None:
    """The spec's example now says what the page's does: its acknowledgement is stale."""
    _edit(
        copy / "modify_budget.yaml",
        "              current_max_coupons: 500\n",
        "              current_max_coupons: 500\n"
        "              target_max_coupons_by_day: 500\n"
        "              current_max_coupons_by_day: 300\n",
    )
    result = check_docs(copy / "pages", copy)
    assert not result.differences
    assert len(result.problems) == 1
    assert "x-wechatpay-doc-differs acknowledges a example request difference" in result.problems[0]
    assert "modify_budget.yaml:" in result.problems[0]


def test_an_unannotated_spec_decision_is_a_difference(copy: Path) -> None:
    spec = copy / "modify_budget.yaml"
    text = spec.read_text(encoding="utf-8")
    start = text.index("            x-wechatpay-doc-differs:")
    end = text.index("      responses:", start)
    spec.write_text(text[:start] + text[end:], encoding="utf-8")
    kind, text = _only(copy)
    assert kind == "example"
    assert "request example differs at /target_max_coupons_by_day: page 500, spec absent" in text


def test_a_page_in_another_form_is_refused_by_name(copy: Path) -> None:
    (copy / "pages" / "notes.txt").write_text("<html><body>修改批次预算</body></html>\n")
    result = check_docs(copy / "pages", copy)
    assert not result.differences
    assert len(result.problems) == 1
    assert "notes.txt:1:" in result.problems[0]
    assert "请求方式" in result.problems[0]
    with pytest.raises(PageFormatError, match=r"notes\.txt"):
        read_page(copy / "pages" / "notes.txt")


def test_the_command_exits_1_with_one_line_per_difference(
    copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = copy / "pages" / "update-stock-bundle.txt"
    length = _remark_length(copy)
    _edit(page, f"remark 选填 string({length})\n", f"remark 选填 string({length + 12})\n")
    code = main(["doc-check", "--docs", str(copy / "pages"), "--specs", str(copy)])
    out, err = capsys.readouterr()
    assert code == 1
    assert len(out.splitlines()) == 1
    assert "1 difference(s)" in err
    assert "Traceback" not in out + err
    assert main(["doc-check", "--docs", str(PAGES), "--specs", str(SPECS)]) == 0


def test_numbered_listings_are_split_back_into_lines() -> None:
    assert unnumber('1{ 2 "a" : 1, 3 "b" : 11 4}') == ["{", '"a" : 1,', '"b" : 11', "}"]
    assert unnumber("1package x; 2 3import y;") == ["package x;", "", "import y;"]


def test_a_range_in_the_gist_is_compared(copy: Path) -> None:
    page = copy / "pages" / "modify-budget.txt"
    gist = "【目标批次最大发放个数】批次最大发放个数,"
    line = _edit(page, gist, f"{gist}取值范围:1-100000,")
    result = check_docs(copy / "pages", copy)
    found = sorted((d.kind, d.subject, d.page_line) for d in result.differences)
    subject = "body.target_max_coupons"
    assert found == [("maximum", subject, line - 1), ("minimum", subject, line - 1)]


def test_a_field_added_inside_a_nested_table_is_found(copy: Path) -> None:
    page = copy / "pages" / "update-delivery-plan.txt"
    _edit(
        page,
        "recommend_word 选填 string(9) 【投放计划推荐语】",
        "plan_tag 选填 string(8) 【标签】 标签 recommend_word 选填 string(9) 【投放计划推荐语】",
    )
    kind, text = _only(copy)
    assert kind == "field-added"
    assert "body.modify_content.plan_tag (选填 string) is on the page" in text
    where = _spec_location(
        copy,
        "update_delivery_plan.yaml",
        "components",
        "schemas",
        "PlanModifyContent",
        "properties",
    )
    assert f"update_delivery_plan.yaml:{where}" in text


def test_the_annotation_is_a_known_extension() -> None:
    assert ANNOTATION in EXTENSIONS
    assert {"schema", "media-type", "response", "operation"} <= set(EXTENSIONS[ANNOTATION].places)


def test_a_malformed_annotation_is_a_problem_at_its_place(copy: Path) -> None:
    spec = copy / "modify_budget.yaml"
    line = _edit(
        spec, "              - difference: example\n", "              - differnce: example\n"
    )
    result = check_docs(copy / "pages", copy)
    assert any(f"modify_budget.yaml:{line}:" in p and "{difference" in p for p in result.problems)
    assert [d.kind for d in result.differences] == ["example"]  # no longer acknowledged


def test_a_page_without_a_spec_and_a_broken_example_are_named(copy: Path) -> None:
    page = copy / "pages" / "modify-budget.txt"
    _edit(
        page, "请求方式:【PATCH】/v3/marketing/busifavor", "请求方式:【PATCH】/v3/marketing/other"
    )
    _edit(page, "修改批次预算\n", "修改其他预算\n")
    broken = copy / "pages" / "update-delivery-plan.txt"
    line = _edit(broken, '1{ 2 "plan" : {', '1{ 2 "plan" : {{')
    result = check_docs(copy / "pages", copy)
    assert len(result.problems) == 2, result.problems
    problems = "\n".join(result.problems)
    assert "modify-budget.txt:5: no operation in" in problems
    assert f"update-delivery-plan.txt:{line}: the example is not JSON" in problems


def test_operations_without_a_page_are_listed_not_failed(copy: Path) -> None:
    before = check_docs(copy / "pages", copy).without_page  # specs written with no saved page
    (copy / "pages" / "modify-budget.txt").unlink()
    result = check_docs(copy / "pages", copy)
    assert result.ok, result.lines()
    assert result.without_page == sorted([*before, "modify_budget"])
