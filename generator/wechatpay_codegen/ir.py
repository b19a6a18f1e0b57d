"""The API model between the OpenAPI specs and the templates.

Plain frozen dataclasses: no OpenAPI in here (no ``$ref``, no JSON pointers) and no Python syntax
either (no annotations, no expressions). Every Python name is already decided (by ``build_ir``
through ``naming``); templates only lay these values out. Sequences are tuples in a deterministic
order: operations, models and enums sorted by name, fields and parameters in spec order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from .protocol import RuntimeScheme

__all__ = [
    "API",
    "RUNTIME_ERRORS",
    "STATUS_ERRORS",
    "Constraints",
    "EnumDef",
    "EnumMember",
    "ErrorCode",
    "ErrorStatus",
    "Field",
    "Model",
    "Operation",
    "Parameter",
    "RateLimit",
    "Rules",
    "TypeKind",
    "TypeRef",
    "Upload",
    "Webhook",
]

# The exception classes the runtime exports (``templates/runtime/errors.py``), re-exported by the
# generated package and named in docstrings.
RUNTIME_ERRORS: tuple[str, ...] = (
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "DecryptionError",
    "InternalServerError",
    "NotFoundError",
    "NotificationError",
    "PermissionDeniedError",
    "PlatformCertificateError",
    "RateLimitError",
    "RequestValidationError",
    "ResponseTooLargeError",
    "SignatureVerificationError",
    "WeChatPayError",
)

# HTTP status -> the runtime's exception class for it (any other 5xx: InternalServerError).
STATUS_ERRORS: dict[int, str] = {
    400: "BadRequestError",
    401: "AuthenticationError",
    403: "PermissionDeniedError",
    404: "NotFoundError",
    429: "RateLimitError",
}

TypeKind = Literal[
    "string",
    "integer",
    "number",
    "boolean",
    "datetime",
    "enum",
    "model",
    "array",
    "object",
    "any",
    "file",
]


@dataclass(frozen=True)
class Constraints:
    """JSON Schema validation keywords that apply to one value (lengths count characters)."""

    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    minimum: int | float | None = None
    maximum: int | float | None = None
    exclusive_minimum: int | float | None = None
    exclusive_maximum: int | float | None = None
    min_items: int | None = None
    max_items: int | None = None
    unique_items: bool = False


@dataclass(frozen=True)
class TypeRef:
    """The type of one value; ``name`` is the class of an enum or model, ``items`` an array's."""

    kind: TypeKind
    name: str | None = None
    items: TypeRef | None = None
    constraints: Constraints = Constraints()

    def referenced(self) -> tuple[str, ...]:
        """Class names this type mentions (for imports)."""
        if self.items is not None:
            return self.items.referenced()
        return (self.name,) if self.name is not None else ()


@dataclass(frozen=True)
class Field:
    """One property of an object schema."""

    wire_name: str
    name: str  # the Python attribute / keyword argument
    type: TypeRef
    required: bool
    description: str


@dataclass(frozen=True)
class Rules:
    """Object-level rules: ``not: {required: [...]}``, ``dependentRequired`` and friends."""

    # Each tuple: these fields must not all be present together (wire names).
    mutually_exclusive: tuple[tuple[str, ...], ...] = ()
    # (field, fields required when it is present), wire names.
    dependent_required: tuple[tuple[str, tuple[str, ...]], ...] = ()
    min_properties: int | None = None
    max_properties: int | None = None
    additional_properties: bool = True


@dataclass(frozen=True)
class Model:
    """A dataclass in ``models.py`` (one named object schema)."""

    name: str
    validator: str  # function in _validators.py that checks this object's wire form
    description: str
    fields: tuple[Field, ...]
    rules: Rules
    in_request: bool = False  # reachable from a request body: gets a validator


@dataclass(frozen=True)
class EnumMember:
    name: str
    value: str
    description: str


@dataclass(frozen=True)
class EnumDef:
    """A ``str`` enum in ``enums.py``."""

    name: str
    description: str
    members: tuple[EnumMember, ...]


@dataclass(frozen=True)
class Parameter:
    """A keyword argument of a client method: a path parameter or a top-level body field."""

    wire_name: str
    name: str
    type: TypeRef
    required: bool
    description: str
    location: Literal["path", "query", "body", "file"]  # file: the upload's bytes
    example: Any = None  # a JSON value from the spec, or None


@dataclass(frozen=True)
class ErrorCode:
    code: str
    description: str
    solution: str


@dataclass(frozen=True)
class ErrorStatus:
    """A documented non-2xx status, the exception it raises and the page's error-code rows."""

    status: int
    exception: str
    description: str
    codes: tuple[ErrorCode, ...]


@dataclass(frozen=True)
class RateLimit:
    limit: int
    per: str
    scope: str | None


@dataclass(frozen=True)
class Upload:
    """A ``multipart/form-data`` body: the file, and the signed JSON part (``meta``)."""

    signed_part: str  # "meta"
    digest_field: str  # "sha256": computed by the runtime from the file
    media_type: str  # the file's contentMediaType from the spec ("" when not written)


@dataclass(frozen=True)
class Operation:
    """One client method (sync and async)."""

    operation_id: str
    name: str  # method name
    constant: str  # module constant holding the runtime Operation
    prepare: str  # function in _operations.py building (path params, body)
    http_method: str  # upper case
    path: str  # template, e.g. "/v3/.../{stock_id}/budget"
    auth_scheme: RuntimeScheme
    parameters: tuple[Parameter, ...]  # required first, then optional; spec order within each
    body_model: str | None  # model whose validator checks the body; None: no request body
    body_validator: str | None
    response_model: str | None  # None: no response body (204)
    success_status: int
    errors: tuple[ErrorStatus, ...]  # sorted by status
    summary: str
    description: str
    rate_limit: RateLimit | None
    request_example: Any  # the requestBody example (wire JSON), or None
    response_example: Any
    # A multipart upload: body_model is then the signed part's model (meta).
    upload: Upload | None = None
    response_bytes: bool = False  # the answer is a file: the method returns bytes
    unsigned_statuses: tuple[int, ...] = ()  # 2xx answers WeChat Pay does not sign
    # Fields encrypted in the request / decrypted in the answer: paths of wire names, None for
    # every item of an array.
    sensitive_request: tuple[tuple[str | None, ...], ...] = ()
    sensitive_response: tuple[tuple[str | None, ...], ...] = ()

    @property
    def path_params(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.location == "path")

    @property
    def body_params(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.location == "body")

    @property
    def query_params(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.location == "query")

    @property
    def file_param(self) -> Parameter | None:
        return next((p for p in self.parameters if p.location == "file"), None)


@dataclass(frozen=True)
class Webhook:
    """A callback event the specs describe; its decrypted resource parses into a model."""

    event_type: str  # as WeChat Pay sends it, e.g. "COUPON.SEND"
    resource_model: str
    summary: str
    description: str
    resource_example: Any  # the decrypted resource's example (wire JSON)


@dataclass(frozen=True)
class API:
    """Everything the templates render."""

    operations: tuple[Operation, ...]
    models: tuple[Model, ...]
    enums: tuple[EnumDef, ...]
    webhooks: tuple[Webhook, ...] = ()  # sorted by event type

    def model(self, name: str) -> Model:
        for model in self.models:
            if model.name == name:
                return model
        raise KeyError(name)
