"""The sandbox's throwaway keys: generated once into a folder, reused, never leaked."""

from __future__ import annotations

import json
import re
import stat
import threading
from pathlib import Path

import pytest
from wechatpay_codegen.sandbox import KeysError, load_or_create_keys
from wechatpay_codegen.sandbox.keys import (
    BRAND_KEY_FILE,
    IDENTITY_FILE,
    MERCHANT_KEY_FILE,
    WECHATPAY_PRIVATE_KEY_FILE,
    WECHATPAY_PUBLIC_KEY_FILE,
    SandboxKeys,
)


def _same(a: SandboxKeys, b: SandboxKeys) -> bool:
    return (
        a.mchid == b.mchid
        and a.brand_id == b.brand_id
        and a.wechatpay_public_key_id == b.wechatpay_public_key_id
        and a.merchant_public_key.public_numbers() == b.merchant_public_key.public_numbers()
        and a.brand_public_key.public_numbers() == b.brand_public_key.public_numbers()
        and a.wechatpay_public_key.public_numbers() == b.wechatpay_public_key.public_numbers()
    )


def test_first_start_generates_keys_and_ids(tmp_path: Path) -> None:
    folder = tmp_path / "keys"
    keys, created = load_or_create_keys(folder)
    assert created
    assert re.fullmatch(r"19\d{8}", keys.mchid)
    assert re.fullmatch(r"123\d{7}", keys.brand_id)
    assert re.fullmatch(r"[0-9A-F]{40}", keys.merchant_serial_no)
    assert re.fullmatch(r"[0-9A-F]{40}", keys.brand_serial_no)
    assert keys.merchant_serial_no != keys.brand_serial_no
    assert re.fullmatch(r"PUB_KEY_ID_\d+", keys.wechatpay_public_key_id)
    for key in (keys.merchant_private_key, keys.brand_private_key, keys.wechatpay_private_key):
        assert key.key_size == 2048
    assert keys.directory == folder.absolute()
    identity = json.loads((folder / IDENTITY_FILE).read_text())
    assert identity["mchid"] == keys.mchid


def test_private_keys_are_written_0600(tmp_path: Path) -> None:
    keys, _ = load_or_create_keys(tmp_path / "keys")
    for name in (MERCHANT_KEY_FILE, BRAND_KEY_FILE, WECHATPAY_PRIVATE_KEY_FILE):
        assert stat.S_IMODE(keys.path(name).stat().st_mode) == 0o600
        assert keys.path(name).read_text().startswith("-----BEGIN PRIVATE KEY-----")
    public = keys.path(WECHATPAY_PUBLIC_KEY_FILE).read_text()
    assert public == keys.wechatpay_public_key_pem()
    assert public.startswith("-----BEGIN PUBLIC KEY-----")


def test_a_second_start_reuses_the_keys(tmp_path: Path) -> None:
    first, _ = load_or_create_keys(tmp_path / "keys")
    second, created = load_or_create_keys(tmp_path / "keys")
    assert not created
    assert _same(first, second)


def test_an_empty_folder_is_filled(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    _, created = load_or_create_keys(folder)
    assert created
    assert (folder / IDENTITY_FILE).is_file()


def test_concurrent_starts_share_one_set_of_keys(tmp_path: Path) -> None:
    folder = tmp_path / "keys"
    results: list[SandboxKeys] = []
    errors: list[BaseException] = []

    def start() -> None:
        try:
            results.append(load_or_create_keys(folder)[0])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert all(_same(results[0], other) for other in results[1:])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keys"]  # no staging leftovers


def test_a_folder_with_other_files_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(KeysError, match="holds no sandbox keys"):
        load_or_create_keys(tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_a_damaged_key_file_is_a_clear_error(tmp_path: Path) -> None:
    keys, _ = load_or_create_keys(tmp_path / "keys")
    keys.path(BRAND_KEY_FILE).write_text("not a key")
    with pytest.raises(KeysError, match=BRAND_KEY_FILE):
        load_or_create_keys(tmp_path / "keys")


def test_a_damaged_identity_file_is_a_clear_error(tmp_path: Path) -> None:
    keys, _ = load_or_create_keys(tmp_path / "keys")
    keys.path(IDENTITY_FILE).write_text('{"mchid": "1"}')
    with pytest.raises(KeysError, match="merchant_serial_no"):
        load_or_create_keys(tmp_path / "keys")


def test_repr_has_no_key_material(tmp_path: Path) -> None:
    keys, _ = load_or_create_keys(tmp_path / "keys")
    text = repr(keys)
    assert keys.mchid in text
    assert "PRIVATE" not in text and "private_key" not in text
