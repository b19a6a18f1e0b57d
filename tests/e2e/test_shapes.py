"""Every shape of page, end to end: the fixture corpus in ``tests/fixtures/shapes`` (twelve real
WeChat Pay pages, written from the public SDKs' definitions) is generated into a project,
pip-installed from it, checked with ``mypy --strict`` as installed, imported from where it was
installed, and each operation is called against a sandbox built from the same specs, with the
blocking and the asyncio client.

Expected values come from the specs themselves: the arguments are the parameters' and the request
body's examples, the answers are the response examples.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote

import pytest
from wechatpay_codegen.loader import SpecSet, load_specs
from wechatpay_codegen.sandbox import Sandbox

from .shapes_package import FIXTURE, PACKAGE, install_corpus

VENV_BIN = Path(sys.executable).parent
# A small PNG-like file for the upload (the sandbox checks its SHA-256, not its pixels).
IMAGE = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


@pytest.fixture(scope="module")
def specs() -> SpecSet:
    return load_specs([FIXTURE])


@pytest.fixture(scope="module")
def package_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The folder the corpus was pip-installed into, put on ``sys.path`` for the tests."""
    site = tmp_path_factory.mktemp("shapes-site")
    install_corpus(tmp_path_factory.mktemp("shapes-project"), site)
    sys.path.insert(0, str(site))
    yield site
    sys.path.remove(str(site))
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]


@pytest.fixture(scope="module")
def pkg(package_dir: Path) -> ModuleType:
    module = importlib.import_module(PACKAGE)
    # The installed copy, not the generated project's (which is not on sys.path).
    assert Path(module.__file__ or "").resolve().is_relative_to(package_dir.resolve())
    return module


@pytest.fixture(scope="module")
def sandbox(specs: SpecSet, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with Sandbox(specs, keys_dir=tmp_path_factory.mktemp("shapes-keys")) as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh(sandbox: Sandbox) -> None:
    sandbox.clear()


def _operations(specs: SpecSet) -> dict[str, Any]:
    """operationId -> the operation's spec-model object."""
    return {op.operation_id: op for op in specs.model().operations}


def _spec() -> SpecSet:
    return load_specs([FIXTURE])


OPERATION_IDS = sorted(_operations(_spec()))


def _arguments(op: Any) -> dict[str, Any]:
    """Keyword arguments from the spec's examples (path, query, body, or the upload)."""
    kwargs: dict[str, Any] = {}
    for param in op.all_parameters():
        if param.where in ("path", "query") and param.example is not None:
            kwargs[param.name] = param.example
    body = op.request_body
    if body is not None:
        media = body.media()
        if media is not None:
            found, example = media.example
            assert found, op.operation_id
            kwargs.update(example)
        else:  # the upload
            kwargs.update(file=IMAGE, filename="券.png")
    return kwargs


def _expected(op: Any) -> Any:
    """What the method returns, from the success response's example."""
    for response in op.responses:
        if not response.status.startswith("2"):
            continue
        if not response.content:
            return None
        media = response.content[0]
        found, example = media.example
        assert found
        return example.encode() if isinstance(example, str) else example
    raise AssertionError(op.operation_id)


def _result(value: Any) -> Any:
    return value.to_dict() if hasattr(value, "to_dict") else value


def test_the_corpus_covers_every_shape(specs: SpecSet) -> None:
    ops = _operations(specs)
    assert len(ops) >= 12
    queries = {
        op_id: {
            p.name: p.schema.resolve()[0].get("type")
            for p in op.all_parameters()
            if p.where == "query"
        }
        for op_id, op in ops.items()
    }
    kinds = {kind for params in queries.values() for kind in params.values()}
    assert {"string", "integer", "boolean"} <= kinds
    assert any(
        p.schema.resolve()[0].has("enum")
        for op in ops.values()
        for p in op.all_parameters()
        if p.where == "query"
    )
    assert any(op.method == "delete" and queries[i] for i, op in ops.items())
    assert sum(1 for op in ops.values() if any(r.status == "204" for r in op.responses)) >= 2
    assert any(
        not op.all_parameters() and op.request_body is None and op.method == "get"
        for op in ops.values()
    )
    assert any(
        op.request_body is not None and op.request_body.media("multipart/form-data")
        for op in ops.values()
    )
    text = "\n".join(p.read_text() for p in FIXTURE.glob("*.yaml"))
    assert "x-wechatpay-sensitive: true" in text and "x-wechatpay-unsigned: true" in text


def test_the_installed_package_is_typed_and_mypy_strict_clean(package_dir: Path) -> None:
    assert (package_dir / PACKAGE / "py.typed").is_file()
    dist_info = [p.name for p in package_dir.glob("*.dist-info")]
    assert len(dist_info) == 1 and dist_info[0].startswith(PACKAGE), dist_info
    result = subprocess.run(
        [str(VENV_BIN / "mypy"), "--strict", "--no-incremental", "-p", PACKAGE],
        cwd=package_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("operation_id", OPERATION_IDS)
def test_each_operation_sync(
    pkg: ModuleType, sandbox: Sandbox, specs: SpecSet, operation_id: str
) -> None:
    op = _operations(specs)[operation_id]
    with pkg.WeChatPayClient(**sandbox.merchant_config()) as client:
        result = getattr(client, operation_id)(**_arguments(op))
    assert _result(result) == _expected(op)
    [request] = sandbox.requests
    assert request.status is not None and 200 <= request.status < 300


@pytest.mark.parametrize("operation_id", OPERATION_IDS)
async def test_each_operation_async(
    pkg: ModuleType, sandbox: Sandbox, specs: SpecSet, operation_id: str
) -> None:
    op = _operations(specs)[operation_id]
    async with pkg.AsyncWeChatPayClient(**sandbox.merchant_config()) as client:
        result = await getattr(client, operation_id)(**_arguments(op))
    assert _result(result) == _expected(op)


def test_query_goes_out_in_declared_order_encoded_and_signed(
    pkg: ModuleType, sandbox: Sandbox
) -> None:
    with pkg.WeChatPayClient(**sandbox.merchant_config()) as client:
        client.list_favor_stocks(
            offset=0,
            limit=10,
            stock_creator_mchid="98 56/888",
            status=pkg.FavorStockStatus.RUNNING,
            create_start_time="2015-05-20T13:29:35+08:00",
        )
        client.get_transfer_batch_by_no(
            batch_id="1030000071100999991182020050700019480001", need_query_detail=False
        )
    first, second = sandbox.requests
    assert first.target == (
        "/v3/marketing/favor/stocks?offset=0&limit=10&stock_creator_mchid="
        + quote("98 56/888", safe="")
        + "&create_start_time=2015-05-20T13%3A29%3A35%2B08%3A00&status=running"
    )
    assert second.target.endswith("?need_query_detail=false")
    assert first.status == second.status == 200  # the sandbox verified both signatures


def test_upload_sends_the_file_and_signs_meta(
    pkg: ModuleType, sandbox: Sandbox, tmp_path: Path
) -> None:
    path = tmp_path / "a.png"
    path.write_bytes(IMAGE)
    with pkg.WeChatPayClient(**sandbox.merchant_config()) as client:
        from_path = client.upload_image(file=path, filename="a.png")
        with path.open("rb") as handle:
            from_file = client.upload_image(file=handle, filename="a.png")
    assert from_path == from_file
    for request in sandbox.requests:
        assert request.status == 200
        assert hashlib.sha256(IMAGE).hexdigest().encode() in request.body
        assert IMAGE in request.body


def test_sensitive_fields_never_go_out_in_plaintext(pkg: ModuleType, sandbox: Sandbox) -> None:
    op = _operations(_spec())["initiate_batch_transfer"]
    kwargs = _arguments(op)
    name = kwargs["transfer_detail_list"][0]["user_name"]
    with pkg.WeChatPayClient(**sandbox.merchant_config()) as client:
        client.initiate_batch_transfer(**kwargs)
        detail = client.get_transfer_detail_by_no(batch_id="1", detail_id="2")
    sent, answered = sandbox.requests
    assert sent.status == 200  # the sandbox decrypted the name and checked it against the schema
    assert name.encode() not in sent.body
    cipher = json.loads(sent.body)["transfer_detail_list"][0]["user_name"]
    assert len(base64.b64decode(cipher)) == 256
    assert sent.headers.get("Wechatpay-Serial") == sandbox.keys.wechatpay_public_key_id
    assert "张三".encode() not in answered.response_body  # encrypted for the merchant's key
    assert detail.user_name == "张三"


def test_unsigned_bill_is_returned_as_bytes_and_checked(pkg: ModuleType, sandbox: Sandbox) -> None:
    with pkg.WeChatPayClient(**sandbox.merchant_config()) as client:
        content = client.download_bill(token="xxx")
    [request] = sandbox.requests
    assert "Wechatpay-Signature" not in request.response_headers
    digest = hashlib.sha1(content).hexdigest()
    assert pkg.read_bill(content, hash_type="SHA1", hash_value=digest) is content
    with pytest.raises(pkg.BillIntegrityError):
        pkg.read_bill(content, hash_type="SHA1", hash_value="0" * 40)


# -- bad input ----------------------------------------------------------------------------------


def test_a_query_value_breaking_its_schema_is_refused_before_sending(
    pkg: ModuleType, sandbox: Sandbox
) -> None:
    with pkg.WeChatPayClient(**sandbox.merchant_config()) as client:
        with pytest.raises(pkg.RequestValidationError) as caught:
            client.list_favor_stocks(offset=0, limit=11, stock_creator_mchid="1")
        assert caught.value.path == "limit"
        with pytest.raises(pkg.RequestValidationError) as caught:
            client.list_favor_stocks(offset=0, limit=1, stock_creator_mchid="1", status="open")
        assert caught.value.path == "status"
        with pytest.raises(pkg.RequestValidationError) as caught:
            client.get_transfer_batch_by_no(batch_id="1", need_query_detail="yes")
        assert caught.value.path == "need_query_detail"
    assert sandbox.requests == []


def test_the_sandbox_names_a_bad_query_parameter(pkg: ModuleType, sandbox: Sandbox) -> None:
    with pkg.WeChatPayClient(**sandbox.merchant_config()) as client:
        with pytest.raises(pkg.BadRequestError) as caught:
            client._request(  # past the client's checks: limit out of range, signed correctly
                pkg._operations.LIST_FAVOR_STOCKS,
                path_params={},
                body=None,
                query=[("offset", 0), ("limit", 99), ("stock_creator_mchid", "1")],
            )
    assert caught.value.code == "PARAM_ERROR"
    assert caught.value.detail["field"] == "limit"


def test_an_empty_file_is_refused(pkg: ModuleType, sandbox: Sandbox) -> None:
    with pkg.WeChatPayClient(**sandbox.merchant_config()) as client:
        with pytest.raises(pkg.RequestValidationError) as caught:
            client.upload_image(file=b"", filename="a.png")
    assert caught.value.path == "file" and "empty" in caught.value.reason
    assert sandbox.requests == []


def test_no_key_for_a_sensitive_field_is_a_configuration_error(
    pkg: ModuleType, sandbox: Sandbox
) -> None:
    """A client in platform-certificate mode (the APIv3 key, no WeChat Pay public key) has no
    key to encrypt a sensitive field with: refused before anything is sent (not even the
    certificate download)."""
    kwargs = _arguments(_operations(_spec())["initiate_batch_transfer"])
    config = sandbox.merchant_config(verification="certificate")
    assert "wechatpay_public_key" not in config
    with pkg.WeChatPayClient(**config) as client:
        assert client.verification_mode == "certificate"
        with pytest.raises(pkg.ConfigurationError, match="wechatpay_public_key") as caught:
            client.initiate_batch_transfer(**kwargs)
    assert kwargs["transfer_detail_list"][0]["user_name"] not in str(caught.value)
    assert sandbox.requests == []


async def test_no_key_for_a_sensitive_field_is_a_configuration_error_async(
    pkg: ModuleType, sandbox: Sandbox
) -> None:
    kwargs = _arguments(_operations(_spec())["initiate_batch_transfer"])
    async with pkg.AsyncWeChatPayClient(
        **sandbox.merchant_config(verification="certificate")
    ) as client:
        with pytest.raises(pkg.ConfigurationError, match="wechatpay_public_key"):
            await client.initiate_batch_transfer(**kwargs)
    assert sandbox.requests == []


def test_a_non_json_answer_on_a_json_operation_is_a_typed_error(
    pkg: ModuleType, sandbox: Sandbox
) -> None:
    with pkg.WeChatPayClient(**sandbox.merchant_config()) as client:
        with pytest.raises(pkg.APIResponseValidationError):
            client.download_certificates(extra_headers={"X-Sandbox-Fault": "not-json"})
