"""The template context: what the templates need beyond the IR (names to import and export)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .. import __version__, ir
from ..protocol import AUTH_SCHEMES
from .escaping import Code
from .expressions import imports

#: Names the annotations may use that ``collections.abc`` provides.
_ABC = frozenset({"Mapping", "Sequence"})
#: Names the annotations may use that ``datetime`` provides.
_DATETIME = frozenset({"datetime"})


@dataclass(frozen=True)
class PackageInfo:
    """What the generated distribution is called; not from the specs."""

    package: str  # import name, e.g. "wechatpay_marketing"
    distribution: str  # e.g. "wechatpay-marketing"
    version: str
    generator_version: str = __version__
    install_path: str = "./generated"  # what `pip install` is given, shell-quoted (README)


def _isort_key(name: str) -> tuple[int, list[int | str], str]:
    """isort/ruff "order by type": CONSTANTS, then Classes, then everything else; within each,
    case-insensitively in natural order (``Item2`` before ``Item10``), as ruff's isort sorts
    members (``BusifavorX`` before ``BusiFavorY``)."""
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[0].isupper() else 2
    natural: list[int | str] = [
        int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name.lower())
    ]
    return (kind, natural, name)


def sort_names(names: Iterable[str]) -> list[str]:
    """Names in the order ruff's isort wants them in an import list."""
    return sorted(set(names), key=_isort_key)


def _all_key(name: str) -> tuple[int, str]:
    """RUF022's order for ``__all__``: by type like isort, then case-sensitively."""
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[0].isupper() else 2
    return (kind, name)


def sort_all(names: Iterable[str]) -> list[str]:
    """Names in the order ruff wants ``__all__`` in (RUF022)."""
    return sorted(set(names), key=_all_key)


def _classes(types: Iterable[ir.TypeRef], api: ir.API) -> tuple[list[str], list[str]]:
    """(enum names, model names) mentioned by ``types``, sorted."""
    enums = {e.name for e in api.enums}
    names = {name for t in types for name in t.referenced()}
    return sort_names(names & enums), sort_names(names - enums)


_CLIENT_DOCS = {
    "WeChatPayClient": "Blocking client of the WeChat Pay marketing APIs.",
    "AsyncWeChatPayClient": "Asyncio client of the WeChat Pay marketing APIs.",
}
_CLIENT_DOC_TAIL = (
    "Create it with "
    + " or ".join(f"{s.identity}= ({s.runtime} APIs)" for s in AUTH_SCHEMES.values())
    + ", serial_no=, private_key=, wechatpay_public_key_id= and wechatpay_public_key=; optional "
    "base_url=, backup_base_url=, timeout=, max_retries= and http_client=. Use it as a context "
    "manager, or close it."
)


def template_context(api: ir.API, info: PackageInfo) -> dict[str, Any]:
    """Everything the templates need beyond the IR: import lists, mostly."""
    request_models = [m for m in api.models if m.in_request]
    model_types = [f.type for m in api.models for f in m.fields]
    arg_types = [p.type for op in api.operations for p in op.parameters]
    response_types = [
        ir.TypeRef("model", op.response_model) for op in api.operations if op.response_model
    ]
    models_enums, _ = _classes(model_types, api)
    validator_enums, _ = _classes([f.type for m in request_models for f in m.fields], api)
    arg_enums, arg_models = _classes(arg_types, api)
    _, response_models = _classes(response_types, api)
    webhook_models = sort_names(w.resource_model for w in api.webhooks)
    arg_names = imports(arg_types, argument=True)
    abc_imports = sort_names(arg_names & _ABC)
    bill_helpers = any(op.unsigned_statuses for op in api.operations)
    exported = [
        *(["BillIntegrityError", "StreamedFile", "read_bill", "save_bill"] if bill_helpers else []),
        "AsyncWeChatPayClient",
        "WeChatPayClient",
        "build_authorization",
        "APIResponse",
        "Notification",
        "__version__",
        *ir.RUNTIME_ERRORS,
        *(m.name for m in api.models),
        *(e.name for e in api.enums),
    ]
    clients = [
        {
            "name": name,
            "raw_name": f"{name}WithRawResponse",
            "raw_doc": (
                f"``{name}.with_raw_response``: each method returns the verified response "
                "(``APIResponse``: status_code, headers, request_id, content, parse())."
            ),
            "stream_name": f"{name}WithStreamingResponse",
            "stream_doc": (
                f"``{name}.with_streaming_response``: the methods whose answer is a file WeChat "
                "Pay does not sign; each writes the file to a temporary file as it arrives "
                "(``StreamedFile``), for files too large to hold in memory."
            ),
            "streaming_call": streaming_call,
            "with_": with_,
            "base": base,
            "def_": Code(def_),
            "await_": Code(await_),
            "doc": f"{_CLIENT_DOCS[name]}\n\n{_CLIENT_DOC_TAIL}",
        }
        for name, base, def_, await_, streaming_call, with_ in (
            ("WeChatPayClient", "SyncAPIClient", "def", "", "StreamingCall", "with"),
            (
                "AsyncWeChatPayClient",
                "AsyncAPIClient",
                "async def",
                "await ",
                "AsyncStreamingCall",
                "async with",
            ),
        )
    ]
    return {
        "api": api,
        "info": info,
        "package": info.package,
        "clients": clients,
        "errors": sort_names(ir.RUNTIME_ERRORS),
        "exports": sort_all(exported),
        "model_names": sort_names(m.name for m in api.models),
        "enum_names": sort_names(e.name for e in api.enums),
        "model_all": sort_all(m.name for m in api.models),
        "enum_all": sort_all(e.name for e in api.enums),
        "models_enums": models_enums,
        "models_datetime": sort_names(imports(model_types) & _DATETIME),
        "request_models": request_models,
        "validator_enums": validator_enums,
        "validator_names": sort_names(v for op in api.operations if (v := op.body_validator)),
        "arg_enums": arg_enums,
        "arg_models": arg_models,
        "client_models": sort_names([*arg_models, *response_models, *webhook_models]),
        "args_datetime": sort_names(arg_names & _DATETIME),
        "abc_imports": abc_imports,
        "client_abc_imports": sort_names(
            ["Mapping", *abc_imports, *(["Callable"] if api.webhooks else [])]
        ),
        "client_typing_imports": sort_names(
            [
                "ClassVar",
                *(["Any"] if "Any" in arg_names or api.webhooks else []),
            ]
        ),
        "ops_need_any": any(op.body_model and not op.upload for op in api.operations)
        or "Any" in arg_names,
        "ops_need_serde": any(op.body_model for op in api.operations),
        "ops_need_v": any(op.path_params or op.query_params for op in api.operations),
        "ops_need_upload": any(op.upload for op in api.operations),
        "bill_helpers": bill_helpers,
        # Operations answering a file WeChat Pay does not sign: with_streaming_response.
        "streaming_ops": [
            op for op in api.operations if op.response_bytes and op.unsigned_statuses
        ],
    }
