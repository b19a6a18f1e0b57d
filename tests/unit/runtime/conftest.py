"""Fixtures for the runtime tests.

The runtime is imported as the package the generator wrote (see :mod:`.rt`); every test here fails
while that copy is not byte-identical to its source, ``templates/runtime``. Keys are real RSA keys
generated here; HTTP goes to a real server on loopback.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypedDict, overload

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from . import rt
from .server import SignedServer

if TYPE_CHECKING:  # annotations only (Python 3.10 has no typing.Unpack)
    import httpx
    from typing_extensions import Unpack

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


# ------------------------------------------------------------------ what the fixtures give


class _Overrides(TypedDict, total=False):
    """Constructor arguments of the clients (``ClientBase.__init__``), all optional here: the
    fixtures fill in the rest. Typed, so mypy checks every override a test passes."""

    mchid: str | None
    brand_id: str | None
    serial_no: str
    private_key: rt.keys.KeyInput
    wechatpay_public_key_id: str | None
    wechatpay_public_key: rt.keys.KeyInput | None
    base_url: str
    backup_base_url: str | None
    timeout: float
    max_retries: int
    max_clock_skew: int
    wechatpay_public_keys: Mapping[str, rt.keys.KeyInput] | None
    max_response_bytes: int
    api_v3_key: str | bytes | None
    max_notification_bytes: int
    platform_certificates: bool | None


class SyncOverrides(_Overrides, total=False):
    http_client: httpx.Client | None


class AsyncOverrides(_Overrides, total=False):
    http_client: httpx.AsyncClient | None


class MakeClient(Protocol):
    """``make_client(**overrides)``: a sync client pointed at ``server`` (closed at teardown)."""

    def __call__(self, **overrides: Unpack[SyncOverrides]) -> rt.client.SyncAPIClient: ...


class MakeAsyncClient(Protocol):
    """``make_async_client(**overrides)``: the same, async."""

    def __call__(self, **overrides: Unpack[AsyncOverrides]) -> rt.client.AsyncAPIClient: ...


class MakeOfflineClient(Protocol):
    """``make(cls=None, **overrides)``: a client that never sends anything (for callbacks)."""

    @overload
    def __call__(
        self, cls: type[rt.client.SyncAPIClient] | None = None, **overrides: Unpack[SyncOverrides]
    ) -> rt.client.SyncAPIClient: ...

    @overload
    def __call__(
        self, cls: type[rt.client.AsyncAPIClient], **overrides: Unpack[AsyncOverrides]
    ) -> rt.client.AsyncAPIClient: ...


@dataclass(frozen=True)
class LoadedKeys:
    private: rt.keys.PrivateKey
    public: rt.keys.PublicKey


@dataclass(frozen=True)
class Ops:
    """Operations shaped like the documented ones."""

    modify_budget: rt.client.Operation
    submit: rt.client.Operation
    merchant_submit: rt.client.Operation


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
def loaded_keys(merchant_key: KeyPair, wechatpay_key: KeyPair) -> LoadedKeys:
    """The keys parsed once (parsing and checking an RSA private key takes ~40 ms)."""
    return LoadedKeys(
        private=rt.keys.load_private_key(merchant_key.private_pem),
        public=rt.keys.load_public_key(wechatpay_key.public_pem),
    )


@pytest.fixture
def client_kwargs(loaded_keys: LoadedKeys, server: SignedServer) -> dict[str, Any]:
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
def fast_policy() -> rt.retries.RetryPolicy:
    """Backoff in milliseconds, so retry tests stay quick."""
    return rt.retries.RetryPolicy(base_delay=0.001, max_delay=0.004, max_retry_after=2.0)


@pytest.fixture
def make_client(
    client_kwargs: dict[str, Any], fast_policy: rt.retries.RetryPolicy
) -> Iterator[MakeClient]:
    """Factory of sync clients (closed at teardown) with fast backoff."""
    made: list[rt.client.SyncAPIClient] = []

    def make(**overrides: Unpack[SyncOverrides]) -> rt.client.SyncAPIClient:
        kwargs: dict[str, Any] = {**client_kwargs, **overrides}
        client = rt.client.SyncAPIClient(**kwargs)
        client._retry_policy = fast_policy
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
async def make_async_client(
    client_kwargs: dict[str, Any], fast_policy: rt.retries.RetryPolicy
) -> AsyncIterator[MakeAsyncClient]:
    made: list[rt.client.AsyncAPIClient] = []

    def make(**overrides: Unpack[AsyncOverrides]) -> rt.client.AsyncAPIClient:
        kwargs: dict[str, Any] = {**client_kwargs, **overrides}
        client = rt.client.AsyncAPIClient(**kwargs)
        client._retry_policy = fast_policy
        made.append(client)
        return client

    yield make
    for client in made:
        await client.close()


@pytest.fixture
def ops() -> Ops:
    """Operations shaped like the documented ones."""
    op = rt.client.Operation
    return Ops(
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
