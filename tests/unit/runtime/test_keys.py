"""Key loading: every accepted form, and clear errors (without key material) for the rest."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from . import rt
from .conftest import KeyPair


def _body_lines(pem: str) -> list[str]:
    return [line for line in pem.splitlines() if line and not line.startswith("-----")]


def test_private_key_forms(merchant_key: KeyPair) -> None:
    der = merchant_key.private.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    pkcs1 = merchant_key.private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    expected = merchant_key.private.private_numbers()
    forms: list[rt.keys.KeyInput] = [
        merchant_key.private_pem,
        merchant_key.private_pem.encode(),
        merchant_key.private_path,
        str(merchant_key.private_path),
        merchant_key.private,
        der,
        pkcs1,
    ]
    for form in forms:
        loaded = rt.keys.load_private_key(form)
        assert loaded.cryptography_key.private_numbers() == expected


def test_public_key_forms_including_a_certificate(wechatpay_key: KeyPair, tmp_path: Path) -> None:
    import datetime

    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(wechatpay_key.private.public_key())
        .serial_number(0x7132D72A03E93CDDF8C03BBD1F37EEDF7D9D9F3A)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(wechatpay_key.private, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    der = wechatpay_key.private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    expected = wechatpay_key.private.public_key().public_numbers()
    forms: list[rt.keys.KeyInput] = [
        wechatpay_key.public_pem,
        wechatpay_key.public_pem.encode(),
        wechatpay_key.public_path,
        wechatpay_key.private.public_key(),
        der,
        cert_pem,
        cert_pem.decode(),
        cert.public_bytes(serialization.Encoding.DER),
    ]
    for form in forms:
        assert rt.keys.load_public_key(form).cryptography_key.public_numbers() == expected


def _error(loader: str, value: object) -> str:
    with pytest.raises(rt.errors.ConfigurationError) as info:
        getattr(rt.keys, loader)(value)
    assert isinstance(info.value, ValueError)
    return str(info.value)


def test_weak_keys_are_refused() -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    assert _error("load_private_key", weak).startswith("private_key: RSA key is 1024 bits")
    message = _error("load_public_key", weak.public_key())
    assert message.startswith("wechatpay_public_key: RSA key is 1024 bits")
    with pytest.raises(rt.errors.ConfigurationError, match=r"^brand_key: RSA key is 1024 bits"):
        rt.keys.load_private_key(weak, what="brand_key")


def test_wrong_kind_of_key_is_refused(merchant_key: KeyPair) -> None:
    assert "public key" in _error("load_private_key", merchant_key.public_pem)
    assert "private key" in _error("load_public_key", merchant_key.private_pem)
    assert "private key" in _error("load_public_key", merchant_key.private)
    assert "public key" in _error("load_private_key", merchant_key.private.public_key())
    ec_key = ec.generate_private_key(ec.SECP256R1())
    assert "RSA" in _error("load_private_key", ec_key)
    ec_pem = ec_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert "RSA" in _error("load_private_key", ec_pem)
    assert "got int" in _error("load_private_key", 42)


def test_encrypted_key_is_refused_with_advice(merchant_key: KeyPair) -> None:
    encrypted = merchant_key.private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret"),
    )
    assert "encrypted" in _error("load_private_key", encrypted)


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    message = _error("load_private_key", str(tmp_path / "apiclient_key.pem"))
    assert "no such file" in message and "apiclient_key.pem" in message
    empty = tmp_path / "empty.pem"
    empty.write_text("")
    message = _error("load_public_key", empty)
    assert message == f"wechatpay_public_key: the key file {str(empty)!r} is empty"


def test_errors_never_echo_key_material(merchant_key: KeyPair) -> None:
    lines = _body_lines(merchant_key.private_pem)
    base64_only = "".join(lines)  # the key without its BEGIN/END lines: not PEM, looks like a path
    corrupted = merchant_key.private_pem.replace(lines[3], lines[3][::-1])
    for value in [base64_only, lines[5], corrupted, corrupted.encode()]:
        message = _error("load_private_key", value)
        assert not any(line[:16] in message for line in lines), message


def test_key_holders_repr_shows_no_material(merchant_key: KeyPair, wechatpay_key: KeyPair) -> None:
    private = rt.keys.load_private_key(merchant_key.private_pem)
    public = rt.keys.load_public_key(wechatpay_key.public_pem)
    assert repr(private) == "<PrivateKey RSA 2048-bit>"
    assert repr(public) == "<PublicKey RSA 2048-bit>"
