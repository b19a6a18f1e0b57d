"""The sandbox's side of the page shapes beyond JSON bodies: query strings, uploads, sensitive
fields (ARCHITECTURE, "Every shape of WeChat Pay APIv3 page").

Pure functions of (operation, input): each returns the 400 to answer, or what it read.
"""

from __future__ import annotations

import base64
import binascii
import email.parser
import email.policy
import hashlib
import hmac
import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .checks import Problem400
from .operations import FieldPath, QueryParam, UploadSpec
from .schemas import first_violation

__all__ = [
    "decrypt_fields",
    "encrypt_fields",
    "query_problem",
    "split_multipart",
    "upload_problem",
]

_OAEP = padding.OAEP(
    mgf=padding.MGF1(algorithm=hashes.SHA1()),  # noqa: S303 - the protocol's padding
    algorithm=hashes.SHA1(),  # noqa: S303
    label=None,
)


def _query_400(name: str, issue: str, value: Any = None) -> Problem400:
    if value is None:
        return Problem400(f"query parameter {name} {issue}", name, issue, "query")
    return Problem400(f"query parameter {name} {issue}", name, issue, "query", value)


def query_problem(params: Sequence[QueryParam], raw_query: str) -> Problem400 | None:
    """Check the query string as received against the declared parameters."""
    known = {p.name: p for p in params}
    seen: dict[str, str] = {}
    for piece in raw_query.split("&") if raw_query else ():
        raw_name, has_value, raw_value = piece.partition("=")
        try:
            name = unquote(raw_name, errors="strict")
            value = unquote(raw_value, errors="strict")
        except UnicodeDecodeError:
            return _query_400(raw_name[:64], "is not percent-encoded UTF-8")
        if "+" in raw_value:
            return _query_400(name, "encodes a space as '+'; send %20 (RFC 3986)")
        if name not in known:
            return _query_400(name[:64], "is not a query parameter of this API")
        if name in seen:
            return _query_400(name, "is given twice")
        if not has_value:
            return _query_400(name, "has no value")
        seen[name] = value
    for param in params:
        if param.name not in seen:
            if param.required:
                return _query_400(param.name, "is required")
            continue
        text = seen[param.name]
        instance: Any = text
        if param.kind == "boolean":
            if text not in ("true", "false"):
                return _query_400(param.name, "must be true or false", text)
            instance = text == "true"
        elif param.kind in ("integer", "number"):
            try:
                instance = int(text) if param.kind == "integer" else float(text)
            except ValueError:
                return _query_400(param.name, f"must be of type {param.kind}", text)
        if param.validator is not None:
            violation = first_violation(param.validator, instance)
            if violation is not None:
                return _query_400(param.name, violation.issue, text)
    return None


def split_multipart(content_type: str, body: bytes) -> dict[str, bytes] | Problem400:
    """The parts of a ``multipart/form-data`` body by name, or the 400 to answer."""
    mime = content_type.partition(";")[0].strip().lower()
    if mime != "multipart/form-data" or "boundary=" not in content_type:
        issue = "must be multipart/form-data with a boundary"
        return Problem400(f"Content-Type {issue}", "Content-Type", issue, "header", content_type)
    head = b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n"
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    parts: dict[str, bytes] = {}
    if not message.is_multipart():
        issue = "is not a multipart body"
        return Problem400(f"request body {issue}", "", issue, "body")
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if not isinstance(name, str) or not isinstance(payload, bytes):
            issue = "has a part without a name"
            return Problem400(f"request body {issue}", "", issue, "body")
        parts[name] = payload
    return parts


def upload_problem(spec: UploadSpec, parts: dict[str, bytes]) -> Problem400 | None:
    """The meta JSON valid, the file present and matching the meta's SHA-256."""
    for name in (spec.signed_part, spec.file_part):
        if name not in parts:
            issue = "is required"
            return Problem400(f"part {name} {issue}", name, issue, "body")
    meta_bytes, data = parts[spec.signed_part], parts[spec.file_part]
    try:
        meta = json.loads(meta_bytes.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        issue = "is not valid JSON"
        return Problem400(f"part {spec.signed_part} {issue}", spec.signed_part, issue, "body")
    if spec.meta_validator is not None:
        violation = first_violation(spec.meta_validator, meta)
        if violation is not None:
            field = f"{spec.signed_part}{violation.pointer}"
            return Problem400(f"field {field} {violation.issue}", field, violation.issue, "body")
    if not data:
        issue = "is empty"
        return Problem400(f"part {spec.file_part} {issue}", spec.file_part, issue, "body")
    digest = meta.get(spec.digest_field) if isinstance(meta, dict) else None
    if not isinstance(digest, str) or not hmac.compare_digest(
        digest.lower(), hashlib.sha256(data).hexdigest()
    ):
        field = f"{spec.signed_part}/{spec.digest_field}"
        issue = "is not the SHA-256 of the file part"
        return Problem400(f"field {field} {issue}", field, issue, "body")
    return None


def decrypt_fields(
    instance: Any, paths: Sequence[FieldPath], key: rsa.RSAPrivateKey
) -> tuple[Any, Problem400 | None]:
    """The body with its sensitive fields decrypted, or the 400 naming one that does not."""
    problem: list[Problem400] = []

    def decrypt(value: Any, pointer: str) -> Any:
        if not isinstance(value, str) or problem:
            return value
        try:
            plain = key.decrypt(base64.b64decode(value, validate=True), _OAEP).decode("utf-8")
        except (ValueError, binascii.Error, UnicodeDecodeError):
            issue = (
                "is a sensitive field: encrypt it with the WeChat Pay public key "
                "(RSA-OAEP, SHA-1) and send it in Base64"
            )
            problem.append(Problem400(f"field {pointer} {issue}", pointer, issue, "body"))
            return value
        return plain

    for path in paths:
        instance = _map(instance, path, "", decrypt)
    return instance, (problem[0] if problem else None)


def encrypt_fields(data: Any, paths: Sequence[FieldPath], key: rsa.RSAPublicKey) -> Any:
    """The answer with its sensitive fields encrypted for the caller's key."""

    def encrypt(value: Any, pointer: str) -> Any:
        if not isinstance(value, str):
            return value
        return base64.b64encode(key.encrypt(value.encode("utf-8"), _OAEP)).decode("ascii")

    for path in paths:
        data = _map(data, path, "", encrypt)
    return data


def _map(node: Any, path: FieldPath, pointer: str, apply: Any) -> Any:
    if not path:
        return apply(node, pointer)
    head, rest = path[0], path[1:]
    if head is None:
        if not isinstance(node, list):
            return node
        return [_map(item, rest, f"{pointer}/{i}", apply) for i, item in enumerate(node)]
    if not isinstance(node, dict) or head not in node:
        return node
    copy = dict(node)
    copy[head] = _map(node[head], rest, f"{pointer}/{head}", apply)
    return copy
