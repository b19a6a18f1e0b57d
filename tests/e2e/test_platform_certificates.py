"""Platform-certificate mode and the migration mode, end to end against the sandbox.

The sandbox plays a merchant account: by default one with a WeChat Pay public key (``GET
/v3/certificates`` answers 404); ``use_platform_certificates()`` turns it into one with platform
certificates, which it serves encrypted with the APIv3 key and signs its answers with.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
import wechatpay_marketing as wp
from wechatpay_codegen.demo import DemoCall
from wechatpay_codegen.sandbox import Sandbox

CERTIFICATES = "/v3/certificates"
WRONG_SERIAL = {"X-Sandbox-Fault": "wrong-serial"}


class QuickClient(wp.WeChatPayClient):
    """Unknown serials may trigger a download at once (the default waits a minute)."""

    _certificate_min_interval: ClassVar[float] = 0.0


class QuickAsyncClient(wp.AsyncWeChatPayClient):
    _certificate_min_interval: ClassVar[float] = 0.0


def downloads(sandbox: Sandbox) -> int:
    return sum(1 for r in sandbox.requests if r.path == CERTIFICATES)


def business(sandbox: Sandbox) -> list[Any]:
    return [r for r in sandbox.requests if r.path != CERTIFICATES]


@pytest.fixture
def certificate_mode(sandbox: Sandbox) -> Iterator[str]:
    serial = sandbox.use_platform_certificates()
    yield serial
    sandbox.use_public_key_only()


def _budget(client: Any, calls: dict[str, DemoCall]) -> Any:
    return client.modify_budget(**calls["modify_budget"].kwargs)


# -- certificate mode ------------------------------------------------------------------------


def test_certificates_are_downloaded_lazily_once_and_verify_answers(
    calls: dict[str, DemoCall], sandbox: Sandbox, certificate_mode: str
) -> None:
    config = sandbox.merchant_config(verification="certificate")
    assert "wechatpay_public_key" not in config
    with wp.WeChatPayClient(**config) as client:
        assert client.verification_mode == "certificate"
        assert sandbox.requests == []  # never at construction
        result = _budget(client, calls)
        assert result.to_dict() == calls["modify_budget"].response_example
        first, second = sandbox.requests
        assert (first.method, first.path, first.status) == ("GET", CERTIFICATES, 200)
        assert first.auth_scheme == "WECHATPAY2-SHA256-RSA2048"  # merchant-signed like any call
        assert second.operation_id == "modify_budget"
        assert "Wechatpay-Serial" not in second.headers  # no public key id to name
        assert second.response_headers["Wechatpay-Serial"] == certificate_mode
        assert client.platform_certificate_serials == [certificate_mode]
        for _ in range(3):
            _budget(client, calls)
        assert downloads(sandbox) == 1


async def test_async_certificate_mode(
    calls: dict[str, DemoCall], sandbox: Sandbox, certificate_mode: str
) -> None:
    config = sandbox.merchant_config(verification="certificate")
    async with wp.AsyncWeChatPayClient(**config) as client:
        await client.modify_budget(**calls["modify_budget"].kwargs)
        assert client.platform_certificate_serials == [certificate_mode]
        assert downloads(sandbox) == 1


def test_404_says_the_merchant_has_a_public_key_and_sends_nothing_else(
    calls: dict[str, DemoCall], sandbox: Sandbox
) -> None:
    with wp.WeChatPayClient(**sandbox.merchant_config(verification="certificate")) as client:
        with pytest.raises(wp.PlatformCertificateError) as info:
            _budget(client, calls)
    text = str(info.value)
    assert "HTTP 404" in text and "public key" in text
    assert "wechatpay_public_key_id=" in text and "wechatpay_public_key=" in text
    assert info.value.status_code == 404 and info.value.request_id
    assert [r.path for r in sandbox.requests] == [CERTIFICATES]  # the call itself never went


def test_a_download_not_signed_by_a_certificate_it_carries_is_refused(
    calls: dict[str, DemoCall], sandbox: Sandbox
) -> None:
    sandbox.use_platform_certificates(sign_with="public-key")
    try:
        with wp.WeChatPayClient(**sandbox.merchant_config(verification="certificate")) as client:
            with pytest.raises(wp.SignatureVerificationError, match="unknown Wechatpay-Serial"):
                _budget(client, calls)
            assert client.platform_certificate_serials == []
    finally:
        sandbox.use_public_key_only()
    assert business(sandbox) == []


def test_a_wrong_api_v3_key_cannot_decrypt_the_download(
    calls: dict[str, DemoCall], sandbox: Sandbox, certificate_mode: str
) -> None:
    config = {**sandbox.merchant_config(verification="certificate"), "api_v3_key": "k" * 32}
    with wp.WeChatPayClient(**config) as client, pytest.raises(wp.PlatformCertificateError) as info:
        _budget(client, calls)
    assert "api_v3_key" in str(info.value) and "k" * 32 not in str(info.value)


# -- rotation ----------------------------------------------------------------------------------


def test_rotation_an_unknown_serial_triggers_one_refresh(
    calls: dict[str, DemoCall], sandbox: Sandbox, certificate_mode: str
) -> None:
    with QuickClient(**sandbox.merchant_config(verification="certificate")) as client:
        _budget(client, calls)
        new = sandbox.rotate_platform_certificate()
        sandbox.clear()
        _budget(client, calls)
        call, download = sandbox.requests  # the answer named `new`: refresh, then verified
        assert call.response_headers["Wechatpay-Serial"] == new
        assert download.path == CERTIFICATES
        assert client.platform_certificate_serials == sorted([certificate_mode, new])
        _budget(client, calls)
        assert downloads(sandbox) == 1


def test_unknown_serials_refresh_at_most_once_per_interval(
    calls: dict[str, DemoCall], sandbox: Sandbox, certificate_mode: str
) -> None:
    with wp.WeChatPayClient(**sandbox.merchant_config(verification="certificate")) as client:
        _budget(client, calls)  # the first download, just now
        sandbox.rotate_platform_certificate()
        for _ in range(3):
            with pytest.raises(wp.SignatureVerificationError, match="unknown Wechatpay-Serial"):
                _budget(client, calls)
        assert downloads(sandbox) == 1  # the minute since the last download has not passed


def test_a_forged_serial_costs_at_most_one_download(
    calls: dict[str, DemoCall], sandbox: Sandbox, certificate_mode: str
) -> None:
    with QuickClient(**sandbox.merchant_config(verification="certificate")) as client:
        _budget(client, calls)
        sandbox.clear()
        kwargs = {
            **calls["modify_budget"].kwargs,
            "extra_headers": {"X-Sandbox-Fault": "wrong-serial"},
        }
        with pytest.raises(wp.SignatureVerificationError, match="unknown Wechatpay-Serial"):
            client.modify_budget(**kwargs)
        assert downloads(sandbox) == 1  # one refresh looked for it; then the call failed


# -- migration ---------------------------------------------------------------------------------


def test_migration_verifies_by_serial_with_either_key(
    calls: dict[str, DemoCall], sandbox: Sandbox
) -> None:
    sandbox.use_platform_certificates(sign_with="public-key")
    try:
        with QuickClient(**sandbox.merchant_config(verification="migration")) as client:
            assert client.verification_mode == "migration"
            _budget(client, calls)
            assert downloads(sandbox) == 0  # the public key signed: nothing to download
            [call] = sandbox.requests
            assert call.headers["Wechatpay-Serial"] == sandbox.keys.wechatpay_public_key_id
            serial = sandbox.use_platform_certificates(sign_with="certificate")
            _budget(client, calls)
            assert downloads(sandbox) == 1
            assert client.platform_certificate_serials == [serial]
            sandbox.use_platform_certificates(sign_with="public-key")
            _budget(client, calls)
            assert downloads(sandbox) == 1
    finally:
        sandbox.use_public_key_only()


def test_migration_with_an_unknown_serial_and_no_certificates_is_a_signature_error(
    calls: dict[str, DemoCall], sandbox: Sandbox
) -> None:
    with wp.WeChatPayClient(**sandbox.merchant_config(verification="migration")) as client:
        kwargs = {
            **calls["modify_budget"].kwargs,
            "extra_headers": {"X-Sandbox-Fault": "wrong-serial"},
        }
        with pytest.raises(wp.SignatureVerificationError) as info:
            client.modify_budget(**kwargs)
    assert "downloading the platform certificates" in str(info.value)
    assert "404" in str(info.value)


# -- public-key mode never downloads -------------------------------------------------------------


@pytest.mark.parametrize("with_api_v3_key", [False, True])
def test_public_key_mode_never_calls_v3_certificates(
    calls: dict[str, DemoCall], sandbox: Sandbox, certificate_mode: str, with_api_v3_key: bool
) -> None:
    """Even when answers name a certificate (here: the sandbox signs with one)."""
    config = sandbox.merchant_config(api_v3_key=with_api_v3_key)
    with QuickClient(**config) as client:
        assert client.verification_mode == "public-key"
        with pytest.raises(wp.SignatureVerificationError, match="unknown Wechatpay-Serial"):
            _budget(client, calls)
        with pytest.raises(wp.ConfigurationError):
            client.refresh_certificates()
    assert downloads(sandbox) == 0


# -- one download, however many callers ---------------------------------------------------------


def test_threads_share_one_download(
    calls: dict[str, DemoCall], sandbox: Sandbox, certificate_mode: str
) -> None:
    with wp.WeChatPayClient(**sandbox.merchant_config(verification="certificate")) as client:
        start = threading.Barrier(8)
        errors: list[BaseException] = []

        def work() -> None:
            try:
                start.wait()
                _budget(client, calls)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert downloads(sandbox) == 1
    assert len(business(sandbox)) == 8


async def test_concurrent_async_calls_share_one_download(
    calls: dict[str, DemoCall], sandbox: Sandbox, certificate_mode: str
) -> None:
    config = sandbox.merchant_config(verification="certificate")
    async with QuickAsyncClient(**config) as client:
        kwargs = calls["modify_budget"].kwargs
        await asyncio.gather(*(client.modify_budget(**kwargs) for _ in range(8)))
        assert downloads(sandbox) == 1
        new = sandbox.rotate_platform_certificate()
        await asyncio.gather(*(client.modify_budget(**kwargs) for _ in range(8)))
        assert downloads(sandbox) == 2  # eight answers named the new serial: one refresh
        assert new in client.platform_certificate_serials


# -- configuration ---------------------------------------------------------------------------


def test_configuration_errors(sandbox: Sandbox) -> None:
    merchant = sandbox.merchant_config()
    no_key = {k: v for k, v in merchant.items() if not k.startswith("wechatpay_public_key")}
    with pytest.raises(wp.ConfigurationError, match="api_v3_key="):
        wp.WeChatPayClient(**no_key)
    half = {k: v for k, v in merchant.items() if k != "wechatpay_public_key"}
    with pytest.raises(wp.ConfigurationError, match="both"):
        wp.WeChatPayClient(**half)
    with pytest.raises(wp.ConfigurationError, match="api_v3_key="):
        wp.WeChatPayClient(**merchant, platform_certificates=True)
    brand = sandbox.brand_config(api_v3_key=True)
    with pytest.raises(wp.ConfigurationError, match="brand APIs verify with the WeChat Pay public"):
        wp.WeChatPayClient(**brand, platform_certificates=True)
    brand_no_key = {k: v for k, v in brand.items() if not k.startswith("wechatpay_public_key")}
    with pytest.raises(wp.ConfigurationError, match="no platform certificates for brands"):
        wp.WeChatPayClient(**brand_no_key)
    with wp.WeChatPayClient(**brand) as client:
        assert client.verification_mode == "public-key"


def test_brands_stay_on_the_public_key_while_the_merchant_uses_certificates(
    calls: dict[str, DemoCall], sandbox: Sandbox, certificate_mode: str
) -> None:
    """Brand APIs offer only the public-key mode (WeChat Pay's brand API overview), so the
    sandbox signs brand answers and callbacks with the public key in certificate mode too, and
    a brand request naming a platform certificate is refused like any unknown serial."""
    call = calls["submit_delivery_plan"]
    with wp.WeChatPayClient(**sandbox.brand_config(api_v3_key=True)) as brand:
        assert brand.verification_mode == "public-key"
        assert brand.submit_delivery_plan(**call.kwargs) is None
        [answered] = sandbox.requests
        assert answered.response_headers["Wechatpay-Serial"] == sandbox.keys.wechatpay_public_key_id
        assert downloads(sandbox) == 0
        callback = sandbox.callback("COUPON.SEND", brand=True)
        headers = callback.header_dict()
        assert headers["Wechatpay-Serial"] == sandbox.keys.wechatpay_public_key_id
        assert brand.parse_notification(headers=headers, body=callback.body).id
        with pytest.raises(wp.BadRequestError, match="Wechatpay-Serial"):
            brand.submit_delivery_plan(
                **call.kwargs, extra_headers={"Wechatpay-Serial": certificate_mode}
            )
    merchant_callback = sandbox.callback("COUPON.SEND")
    assert merchant_callback.header_dict()["Wechatpay-Serial"] == certificate_mode
