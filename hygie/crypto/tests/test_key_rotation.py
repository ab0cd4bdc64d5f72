from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from hygie.crypto import aead
from hygie.crypto.keys import check_keys, clear_caches, data_key, ensure_tenant_keys
from hygie.crypto.models import DataKey
from hygie.crypto.providers import FileKeyProvider, generate_master_key_value
from hygie.crypto.rotation import (
    Progress,
    do_rewrap_all_keys,
    do_rotate_tenant_data_key,
    reencrypt_tenant,
    rows_on_old_versions,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _versions(model: Any, column: str) -> set[int]:
    return {aead.blob_version(v.blob) for v in model.objects.values_list(column, flat=True) if v}


def test_rotation_keeps_old_values_readable_until_re_encrypted(
    note_model: Any, practice_a: uuid.UUID
) -> None:
    note = note_model.objects.create(practice_id=practice_a, body="avant rotation")
    assert do_rotate_tenant_data_key(practice_a) == 2
    clear_caches()  # as in another process
    assert note_model.objects.get(pk=note.pk).body == "avant rotation"
    newer = note_model.objects.create(practice_id=practice_a, body="après rotation")
    assert _versions(note_model, "body") == {1, 2}
    assert note_model.objects.get(pk=newer.pk).body == "après rotation"
    statuses = DataKey.objects.filter(tenant_id=practice_a, purpose="data")
    assert sorted(statuses.values_list("version", "status")) == [(1, "retired"), (2, "active")]


def test_re_encryption_moves_every_row_to_the_active_key_in_batches(
    note_model: Any, practice_a: uuid.UUID, practice_b: uuid.UUID
) -> None:
    for i in range(7):
        note_model.objects.create(practice_id=practice_a, body=f"note {i}", summary=None)
    other = note_model.objects.create(practice_id=practice_b, body="autre cabinet")
    before = note_model.objects.get(pk=other.pk).updated_at
    do_rotate_tenant_data_key(practice_a)
    assert rows_on_old_versions(practice_a, [note_model]) == 7

    seen: list[Progress] = []
    count = reencrypt_tenant(
        practice_a, batch_size=3, progress=seen.append, model_classes=[note_model]
    )

    assert count == 7
    assert [p.scanned for p in seen] == [3, 6, 7]
    assert rows_on_old_versions(practice_a, [note_model]) == 0
    rows = note_model.objects.filter(practice_id=practice_a)
    assert {aead.blob_version(v.blob) for v in rows.values_list("body", flat=True)} == {2}
    assert sorted(n.body for n in rows) == [f"note {i}" for i in range(7)]
    # The other practice is untouched, and rotation is not an edit.
    assert note_model.objects.get(pk=other.pk).updated_at == before


def test_an_interrupted_re_encryption_resumes(note_model: Any, practice_a: uuid.UUID) -> None:
    for i in range(5):
        note_model.objects.create(practice_id=practice_a, body=f"note {i}")
    do_rotate_tenant_data_key(practice_a)

    def crash_after_first_batch(progress: Progress) -> None:
        raise RuntimeError("worker killed")

    with pytest.raises(RuntimeError):
        reencrypt_tenant(
            practice_a, batch_size=2, progress=crash_after_first_batch, model_classes=[note_model]
        )
    assert rows_on_old_versions(practice_a, [note_model]) == 3  # first batch committed
    assert reencrypt_tenant(practice_a, model_classes=[note_model]) == 3
    assert reencrypt_tenant(practice_a, model_classes=[note_model]) == 0


def test_master_rotation_rewraps_every_key_in_embedded_mode(
    keys_dir: Path, note_model: Any, practice_a: uuid.UUID, practice_b: uuid.UUID
) -> None:
    note = note_model.objects.create(practice_id=practice_a, body="secret")
    old_kid = FileKeyProvider(keys_dir).current_kid()
    new_kid = FileKeyProvider(keys_dir).create_new_master()

    assert do_rewrap_all_keys() == 4
    assert set(DataKey.objects.values_list("master_kid", flat=True)) == {new_kid}
    (keys_dir / f"master-{old_kid}.key").unlink()
    clear_caches()
    check_keys()
    assert note_model.objects.get(pk=note.pk).body == "secret"


def test_master_rotation_in_hosted_mode_uses_the_previous_key(settings: Any) -> None:
    old_value = generate_master_key_value("2025")
    settings.MASTER_KEY = old_value
    practice = uuid.uuid4()
    ensure_tenant_keys(practice)
    _, key = data_key(practice)
    settings.MASTER_KEY = generate_master_key_value("2026")
    settings.MASTER_KEY_PREVIOUS = old_value
    clear_caches()
    assert do_rewrap_all_keys() == 2
    assert do_rewrap_all_keys() == 0
    settings.MASTER_KEY_PREVIOUS = None
    clear_caches()
    check_keys()
    assert data_key(practice) == (1, key)
