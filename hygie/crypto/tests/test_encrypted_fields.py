from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.test.utils import isolate_apps

from hygie.crypto.errors import DecryptionError, EncryptedFieldUsageError
from hygie.crypto.fields import Ciphertext, EncryptedTextField

pytestmark = pytest.mark.django_db(transaction=True)


def _raw(model: type[models.Model], pk: uuid.UUID, column: str) -> bytes | None:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk.hex])  # noqa: S608
        (value,) = cursor.fetchone()
    return None if value is None else bytes(value)


def _set_raw(model: type[models.Model], pk: uuid.UUID, column: str, value: bytes | None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {model._meta.db_table} SET {column} = %s WHERE id = %s",  # noqa: S608
            [value, pk.hex],
        )


def test_values_round_trip_and_the_table_holds_no_plaintext(
    note_model: Any, practice_a: uuid.UUID
) -> None:
    note = note_model.objects.create(
        practice_id=practice_a,
        body="Douleur thoracique depuis trois jours",
        seen_on=dt.date(2025, 11, 10),
        extra={"tension": [13, 8], "fumeur": False},
    )
    loaded = note_model.objects.get(pk=note.pk)
    assert loaded.body == "Douleur thoracique depuis trois jours"
    assert loaded.seen_on == dt.date(2025, 11, 10)
    assert loaded.extra == {"tension": [13, 8], "fumeur": False}
    raw = _raw(note_model, note.pk, "body")
    assert raw is not None and b"thoracique" not in raw
    assert b"2025" not in (_raw(note_model, note.pk, "seen_on") or b"")


def test_none_stays_null_and_an_empty_string_is_encrypted(
    note_model: Any, practice_a: uuid.UUID
) -> None:
    note = note_model.objects.create(practice_id=practice_a, body="", summary=None)
    assert _raw(note_model, note.pk, "summary") is None
    assert _raw(note_model, note.pk, "body") not in (None, b"")
    loaded = note_model.objects.get(pk=note.pk)
    assert loaded.body == "" and loaded.summary is None


def test_loaded_values_are_decrypted_only_when_read(note_model: Any, practice_a: uuid.UUID) -> None:
    note = note_model.objects.create(practice_id=practice_a, body="secret")
    loaded = note_model.objects.get(pk=note.pk)
    assert isinstance(loaded.__dict__["body"], Ciphertext)
    assert "secret" not in repr(loaded.__dict__["body"])
    assert loaded.body == "secret"
    assert loaded.__dict__["body"] == "secret"


def test_values_list_yields_ciphertext_never_plaintext(
    note_model: Any, practice_a: uuid.UUID
) -> None:
    note_model.objects.create(practice_id=practice_a, body="secret")
    (value,) = note_model.objects.values_list("body", flat=True)
    assert isinstance(value, Ciphertext)


def test_a_ciphertext_swapped_between_rows_fails(note_model: Any, practice_a: uuid.UUID) -> None:
    alice = note_model.objects.create(practice_id=practice_a, body="Alice: VIH+")
    bob = note_model.objects.create(practice_id=practice_a, body="Bob: RAS")
    _set_raw(note_model, bob.pk, "body", _raw(note_model, alice.pk, "body"))
    with pytest.raises(DecryptionError, match="body"):
        _ = note_model.objects.get(pk=bob.pk).body


def test_a_ciphertext_swapped_between_columns_fails(note_model: Any, practice_a: uuid.UUID) -> None:
    note = note_model.objects.create(practice_id=practice_a, body="long", summary="court")
    _set_raw(note_model, note.pk, "summary", _raw(note_model, note.pk, "body"))
    with pytest.raises(DecryptionError):
        _ = note_model.objects.get(pk=note.pk).summary


def test_a_ciphertext_moved_to_another_practice_fails(
    note_model: Any, practice_a: uuid.UUID, practice_b: uuid.UUID
) -> None:
    note = note_model.objects.create(practice_id=practice_a, body="secret")
    note_model.objects.filter(pk=note.pk).update(practice_id=practice_b)
    with pytest.raises(DecryptionError):
        _ = note_model.objects.get(pk=note.pk).body


def test_a_tampered_byte_in_the_column_fails(note_model: Any, practice_a: uuid.UUID) -> None:
    note = note_model.objects.create(practice_id=practice_a, body="secret")
    raw = bytearray(_raw(note_model, note.pk, "body") or b"")
    raw[-1] ^= 0x80
    _set_raw(note_model, note.pk, "body", bytes(raw))
    with pytest.raises(DecryptionError):
        _ = note_model.objects.get(pk=note.pk).body


def test_saving_without_reading_keeps_the_stored_value(
    note_model: Any, practice_a: uuid.UUID
) -> None:
    note = note_model.objects.create(practice_id=practice_a, body="secret")
    before = _raw(note_model, note.pk, "body")
    loaded = note_model.objects.get(pk=note.pk)
    loaded.save()
    assert _raw(note_model, note.pk, "body") == before
    loaded.body = "changé"
    loaded.save()
    assert note_model.objects.get(pk=note.pk).body == "changé"


def test_a_copied_row_is_re_encrypted_for_its_new_primary_key(
    note_model: Any, practice_a: uuid.UUID
) -> None:
    note = note_model.objects.create(practice_id=practice_a, body="modèle de courrier")
    copy = note_model.objects.get(pk=note.pk)
    copy.pk = uuid.uuid4()
    copy._state.adding = True
    copy.save()
    assert note_model.objects.get(pk=copy.pk).body == "modèle de courrier"


def test_encrypted_fields_cannot_be_filtered(note_model: Any, practice_a: uuid.UUID) -> None:
    with pytest.raises(EncryptedFieldUsageError, match="blind index"):
        note_model.objects.filter(body="secret")
    with pytest.raises(EncryptedFieldUsageError):
        note_model.objects.filter(body__icontains="sec")
    note_model.objects.create(practice_id=practice_a, body=None)
    assert note_model.objects.filter(body__isnull=True).count() == 1


def test_queryset_update_refuses_plaintext(note_model: Any, practice_a: uuid.UUID) -> None:
    note = note_model.objects.create(practice_id=practice_a, body="secret")
    before = _raw(note_model, note.pk, "body")
    with pytest.raises(EncryptedFieldUsageError, match="plaintext"):
        note_model.objects.filter(pk=note.pk).update(body="en clair")
    with pytest.raises(EncryptedFieldUsageError):
        note.body = "en clair"
        note_model.objects.bulk_update([note], ["body"])
    assert _raw(note_model, note.pk, "body") == before


def test_a_datetime_is_not_silently_taken_for_a_date(
    note_model: Any, practice_a: uuid.UUID
) -> None:
    note = note_model(
        practice_id=practice_a, seen_on=dt.datetime(2025, 1, 1, 23, 30, tzinfo=dt.UTC)
    )
    with pytest.raises(ValidationError, match="expected a date"):
        note.save()


def test_a_model_form_edits_the_plaintext(note_model: Any, practice_a: uuid.UUID) -> None:
    note = note_model.objects.create(
        practice_id=practice_a, body="avant", seen_on=dt.date(2025, 1, 2)
    )
    form_class = forms.modelform_factory(note_model, fields=["body", "seen_on", "extra"])
    form = form_class(instance=note_model.objects.get(pk=note.pk))
    assert form.initial["body"] == "avant"
    form = form_class(
        {"body": "après", "seen_on": "2025-03-04", "extra": '{"a": 1}'},
        instance=note_model.objects.get(pk=note.pk),
    )
    assert form.is_valid(), form.errors
    form.save()
    saved = note_model.objects.get(pk=note.pk)
    assert (saved.body, saved.seen_on, saved.extra) == ("après", dt.date(2025, 3, 4), {"a": 1})


def test_a_model_without_tenant_or_pk_default_fails_the_system_checks() -> None:
    with isolate_apps("hygie.crypto"):

        class Orphan(models.Model):
            secret = EncryptedTextField()

            class Meta:
                app_label = "crypto"

            def __str__(self) -> str:
                return "orphan"

    ids = {error.id for error in Orphan.check()}
    assert {"crypto.E001", "crypto.E002", "crypto.E003"} <= ids


def test_loading_rows_costs_no_extra_query_even_with_the_tenant_deferred(
    note_model: Any, practice_a: uuid.UUID, django_assert_num_queries: Any
) -> None:
    for body in ("un", "deux", "trois"):
        note_model.objects.create(practice_id=practice_a, body=body)
    with django_assert_num_queries(1):
        notes = list(note_model.objects.only("id", "body"))
    assert sorted(n.body for n in notes) == ["deux", "trois", "un"]
