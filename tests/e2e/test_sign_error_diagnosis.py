"""The sandbox refuses a bad signature with 401 SIGN_ERROR; the error explains what was signed."""

from __future__ import annotations

import pytest
import wechatpay_marketing as wp
from wechatpay_codegen.demo import DemoCall
from wechatpay_codegen.sandbox import Sandbox


def test_sign_error_from_the_sandbox_carries_the_diagnosis(
    calls: dict[str, DemoCall], sandbox: Sandbox
) -> None:
    config = {**sandbox.merchant_config(), "private_key": sandbox.brand_config()["private_key"]}
    with wp.WeChatPayClient(**config) as client, pytest.raises(wp.AuthenticationError) as info:
        client.modify_budget(**calls["modify_budget"].kwargs)
    [received] = sandbox.requests
    error = info.value
    assert error.code == "SIGN_ERROR" and error.diagnosis is not None
    assert error.diagnosis.string_to_sign == (
        f"{received.method}\n{received.target}\n{received.timestamp}\n{received.nonce}\n"
        f"{received.body.decode()}\n"
    )
    text = str(error)
    assert f"mchid={config['mchid']} with serial_no={config['serial_no']}" in text
    assert "server Date" in text and "CLOCK SKEW" not in text  # same machine, same clock
    assert "PRIVATE KEY" not in text
