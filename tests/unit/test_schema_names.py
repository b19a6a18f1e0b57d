"""Schema names are scoped to their file (CONTRIBUTING, "Schema names"): identical definitions
share one class; differing ones get distinct, deterministic names; the last file keeps the name."""

from __future__ import annotations

from pathlib import Path

import yaml
from wechatpay_codegen.build_ir import build_ir
from wechatpay_codegen.loader import load_specs

COMMON = Path(__file__).resolve().parents[1] / "fixtures" / "shapes" / "common.yaml"


def _page(name: str, thing: dict[str, object]) -> dict[str, object]:
    return {
        "openapi": "3.1.0",
        "info": {"title": name, "version": "1.0.0"},
        "paths": {
            f"/v3/{name}": {
                "get": {
                    "operationId": f"get_{name}",
                    "security": [{"merchant": []}],
                    "responses": {
                        "200": {
                            "description": "OK",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Thing"}
                                }
                            },
                        }
                    },
                }
            }
        },
        "components": {
            "securitySchemes": {
                "merchant": {"$ref": "common.yaml#/components/securitySchemes/merchant"}
            },
            "schemas": {"Thing": thing},
        },
    }


V1 = {"type": "object", "properties": {"name": {"type": "string"}}}
V2 = {"type": "object", "properties": {"name": {"type": "string", "maxLength": 8}}}


def _models(tmp_path: Path, pages: dict[str, dict[str, object]]) -> dict[str, str]:
    (tmp_path / "common.yaml").write_bytes(COMMON.read_bytes())
    for name, thing in pages.items():
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump(_page(name, thing)))
    api = build_ir(load_specs([tmp_path]))
    return {op.operation_id: str(op.response_model) for op in api.operations}


def test_identical_definitions_share_one_class(tmp_path: Path) -> None:
    assert _models(tmp_path, {"alpha": V1, "beta": V1}) == {
        "get_alpha": "Thing",
        "get_beta": "Thing",
    }


def test_the_last_file_keeps_the_name_the_others_take_their_file(tmp_path: Path) -> None:
    models = _models(tmp_path, {"alpha": V1, "beta": V2, "gamma": V1, "delta_page": V2})
    # V1 is last written in gamma.yaml, V2 in delta_page.yaml: gamma sorts last, V1 keeps "Thing";
    # V2 is named after the first file that writes it.
    assert models == {
        "get_alpha": "Thing",
        "get_gamma": "Thing",
        "get_beta": "BetaThing",
        "get_delta_page": "BetaThing",
    }


def test_adding_an_earlier_page_renames_nothing_that_existed(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    before = _models(tmp_path / "one", {"update_page": V1})
    after = _models(tmp_path / "two", {"update_page": V1, "create_page": V2})
    assert before["get_update_page"] == after["get_update_page"] == "Thing"
    assert after["get_create_page"] == "CreatePageThing"
