"""Fixtures of the transport conformance suite.

The runtime is loaded from its source, ``templates/runtime``, copied into a throwaway package
(``conf_pkg._runtime``, the layout of the generated package: :func:`.sides.load_runtime`). Keys
and the TLS certificates are real ones made here; every server is a real socket on loopback.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from .sides import load_runtime


@pytest.fixture(scope="session")
def tr(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    folder = tmp_path_factory.mktemp("conformance-pkg")
    yield load_runtime(folder)
    sys.path.remove(str(folder))


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def make_client_kwargs() -> dict[str, Any]:
    """Constructor arguments of a merchant client (pointed nowhere useful: construction only)."""
    merchant = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    wechatpay = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return {
        "mchid": "1900000001",
        "serial_no": "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
        "private_key": _pem(merchant),
        "wechatpay_public_key_id": "PUB_KEY_ID_0114232134912410000000000000",
        "wechatpay_public_key": wechatpay.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode(),
        "base_url": "http://127.0.0.1:9",
        "backup_base_url": None,
    }


@pytest.fixture(scope="session")
def client_kwargs() -> dict[str, Any]:
    return make_client_kwargs()


def make_certificate(folder: Path, name: str, hosts: list[str]) -> SimpleNamespace:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])])
    now = datetime.datetime.now(datetime.timezone.utc)
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file = folder / f"{name}.pem"
    key_file = folder / f"{name}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_text(_pem(key))
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_file, key_file)
    trusting = ssl.create_default_context(cafile=str(cert_file))
    return SimpleNamespace(cert_file=cert_file, server_context=server, client_context=trusting)


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """A self-signed certificate for localhost and 127.0.0.1."""
    return make_certificate(tmp_path_factory.mktemp("tls"), "localhost", ["localhost", "127.0.0.1"])


@pytest.fixture(scope="session")
def other_certificate(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """A self-signed certificate for another name (a hostname mismatch on loopback)."""
    return make_certificate(tmp_path_factory.mktemp("tls-other"), "other", ["example.invalid"])
