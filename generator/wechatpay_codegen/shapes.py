"""Reading the page shapes beyond plain JSON (ARCHITECTURE, "Every shape of WeChat Pay APIv3 page").

One reading, shared by ``build_ir``, ``validate`` and the sandbox:

- :func:`upload_of`: a ``multipart/form-data`` request body whose media-type object carries
  ``x-wechatpay-signed-part`` (the JSON part WeChat Pay signs, ``meta``) and whose schema has a
  ``file`` property (``type: string``, ``contentMediaType``).
- :func:`file_answer_of`: a 2xx answer with a non-JSON media type (``schema: {type: string,
  contentMediaType: ...}``), and whether it is marked ``x-wechatpay-unsigned: true``.
- :func:`sensitive_paths`: where a schema holds ``x-wechatpay-sensitive: true`` strings, as paths
  of wire names (``None``: every item of an array), in property order.

Each returns what it read and the problems it found (with file:line:col), never raises.
"""

from __future__ import annotations

from dataclasses import dataclass

from .loader import Problem
from .protocol import JSON_MEDIA
from .spec_model import MediaType, RequestBody, Response, Schema, SpecModel

__all__ = [
    "DIGEST_FIELD",
    "FILE_FIELD",
    "MULTIPART_MEDIA",
    "FileAnswer",
    "Upload",
    "file_answer_of",
    "is_json_media",
    "sensitive_paths",
    "upload_of",
]

MULTIPART_MEDIA = "multipart/form-data"
FILE_FIELD = "file"  # the multipart part holding the file's bytes
DIGEST_FIELD = "sha256"  # the signed part's field the runtime fills with the file's SHA-256
SIGNED_PART = "x-wechatpay-signed-part"
UNSIGNED = "x-wechatpay-unsigned"
SENSITIVE = "x-wechatpay-sensitive"

FieldPath = tuple[str | None, ...]


def is_json_media(media: str) -> bool:
    base = media.split(";", 1)[0].strip().lower()
    return base == JSON_MEDIA or base.endswith("+json")


@dataclass(frozen=True)
class Upload:
    media: MediaType
    signed_part: str  # the name of the signed JSON part (meta)
    meta: Schema  # its schema
    file: Schema  # the file part's schema
    file_media_type: str  # its contentMediaType ("image/*", ...), "" when not written


@dataclass(frozen=True)
class FileAnswer:
    media: MediaType
    media_type: str
    unsigned: bool


def _resolve(model: SpecModel, schema: Schema) -> tuple[Schema | None, list[Problem]]:
    target, problems = model.deref(schema)
    return (None if target is None else model.schema(target)), problems


def upload_of(model: SpecModel, body: RequestBody) -> tuple[Upload | None, list[Problem]]:
    """The upload a ``multipart/form-data`` body describes (None and why when it is not one)."""
    media = body.media(MULTIPART_MEDIA)
    if media is None:
        return None, []
    problems: list[Problem] = []
    signed = media.node.get(SIGNED_PART)
    if not isinstance(signed, str) or not signed:
        problems.append(
            media.node.refusal(
                f"a {MULTIPART_MEDIA} body needs '{SIGNED_PART}': the name of the JSON part "
                "WeChat Pay signs",
                f"add {SIGNED_PART}: meta to this media type",
            )
        )
        return None, problems
    schema = media.schema
    resolved, found = _resolve(model, schema) if schema is not None else (None, [])
    problems.extend(found)
    if resolved is None or not resolved.is_mapping:
        problems.append(
            media.node.refusal(
                f"the {MULTIPART_MEDIA} body needs a 'schema'",
                f"add schema: {{type: object, properties: {{{FILE_FIELD}: ..., meta: ...}}}}",
            )
        )
        return None, problems
    props = dict(resolved.properties())
    file_schema = props.get(FILE_FIELD)
    meta_schema = props.get(signed)
    if file_schema is None:
        problems.append(
            resolved.refusal(
                f"the {MULTIPART_MEDIA} schema needs a '{FILE_FIELD}' property",
                f"add {FILE_FIELD}: {{type: string, contentMediaType: image/jpeg}} (the file's "
                "media type) to its properties",
            )
        )
    if meta_schema is None:
        problems.append(
            resolved.refusal(
                f"the {MULTIPART_MEDIA} schema needs the signed part {signed!r} as a property",
                f"add {signed!r} (an object schema) to its properties, or name an existing "
                f"property in {SIGNED_PART}",
            )
        )
    extra = sorted(set(props) - {FILE_FIELD, signed})
    if extra:
        problems.append(
            resolved.child("properties").refusal(
                f"a {MULTIPART_MEDIA} body has only '{FILE_FIELD}' and {signed!r}",
                f"remove {', '.join(map(repr, extra))}",
            )
        )
    if file_schema is None or meta_schema is None or extra:
        return None, problems
    file_target, found = _resolve(model, file_schema)
    problems.extend(found)
    media_type = ""
    if file_target is not None:
        if file_target.type != "string":
            problems.append(
                file_target.refusal(
                    f"'{FILE_FIELD}' must be 'type: string'",
                    "write {type: string, contentMediaType: ...}",
                )
            )
        written = file_target.get("contentMediaType")
        media_type = written if isinstance(written, str) else ""
    meta_target, found = _resolve(model, meta_schema)
    problems.extend(found)
    if meta_target is not None:
        names = [name for name, _ in meta_target.properties()]
        if DIGEST_FIELD not in names:
            problems.append(
                meta_target.refusal(
                    f"the signed part {signed!r} needs a '{DIGEST_FIELD}' property (the runtime "
                    "fills it with the file's SHA-256)",
                    f"add {DIGEST_FIELD}: {{type: string}} to its properties",
                )
            )
    if problems:
        return None, problems
    return Upload(media, signed, meta_schema, file_schema, media_type), problems


def file_answer_of(model: SpecModel, response: Response) -> tuple[FileAnswer | None, list[Problem]]:
    """The file a 2xx answer carries when its media type is not JSON (None when it is JSON)."""
    files = [m for m in response.content if not is_json_media(m.media)]
    jsons = [m for m in response.content if is_json_media(m.media)]
    node = response.node or response.written
    unsigned = node.get(UNSIGNED)
    problems: list[Problem] = []
    if unsigned is not None and unsigned is not True:
        problems.append(
            node.child(UNSIGNED).refusal(
                f"'{UNSIGNED}' must be true when written", f"write {UNSIGNED}: true or remove it"
            )
        )
    if not files:
        if unsigned is True:
            problems.append(
                node.child(UNSIGNED).refusal(
                    f"'{UNSIGNED}' is only for file answers: a JSON answer is always verified",
                    "remove it",
                )
            )
        return None, problems
    if jsons or len(files) > 1:
        problems.append(
            node.child("content").refusal(
                "a file answer has exactly one (non-JSON) media type",
                "keep one content entry: the file's media type",
            )
        )
        return None, problems
    media = files[0]
    schema = media.schema
    target, found = _resolve(model, schema) if schema is not None else (None, [])
    problems.extend(found)
    if target is None or target.type != "string":
        problems.append(
            media.node.refusal(
                "a file answer needs a string schema",
                "write schema: {type: string, contentMediaType: ...}",
            )
        )
        return None, problems
    return FileAnswer(media, media.media, unsigned is True), problems


def sensitive_paths(
    model: SpecModel, schema: Schema | None
) -> tuple[list[FieldPath], list[Problem]]:
    """Where ``schema`` holds ``x-wechatpay-sensitive`` strings, and misplaced markers."""
    paths: list[FieldPath] = []
    problems: list[Problem] = []
    if schema is None:
        return paths, problems

    def walk(
        node: Schema, at: FieldPath, seen: frozenset[tuple[str, tuple[str | int, ...]]]
    ) -> None:
        target, found = _resolve(model, node)
        problems.extend(found)
        if target is None or target.key in seen:
            return
        seen = seen | {target.key}
        marker = target.get(SENSITIVE)
        if marker is not None:
            if marker is not True or target.type != "string" or not at:
                problems.append(
                    target.child(SENSITIVE).refusal(
                        f"'{SENSITIVE}: true' goes on a string property",
                        f"write {SENSITIVE}: true on the property of type: string that is "
                        "encrypted (not on an object, a list or the body)",
                    )
                )
            else:
                paths.append(at)
            return
        for name, prop in target.properties():
            walk(prop, (*at, name), seen)
        items = target.item_schema
        if items is not None:
            walk(items, (*at, None), seen)

    walk(schema, (), frozenset())
    return paths, problems
