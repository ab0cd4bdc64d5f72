from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from hygie.crypto.errors import KeyConfigurationError, MissingTenantKeyError
from hygie.crypto.keys import check_keys, clear_caches, data_key, ensure_tenant_keys, index_key
from hygie.crypto.models import DataKey
from hygie.crypto.providers import generate_master_key_value


def _key_files(keys_dir: Path) -> list[str]:
    return sorted(p.name for p in keys_dir.glob("master-*.key"))


@pytest.mark.django_db
def test_first_start_creates_the_embedded_master_key(keys_dir: Path) -> None:
    check_keys()
    assert len(_key_files(keys_dir)) == 1
    check_keys()  # and only once
    assert len(_key_files(keys_dir)) == 1


def test_before_migrate_the_check_does_nothing(
    keys_dir: Path, monkeypatch: pytest.MonkeyPatch, db: None
) -> None:
    monkeypatch.setattr(connection.introspection, "table_names", lambda *a, **k: [])
    check_keys()
    assert not keys_dir.exists()


@pytest.mark.django_db
def test_a_new_practice_gets_a_data_key_and_an_index_key_once() -> None:
    practice = uuid.uuid4()
    ensure_tenant_keys(practice)
    ensure_tenant_keys(practice)
    rows = DataKey.objects.filter(tenant_id=practice)
    assert sorted(rows.values_list("purpose", "version", "status")) == [
        ("data", 1, "active"),
        ("index", 1, "active"),
    ]
    version, key = data_key(practice)
    clear_caches()
    assert data_key(practice) == (version, key) and len(key) == 32
    assert index_key(practice) != key


@pytest.mark.django_db
def test_a_practice_without_keys_is_an_error_not_a_new_key() -> None:
    with pytest.raises(MissingTenantKeyError, match="ensure_tenant_keys"):
        data_key(uuid.uuid4())


@pytest.mark.django_db
def test_a_missing_key_file_stops_start_up_and_is_not_replaced(
    keys_dir: Path, practice_a: uuid.UUID
) -> None:
    (only_file,) = keys_dir.glob("master-*.key")
    only_file.unlink()
    clear_caches()
    with pytest.raises(KeyConfigurationError) as caught:
        check_keys()
    message = str(caught.value)
    assert "Aucune clé maîtresse" in message and "No master key" in message
    assert _key_files(keys_dir) == []  # above all, no new key was invented
    with pytest.raises(KeyConfigurationError):
        ensure_tenant_keys(uuid.uuid4())
    assert _key_files(keys_dir) == []


@pytest.mark.django_db
def test_a_missing_old_key_file_is_named_in_the_error(
    keys_dir: Path, practice_a: uuid.UUID
) -> None:
    (old_file,) = keys_dir.glob("master-*.key")
    ensure_tenant_keys(uuid.uuid4())
    # Another file exists, but not the one the practice keys are wrapped with.
    old_file.rename(keys_dir / "master-9999-00000000.key")
    with pytest.raises(KeyConfigurationError) as caught:
        check_keys()
    assert old_file.name in str(caught.value)
    assert "restaurez" in str(caught.value) and "restore it" in str(caught.value)


@pytest.mark.django_db
def test_a_replaced_key_file_is_reported_as_the_wrong_key(
    keys_dir: Path, practice_a: uuid.UUID
) -> None:
    (key_file,) = keys_dir.glob("master-*.key")
    key_file.write_bytes(b"\x01" * 32)
    with pytest.raises(KeyConfigurationError, match="does not unwrap"):
        check_keys()


@pytest.mark.django_db
def test_a_wrong_hosted_master_key_stops_start_up(settings: Any) -> None:
    settings.MASTER_KEY = generate_master_key_value("prod-2026")
    ensure_tenant_keys(uuid.uuid4())
    check_keys()
    settings.MASTER_KEY = generate_master_key_value("prod-2026")  # same id, other bytes
    clear_caches()
    with pytest.raises(KeyConfigurationError) as caught:
        check_keys()
    message = str(caught.value)
    assert "HYGIE_MASTER_KEY" in message
    assert "ne déchiffre pas" in message and "does not unwrap" in message


@pytest.mark.django_db
def test_a_hosted_key_with_another_id_names_the_missing_one(settings: Any) -> None:
    settings.MASTER_KEY = generate_master_key_value("prod-2025")
    ensure_tenant_keys(uuid.uuid4())
    settings.MASTER_KEY = generate_master_key_value("prod-2026")
    with pytest.raises(KeyConfigurationError, match="prod-2025"):
        check_keys()
