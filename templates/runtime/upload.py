"""File uploads: ``multipart/form-data`` with a signed ``meta`` part (the media-upload pages).

The body has two parts: ``meta`` (compact JSON holding the file's ``filename`` and ``sha256``) and
``file`` (the bytes). WeChat Pay signs and verifies only the ``meta`` JSON: the string to sign's
body line is exactly the ``meta`` part as sent. Everything here runs once per call; every attempt
sends the same bytes.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO, Any, Final, Union

from .errors import RequestValidationError
from .request import serialize_body

__all__ = ["FileInput", "Upload", "file_sha256", "make_upload", "read_file"]

#: What ``file=`` accepts: the bytes, a path, or a binary file object opened for reading.
FileInput = Union[bytes, bytearray, memoryview, str, "os.PathLike[str]", IO[bytes]]

# Media types by file name extension, for the file part's Content-Type (the official SDKs send
# the image or video type; the server checks the content, not this header).
_MEDIA_TYPES: Final = {
    "bmp": "image/bmp",
    "gif": "image/gif",
    "jpeg": "image/jpeg",
    "jpg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "avi": "video/x-msvideo",
    "mov": "video/quicktime",
    "mp4": "video/mp4",
    "wmv": "video/x-ms-wmv",
    "mpeg": "video/mpeg",
    "pdf": "application/pdf",
}
# A file name goes into a quoted header parameter: no quotes, backslashes or control characters.
_BAD_FILENAME: Final = re.compile(r'["\\\x00-\x1f\x7f]')


@dataclass(frozen=True, slots=True)
class Upload:
    """A prepared multipart body: ``meta`` is the JSON exactly as signed and sent."""

    meta: bytes = field(repr=False)
    file: bytes = field(repr=False)
    filename: str
    media_type: str

    def encode(self) -> tuple[bytes, str]:
        """The body bytes and the ``Content-Type`` header value (with a fresh boundary)."""
        boundary = secrets.token_hex(16)
        while boundary.encode("ascii") in self.file or boundary.encode("ascii") in self.meta:
            boundary = secrets.token_hex(16)  # pragma: no cover - 2**-128 per byte position
        name = self.filename.encode("utf-8")
        head = b"".join(
            (
                b"--" + boundary.encode("ascii") + b"\r\n",
                b'Content-Disposition: form-data; name="meta"\r\n',
                b"Content-Type: application/json\r\n\r\n",
                self.meta,
                b"\r\n--" + boundary.encode("ascii") + b"\r\n",
                b'Content-Disposition: form-data; name="file"; filename="' + name + b'"\r\n',
                b"Content-Type: " + self.media_type.encode("ascii") + b"\r\n\r\n",
            )
        )
        tail = b"\r\n--" + boundary.encode("ascii") + b"--\r\n"
        # One copy of the file: into the body that is sent.
        return b"".join((head, self.file, tail)), f"multipart/form-data; boundary={boundary}"

    def __repr__(self) -> str:
        return f"<Upload {self.filename!r} {len(self.file)} bytes {self.media_type}>"


def read_file(value: object, name: str = "file") -> bytes:
    """The bytes of ``file=``: bytes as they are, a path read, a binary file object read.

    An empty file, a text-mode file object, a missing path or any other type raises
    :class:`RequestValidationError` naming the argument, before anything is sent.
    """
    if isinstance(value, bytes):
        data = value
    elif isinstance(value, (bytearray, memoryview)):
        data = bytes(value)
    elif isinstance(value, (str, os.PathLike)):
        path = os.fspath(value)
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise RequestValidationError(
                name, f"cannot read the file {path!r}: {exc.strerror or type(exc).__name__}"
            ) from None
    elif callable(getattr(value, "read", None)):
        data = value.read()  # type: ignore[attr-defined]
        if isinstance(data, str):
            raise RequestValidationError(
                name, "the file object is open in text mode; open it with 'rb'"
            )
        if not isinstance(data, (bytes, bytearray)):
            raise RequestValidationError(name, "the file object's read() did not return bytes")
        data = bytes(data)
    else:
        raise RequestValidationError(
            name, f"must be bytes, a path or a binary file object, got {type(value).__name__}"
        )
    if not data:
        raise RequestValidationError(name, "the file is empty")
    return data


def file_sha256(data: bytes) -> str:
    """The lower-case hex SHA-256 of the file, as the ``meta`` part carries it."""
    return hashlib.sha256(data).hexdigest()


def media_type_for(filename: str, declared: str) -> str:
    """The file part's Content-Type: from the extension, else the spec's, else octet-stream."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    known = _MEDIA_TYPES.get(extension)
    if known is not None:
        return known
    if declared and "*" not in declared:
        return declared
    return "application/octet-stream"


def make_upload(
    meta: Mapping[str, Any], data: bytes, *, filename_field: str = "filename", declared: str = ""
) -> Upload:
    """An :class:`Upload` from the validated ``meta`` object and the file bytes."""
    filename = meta.get(filename_field)
    if not isinstance(filename, str) or not filename:
        raise RequestValidationError(filename_field, "the file name is required")
    if _BAD_FILENAME.search(filename):
        raise RequestValidationError(
            filename_field, "must not contain quotes, backslashes or control characters"
        )
    return Upload(serialize_body(meta), data, filename, media_type_for(filename, declared))
