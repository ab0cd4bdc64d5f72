from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, models
from django.test.utils import isolate_apps

from hygie.core.models import BaseModel
from hygie.crypto.fields import EncryptedDateField, EncryptedJSONField, EncryptedTextField
from hygie.crypto.keys import clear_caches, ensure_tenant_keys


@pytest.fixture(autouse=True)
def keys_dir(settings: Any, tmp_path: Path) -> Iterator[Path]:
    """Each test gets its own embedded key directory and a cold key cache."""
    # The project's conftest isolates keys too; this names the directory for tests.
    settings.KEYS_DIR = tmp_path / "keys"
    settings.MASTER_KEY = None
    settings.MASTER_KEY_PREVIOUS = None
    clear_caches()
    yield settings.KEYS_DIR
    clear_caches()


@pytest.fixture
def practice_a(db: None) -> uuid.UUID:
    tenant = uuid.uuid4()
    ensure_tenant_keys(tenant)
    return tenant


@pytest.fixture
def practice_b(db: None) -> uuid.UUID:
    tenant = uuid.uuid4()
    ensure_tenant_keys(tenant)
    return tenant


@pytest.fixture
def note_model(transactional_db: None) -> Iterator[type[models.Model]]:
    """A model with encrypted fields, in its own app registry and its own table
    (SQLite cannot create tables inside the test transaction, hence transactional)."""
    with isolate_apps("hygie.crypto"):

        class Note(BaseModel):
            encryption_tenant_field = "practice_id"
            practice_id = models.UUIDField()
            body = EncryptedTextField(null=True)
            summary = EncryptedTextField(null=True)
            seen_on = EncryptedDateField(null=True)
            extra = EncryptedJSONField(null=True)

            class Meta:
                app_label = "crypto"

            def encryption_tenant_id(self) -> uuid.UUID:
                return self.practice_id

    with connection.schema_editor() as editor:
        editor.create_model(Note)
    yield Note
    with connection.schema_editor() as editor:
        editor.delete_model(Note)
