"""The sandbox's platform certificates (the certificate mode's server side)."""

from __future__ import annotations

import base64
import json

from cryptography import x509
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from wechatpay_codegen.sandbox.certificates import PlatformCertificates


def _decrypt(api_v3_key: str, entry: dict[str, object]) -> x509.Certificate:
    sealed = entry["encrypt_certificate"]
    assert isinstance(sealed, dict) and sealed["algorithm"] == "AEAD_AES_256_GCM"
    pem = AESGCM(api_v3_key.encode()).decrypt(
        sealed["nonce"].encode(),
        base64.b64decode(sealed["ciphertext"]),
        sealed["associated_data"].encode(),
    )
    return x509.load_pem_x509_certificate(pem)


def test_the_listing_is_encrypted_and_names_each_certificate_by_its_serial() -> None:
    key = "K" * 32
    platform = PlatformCertificates(key)
    platform.enable()
    first = platform.current
    second = platform.rotate()
    assert platform.current == second and first is not None
    data = json.loads(platform.listing())["data"]
    assert [e["serial_no"] for e in data] == [first.serial_no, second.serial_no]
    for entry in data:
        certificate = _decrypt(key, entry)
        assert f"{certificate.serial_number:040X}" == entry["serial_no"]
        assert len(entry["serial_no"]) == 40
        assert entry["effective_time"].endswith("+08:00")
    platform.disable()
    assert not platform.enabled and platform.certificates == []
