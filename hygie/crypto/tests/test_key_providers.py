from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from hygie.crypto.errors import DecryptionError, KeyConfigurationError, MasterKeyUnavailableError
from hygie.crypto.providers import (
    EnvKeyProvider,
    FileKeyProvider,
    generate_master_key_value,
    get_key_provider,
)


def test_the_file_provider_creates_no_key_unless_asked(keys_dir: Path) -> None:
    with pytest.raises(KeyConfigurationError, match=r"master-\*\.key"):
        FileKeyProvider(keys_dir)
    assert not keys_dir.exists()


def test_a_created_master_key_is_private_to_its_owner(keys_dir: Path) -> None:
    provider = FileKeyProvider(keys_dir, create_if_missing=True)
    path = provider.path_for(provider.current_kid())
    assert path.read_bytes() != b"\0" * 32 and len(path.read_bytes()) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(keys_dir.stat().st_mode) == 0o700


def test_the_newest_master_key_wraps_and_older_ones_still_unwrap(keys_dir: Path) -> None:
    provider = FileKeyProvider(keys_dir, create_if_missing=True)
    old_kid, wrapped = provider.wrap(b"k" * 32, b"aad")
    new_kid = provider.create_new_master()
    reloaded = FileKeyProvider(keys_dir)
    assert reloaded.current_kid() == new_kid != old_kid
    assert reloaded.unwrap(old_kid, wrapped, b"aad") == b"k" * 32


def test_unwrapping_with_other_associated_data_fails(keys_dir: Path) -> None:
    provider = FileKeyProvider(keys_dir, create_if_missing=True)
    kid, wrapped = provider.wrap(b"k" * 32, b"practice-1|data|1")
    with pytest.raises(DecryptionError):
        provider.unwrap(kid, wrapped, b"practice-2|data|1")


def test_an_unknown_master_kid_is_reported_as_missing_file(keys_dir: Path) -> None:
    provider = FileKeyProvider(keys_dir, create_if_missing=True)
    with pytest.raises(MasterKeyUnavailableError, match=r"master-0042-deadbeef\.key"):
        provider.unwrap("0042-deadbeef", b"\0" * 60, b"")


def test_a_key_file_readable_by_others_is_refused(keys_dir: Path) -> None:
    provider = FileKeyProvider(keys_dir, create_if_missing=True)
    os.chmod(provider.path_for(provider.current_kid()), 0o644)
    with pytest.raises(KeyConfigurationError, match="chmod 600"):
        FileKeyProvider(keys_dir)


def test_env_provider_unwraps_with_the_previous_key_during_rotation() -> None:
    old_value = generate_master_key_value("2025")
    kid, wrapped = EnvKeyProvider(old_value).wrap(b"k" * 32, b"aad")
    rotated = EnvKeyProvider(generate_master_key_value("2026"), old_value)
    assert rotated.current_kid() == "2026"
    assert rotated.unwrap(kid, wrapped, b"aad") == b"k" * 32
    with pytest.raises(MasterKeyUnavailableError, match="HYGIE_MASTER_KEY_PREVIOUS"):
        EnvKeyProvider(generate_master_key_value("2026")).unwrap(kid, wrapped, b"aad")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("no-colon", "kid:base64url"),
        ("bad kid!:AAAA", "kid:base64url"),
        ("k1:***", "base64url"),
        ("k1:QUFBQUFBQUFBQUFB", "not 32"),
    ],
)
def test_env_provider_rejects_malformed_keys_without_echoing_them(value: str, message: str) -> None:
    with pytest.raises(KeyConfigurationError, match=message) as caught:
        EnvKeyProvider(value)
    assert "HYGIE_MASTER_KEY" in str(caught.value)
    assert value not in str(caught.value)


def test_env_provider_refuses_the_same_kid_twice() -> None:
    with pytest.raises(KeyConfigurationError, match="share"):
        EnvKeyProvider(generate_master_key_value("k1"), generate_master_key_value("k1"))


def test_the_environment_key_wins_over_files(settings: Any, keys_dir: Path) -> None:
    settings.MASTER_KEY = generate_master_key_value("hosted")
    assert get_key_provider().current_kid() == "hosted"
    settings.MASTER_KEY = None
    assert isinstance(get_key_provider(create_if_missing=True), FileKeyProvider)
