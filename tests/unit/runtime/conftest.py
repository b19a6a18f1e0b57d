"""Fixtures for the runtime tests.

The runtime is imported as the package the generator wrote (see :mod:`.rt`); every test here fails
while that copy is not byte-identical to its source, ``templates/runtime``. Keys are real RSA keys
generated here; HTTP goes to a real server on loopback.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from . import rt
from .server import SignedServer

RUNTIME_SOURCE = Path(__file__).resolve().parents[3] / "templates" / "runtime"
MERCHANT_ID = "1900000001"
BRAND_ID = "4010000001"
SERIAL_NO = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
WECHATPAY_KEY_ID = "PUB_KEY_ID_0114232134912410000000000000"


def _stale_runtime_files() -> list[str]:
    """The files in which the runtime under test differs from ``templates/runtime``."""
    assert rt.package.__file__ is not None
    copy = Path(rt.package.__file__).parent

    def files(folder: Path) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in folder.glob("*.py")}

    source, copied = files(RUNTIME_SOURCE), files(copy)
    return sorted(n for n in source.keys() | copied.keys() if source.get(n) != copied.get(n))


@pytest.fixture(scope="session", autouse=True)
def runtime_is_current() -> None:
    stale = _stale_runtime_files()
    if stale:
        pytest.fail(
            f"the runtime under test ({Path(rt.package.__file__ or '').parent}) is not a copy of "
            f"templates/runtime (differs: {', '.join(stale)}): run `make golden`",
            pytrace=False,
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
def loaded_keys(merchant_key: KeyPair, wechatpay_key: KeyPair) -> SimpleNamespace:
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
def fast_policy() -> Any:
    """Backoff in milliseconds, so retry tests stay quick."""
    return rt.retries.RetryPolicy(base_delay=0.001, max_delay=0.004, max_retry_after=2.0)


@pytest.fixture
def make_client(client_kwargs: dict[str, Any], fast_policy: Any) -> Iterator[Any]:
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
async def make_async_client(client_kwargs: dict[str, Any], fast_policy: Any) -> Any:
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
def ops() -> SimpleNamespace:
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
