"""A local WeChat-Pay-compatible HTTP/1.1 server driven by the specs.

The ``wechatpay-codegen sandbox`` command serves it; tests use :class:`Sandbox` in-process.

Routes come from the specs; every request's Authorization is verified (both signature schemes), its
body and path parameters validated against the spec's schemas, and every 2xx answer is the spec's
example signed with the sandbox's own WeChat Pay key. Faults are injected per request with the
``X-Sandbox-Fault`` header: see :mod:`wechatpay_codegen.sandbox.faults` for the grammar.

Python API::

    from wechatpay_codegen.sandbox import Sandbox

    # specs: a folder or a loaded SpecSet; keys_dir=None: in-memory keys; port=0: a free port
    with Sandbox(Path("specs"), keys_dir=None) as sandbox:
        client = WeChatPayClient(**sandbox.merchant_config())  # or brand_config()
        ...
        sandbox.requests   # list[RecordedRequest]; sandbox.clear() forgets them and fault counts

pytest: ``pytest_plugins = ["wechatpay_codegen.sandbox.pytest_plugin"]`` gives the fixtures
``sandbox`` (cleared per test), ``sandbox_server`` (one per session) and ``sandbox_specs``.
"""

from .api import Sandbox
from .faults import Fault, FaultSyntaxError, parse_fault
from .keys import KeysError, SandboxKeys, generate_keys, load_or_create_keys
from .operations import Operation, SandboxSpecError
from .recording import Headers, RecordedRequest

__all__ = [
    "Fault",
    "FaultSyntaxError",
    "Headers",
    "KeysError",
    "Operation",
    "RecordedRequest",
    "Sandbox",
    "SandboxKeys",
    "SandboxSpecError",
    "generate_keys",
    "load_or_create_keys",
    "parse_fault",
]
