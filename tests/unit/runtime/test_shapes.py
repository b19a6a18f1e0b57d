"""Every shape of page, in the runtime: query strings, uploads, sensitive fields, file answers."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import re
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from . import rt
from .conftest import WECHATPAY_KEY_ID, KeyPair, MakeClient
from .server import Reply, SignedServer

OAEP = padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)


def op(**kwargs: Any) -> Any:
    base: dict[str, Any] = {
        "operation_id": "x",
        "method": "GET",
        "path": "/v3/things/{id}",
        "auth_scheme": "merchant",
        "has_body": False,
    }
    return rt.client.Operation(**{**base, **kwargs})


# -- query strings ------------------------------------------------------------------------------


def test_query_is_encoded_in_declared_order() -> None:
    encode = rt.request.encode_query
    assert encode([("b", "x y"), ("a", 1), ("c", None), ("d", True), ("e", False)]) == (
        "b=x%20y&a=1&d=true&e=false"
    )
    assert encode([("q", "券-._~/?&=#+")]) == "q=%E5%88%B8-._~%2F%3F%26%3D%23%2B"
    assert encode([("q", None)]) == ""
    with pytest.raises(rt.errors.RequestValidationError, match="q: query parameter must be"):
        encode([("q", 1.5)])


def test_signature_covers_path_and_query_as_sent(
    make_client: MakeClient, server: SignedServer
) -> None:
    client = make_client()
    client._request(
        op(),
        path_params={"id": "a/b"},
        body=None,
        query=[("offset", 0), ("limit", 10), ("state", "已 发"), ("skip", None), ("all", True)],
    )
    [request] = server.requests
    assert (
        request.target == "/v3/things/a%2Fb?offset=0&limit=10&state=%E5%B7%B2%20%E5%8F%91&all=true"
    )
    assert request.signature_valid
    assert request.body == b""


# -- uploads ------------------------------------------------------------------------------------


def test_upload_signs_the_meta_json_as_sent(
    make_client: MakeClient,
    server: SignedServer,
) -> None:
    data = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    meta = {"filename": "券.png", "sha256": rt.upload.file_sha256(data)}
    upload = rt.upload.make_upload(meta, data)
    client = make_client()
    client._request(
        op(method="POST", path="/v3/merchant/media/upload", multipart=True),
        path_params={},
        body=None,
        upload=upload,
    )
    [request] = server.requests
    content_type = request.headers["content-type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + request.body
    )
    parts = {
        part.get_param("name", header="content-disposition"): part for part in message.iter_parts()
    }
    meta_part = parts["meta"].get_payload(decode=True)
    assert isinstance(meta_part, bytes)
    file_part = parts["file"]
    assert json.loads(meta_part) == meta
    assert meta_part == upload.meta
    assert file_part.get_payload(decode=True) == data
    assert file_part.get_content_type() == "image/png"
    assert hashlib.sha256(data).hexdigest() == meta["sha256"]
    # The server's check signs the whole body; WeChat Pay signs only the meta part.
    assert not request.signature_valid
    server.requests.clear()
    server_message = b"POST\n/v3/merchant/media/upload\n%s\n%s\n%s\n" % (
        request.timestamp.encode(),
        request.nonce.encode(),
        meta_part,
    )
    server.client_public_key.verify(
        base64.b64decode(request.auth["signature"]),
        server_message,
        padding.PKCS1v15(),
        hashes.SHA256(),
    )


@pytest.mark.parametrize("form", ["bytes", "path", "file", "bytearray"])
def test_file_accepts_bytes_path_and_binary_file(tmp_path: Path, form: str) -> None:
    data = b"GIF89a..."
    path = tmp_path / "a.gif"
    path.write_bytes(data)
    value: Any = {
        "bytes": data,
        "path": str(path),
        "file": io.BytesIO(data),
        "bytearray": bytearray(data),
    }[form]
    assert rt.upload.read_file(value) == data


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"", "the file is empty"),
        ("/no/such/file.png", "cannot read the file"),
        (io.StringIO("text"), "open it with 'rb'"),
        (12, "must be bytes, a path or a binary file object, got int"),
    ],
)
def test_bad_files_are_named(value: Any, reason: str) -> None:
    with pytest.raises(rt.errors.RequestValidationError) as caught:
        rt.upload.read_file(value)
    assert caught.value.path == "file"
    assert reason in caught.value.reason


def test_file_names_cannot_break_the_part_header() -> None:
    for name in ('a".png', "a\r\nX: y.png", "a\\b.png", ""):
        with pytest.raises(rt.errors.RequestValidationError, match="filename"):
            rt.upload.make_upload({"filename": name, "sha256": "0" * 64}, b"x")


# -- sensitive fields ---------------------------------------------------------------------------

SENSITIVE_OP = {
    "operation_id": "transfer",
    "method": "POST",
    "path": "/v3/transfer/batches",
    "has_body": True,
    "sensitive_request": (("user_name",), ("details", None, "user_name")),
    "sensitive_response": (("user_name",),),
}


def test_sensitive_fields_are_encrypted_and_decrypted(
    make_client: MakeClient,
    server: SignedServer,
    wechatpay_key: KeyPair,
    merchant_key: KeyPair,
) -> None:
    secret = "张三"
    encrypted_for_us = base64.b64encode(
        merchant_key.private.public_key().encrypt(secret.encode(), OAEP)
    ).decode()
    server.script(Reply(body=json.dumps({"user_name": encrypted_for_us, "n": 1}).encode()))
    client = make_client()
    body = {"user_name": secret, "details": [{"user_name": "李四", "amount": 1}, {"amount": 2}]}
    response = client._request(op(**SENSITIVE_OP), path_params={}, body=body)
    [request] = server.requests
    assert request.signature_valid
    assert request.headers["wechatpay-serial"] == WECHATPAY_KEY_ID
    sent = json.loads(request.body)
    assert secret.encode() not in request.body and "李四".encode() not in request.body
    assert wechatpay_key.private.decrypt(base64.b64decode(sent["user_name"]), OAEP) == (
        secret.encode()
    )
    detail = sent["details"][0]
    assert wechatpay_key.private.decrypt(base64.b64decode(detail["user_name"]), OAEP) == (
        "李四".encode()
    )
    assert sent["details"][1] == {"amount": 2}
    assert body["user_name"] == secret  # the caller's mapping is left alone
    assert response.json() == {"user_name": secret, "n": 1}


def test_undecryptable_sensitive_answer_is_an_error_without_data(
    make_client: MakeClient, server: SignedServer
) -> None:
    server.script(Reply(body=b'{"user_name":"bm90IGVuY3J5cHRlZA=="}'))
    client = make_client()
    with pytest.raises(rt.errors.APIResponseValidationError) as caught:
        client._request(op(**SENSITIVE_OP), path_params={}, body={"user_name": "x"})
    assert "user_name could not be decrypted" in str(caught.value)
    assert "not encrypted" not in str(caught.value)


def test_missing_encryption_key_is_a_configuration_error_before_sending(
    make_client: MakeClient, server: SignedServer
) -> None:
    client = make_client()
    client._encryption_key = None  # a client with no WeChat Pay public key to encrypt with
    with pytest.raises(rt.errors.ConfigurationError, match="wechatpay_public_key"):
        client._request(op(**SENSITIVE_OP), path_params={}, body={"user_name": "张三"})
    assert server.requests == []


def test_too_long_sensitive_value_is_refused(make_client: MakeClient, server: SignedServer) -> None:
    client = make_client()
    with pytest.raises(rt.errors.RequestValidationError, match="user_name: too long"):
        client._request(op(**SENSITIVE_OP), path_params={}, body={"user_name": "x" * 300})
    assert server.requests == []


# -- file answers -------------------------------------------------------------------------------

BILL_OP = {"path": "/v3/billdownload/file", "unsigned_statuses": frozenset({200})}


def test_unsigned_file_answer_skips_verification(
    make_client: MakeClient, server: SignedServer
) -> None:
    bill = gzip.compress("交易时间,金额\n2025-01-01,1.00\n".encode())
    server.script(
        Reply(body=bill, sign=False, headers={"Content-Type": "application/octet-stream"})
    )
    client = make_client()
    response = client._request(op(**BILL_OP), path_params={}, body=None, query=[("token", "t")])
    assert response.content == bill


def test_unsigned_marking_never_skips_a_json_answer(
    make_client: MakeClient, server: SignedServer
) -> None:
    server.script(Reply(body=b'{"forged":true}', sign=False))
    client = make_client()
    with pytest.raises(rt.errors.SignatureVerificationError):
        client._request(op(**BILL_OP), path_params={}, body=None)


def test_unmarked_file_answer_is_verified(make_client: MakeClient, server: SignedServer) -> None:
    server.script(
        Reply(body=b"\x1f\x8b...", sign=False, headers={"Content-Type": "application/gzip"})
    )
    client = make_client()
    with pytest.raises(rt.errors.SignatureVerificationError):
        client._request(op(path="/v3/billdownload/file"), path_params={}, body=None)


def test_per_call_size_limit(make_client: MakeClient, server: SignedServer) -> None:
    server.script(Reply(body=b"x" * 2048, sign=False, headers={"Content-Type": "text/csv"}))
    client = make_client(max_response_bytes=1024)
    response = client._request(op(**BILL_OP), path_params={}, body=None, max_response_bytes=4096)
    assert len(response.content) == 2048


def test_bill_helper_checks_the_hash_and_unpacks(tmp_path: Path) -> None:
    text = "交易时间,金额\n".encode() + b"2025-01-01,1.00\n" * 50000
    packed = gzip.compress(text)
    digest = hashlib.sha1(packed).hexdigest()
    bills = rt.bills
    assert bills.read_bill(packed, hash_type="SHA1", hash_value=digest.upper(), gzip=True) == text
    assert bills.read_bill(packed, hash_type="SHA1", hash_value=digest) is packed
    out = tmp_path / "bill.csv"
    assert bills.save_bill(packed, out, hash_type="SHA1", hash_value=digest, gzip=True) == len(text)
    assert out.read_bytes() == text
    sink = io.BytesIO()
    assert bills.save_bill(
        text, sink, hash_type="SHA256", hash_value=hashlib.sha256(text).hexdigest()
    ) == len(text)
    assert sink.getvalue() == text

    with pytest.raises(bills.BillIntegrityError, match="does not match"):
        bills.read_bill(packed[:-1], hash_type="SHA1", hash_value=digest)
    with pytest.raises(bills.BillIntegrityError, match="unsupported hash_type"):
        bills.read_bill(packed, hash_type="CRC32", hash_value=digest)
    broken = packed[:-20]
    with pytest.raises(bills.BillIntegrityError, match=r"truncated|not valid GZIP"):
        bills.save_bill(
            broken, out, hash_type="SHA1", hash_value=hashlib.sha1(broken).hexdigest(), gzip=True
        )
    assert out.read_bytes() == text  # the earlier file is left as it was
    assert not list(tmp_path.glob("*.part"))
    assert isinstance(bills.BillIntegrityError("x"), rt.errors.WeChatPayError)
    assert re.fullmatch(r"[0-9a-f]{40}", digest)
