"""Fixtures for the runtime tests.

The runtime is tested from its source, ``templates/runtime``: it is copied into a throwaway package
``rt_pkg/_runtime`` (the same relative layout as in the generated package) which is put on
``sys.path``. Keys are real RSA keys generated here; HTTP goes to a real server on loopback.
"""

from __future__ import annotations

import importlib
import shutil
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .server import SignedServer

RUNTIME_SOURCE = Path(__file__).resolve().parents[3] / "templates" / "runtime"
PACKAGE = "rt_pkg"
MERCHANT_ID = "1900000001"
BRAND_ID = "4010000001"
SERIAL_NO = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
WECHATPAY_KEY_ID = "PUB_KEY_ID_0114232134912410000000000000"


@pytest.fixture(scope="session")
def runtime_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("runtime-pkg")
    package = root / PACKAGE
    package.mkdir()
    (package / "__init__.py").write_text('"""Stand-in for the generated package."""\n')
    shutil.copytree(
        RUNTIME_SOURCE, package / "_runtime", ignore=shutil.ignore_patterns("__pycache__")
    )
    sys.path.insert(0, str(root))
    yield root
    sys.path.remove(str(root))


def _module(root: Path, name: str) -> ModuleType:
    assert str(root) in sys.path
    return importlib.import_module(f"{PACKAGE}._runtime.{name}" if name else f"{PACKAGE}._runtime")


@pytest.fixture(scope="session")
def rt(runtime_root: Path) -> SimpleNamespace:
    """The runtime's modules: ``rt.errors``, ``rt.signing``, ``rt.client``, ..."""
    names = [
        "errors",
        "keys",
        "signing",
        "verification",
        "client",
        "retries",
        "request",
        "response",
        "transport",
        "log",
        "serde",
        "aead",
        "notification",
        "certificates",
    ]
    return SimpleNamespace(
        package=_module(runtime_root, ""), **{n: _module(runtime_root, n) for n in names}
    )


@dataclass(frozen=True)
class KeyPair:
    private: rsa.RSAPrivateKey = field(repr=False)
    private_pem: str = field(repr=False)
    public_pem: str
    private_path: Path
    public_path: Path


def _key_pair(directory: Path, name: str, bits: int = 2048) -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    private_path = directory / f"{name}_key.pem"
    public_path = directory / f"{name}_pub.pem"
    private_path.write_text(private_pem)
    public_path.write_text(public_pem)
    return KeyPair(key, private_pem, public_pem, private_path, public_path)


@pytest.fixture(scope="session")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("keys")


@pytest.fixture(scope="session")
def merchant_key(keys_dir: Path) -> KeyPair:
    """The caller's API certificate key (apiclient_key.pem)."""
    return _key_pair(keys_dir, "merchant")


@pytest.fixture(scope="session")
def wechatpay_key(keys_dir: Path) -> KeyPair:
    """WeChat Pay's key: the test server signs responses with it."""
    return _key_pair(keys_dir, "wechatpay")


@pytest.fixture(scope="session")
def other_key(keys_dir: Path) -> KeyPair:
    """An unrelated key, for forged signatures."""
    return _key_pair(keys_dir, "other")


@pytest.fixture
def server(merchant_key: KeyPair, wechatpay_key: KeyPair) -> Iterator[SignedServer]:
    with SignedServer(
        signing_key=wechatpay_key.private,
        serial=WECHATPAY_KEY_ID,
        client_public_key=merchant_key.private.public_key(),
    ) as srv:
        yield srv


@pytest.fixture
def backup_server(merchant_key: KeyPair, wechatpay_key: KeyPair) -> Iterator[SignedServer]:
    with SignedServer(
        signing_key=wechatpay_key.private,
        serial=WECHATPAY_KEY_ID,
        client_public_key=merchant_key.private.public_key(),
    ) as srv:
        yield srv


@pytest.fixture(scope="session")
def loaded_keys(
    rt: SimpleNamespace, merchant_key: KeyPair, wechatpay_key: KeyPair
) -> SimpleNamespace:
    """The keys parsed once (parsing and checking an RSA private key takes ~40 ms)."""
    return SimpleNamespace(
        private=rt.keys.load_private_key(merchant_key.private_pem),
        public=rt.keys.load_public_key(wechatpay_key.public_pem),
    )


@pytest.fixture
def client_kwargs(loaded_keys: SimpleNamespace, server: SignedServer) -> dict[str, Any]:
    """Constructor arguments of a merchant client pointed at ``server`` with no backup."""
    return {
        "mchid": MERCHANT_ID,
        "serial_no": SERIAL_NO,
        "private_key": loaded_keys.private,
        "wechatpay_public_key_id": WECHATPAY_KEY_ID,
        "wechatpay_public_key": loaded_keys.public,
        "base_url": server.base_url,
        "backup_base_url": None,
        "timeout": 5.0,
    }


@pytest.fixture
def fast_policy(rt: SimpleNamespace) -> Any:
    """Backoff in milliseconds, so retry tests stay quick."""
    return rt.retries.RetryPolicy(base_delay=0.001, max_delay=0.004, max_retry_after=2.0)


@pytest.fixture
def make_client(
    rt: SimpleNamespace, client_kwargs: dict[str, Any], fast_policy: Any
) -> Iterator[Any]:
    """Factory of sync clients (closed at teardown) with fast backoff."""
    made: list[Any] = []

    def make(**overrides: Any) -> Any:
        client = rt.client.SyncAPIClient(**{**client_kwargs, **overrides})
        client._retry_policy = fast_policy
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
async def make_async_client(
    rt: SimpleNamespace, client_kwargs: dict[str, Any], fast_policy: Any
) -> Any:
    made: list[Any] = []

    def make(**overrides: Any) -> Any:
        client = rt.client.AsyncAPIClient(**{**client_kwargs, **overrides})
        client._retry_policy = fast_policy
        made.append(client)
        return client

    yield make
    for client in made:
        await client.close()


@pytest.fixture
def ops(rt: SimpleNamespace) -> SimpleNamespace:
    """Operations shaped like the four documented ones."""
    op = rt.client.Operation
    return SimpleNamespace(
        modify_budget=op(
            operation_id="modify_budget",
            method="PATCH",
            path="/v3/marketing/busifavor/stocks/{stock_id}/budget",
            auth_scheme="merchant",
            has_body=True,
        ),
        submit=op(
            operation_id="submit_delivery_plan",
            method="POST",
            path="/brand/marketing/delivery-plan/delivery-plans/{plan_id}/submit",
            auth_scheme="brand",
            has_body=False,
        ),
        merchant_submit=op(
            operation_id="merchant_submit",
            method="POST",
            path="/v3/marketing/things/{plan_id}/submit",
            auth_scheme="merchant",
            has_body=False,
        ),
    )


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (kernel backlog) but never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield int(sock.getsockname()[1])
