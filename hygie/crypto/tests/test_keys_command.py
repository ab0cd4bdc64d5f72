from __future__ import annotations

import io
import json
import uuid
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from hygie.crypto import rotation
from hygie.crypto.models import DataKey


def _keys() -> list[tuple[Any, ...]]:
    return sorted(DataKey.objects.values_list("tenant_id", "purpose", "version", "status"))


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("keys", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["rotate", "--practice", "not-a-uuid"], "not-a-uuid"),
        (["rotate", "--practice", "00000000-0000-0000-0000-000000000000"], "Aucune clé"),
        (["rotate", "--master", "--practice", "00000000-0000-0000-0000-000000000000"], "--master"),
        (["reencrypt", "--practice", "42"], "42"),
        (["spin"], "invalid choice"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    practice_a: uuid.UUID, args: list[str], message: str
) -> None:
    before = _keys()
    with pytest.raises(CommandError, match=message):
        _run(*args)
    assert _keys() == before


@pytest.mark.django_db
def test_a_broken_key_setup_is_refused_before_any_rotation(
    keys_dir: Any, practice_a: uuid.UUID
) -> None:
    for path in keys_dir.glob("master-*.key"):
        path.unlink()
    before = _keys()
    with pytest.raises(CommandError, match="master"):
        _run("rotate", "--wait")
    assert _keys() == before


@pytest.mark.django_db
def test_rotating_one_practice_with_wait_reports_json(
    practice_a: uuid.UUID, practice_b: uuid.UUID
) -> None:
    result = json.loads(_run("rotate", "--practice", str(practice_a), "--wait", "--json"))
    assert result == {"practices": [{"practice": str(practice_a), "version": 2, "reencrypted": 0}]}
    assert DataKey.objects.get(tenant_id=practice_b, purpose="data").version == 1


@pytest.mark.django_db
def test_rotating_all_practices_enqueues_re_encryption(
    settings: Any, practice_a: uuid.UUID, practice_b: uuid.UUID
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    result = json.loads(_run("rotate", "--json"))
    assert {p["practice"] for p in result["practices"]} == {str(practice_a), str(practice_b)}
    assert all(p["version"] == 2 and p["task_id"] for p in result["practices"])


@pytest.mark.django_db
def test_master_rotation_from_the_command(keys_dir: Any, practice_a: uuid.UUID) -> None:
    result = json.loads(_run("rotate", "--master", "--json"))
    assert result["rewrapped"] == 2
    assert set(DataKey.objects.values_list("master_kid", flat=True)) == {result["master_kid"]}
    assert len(list(keys_dir.glob("master-*.key"))) == 2


@pytest.mark.django_db(transaction=True)
def test_status_counts_rows_left_on_old_keys(
    monkeypatch: pytest.MonkeyPatch, note_model: Any, practice_a: uuid.UUID
) -> None:
    monkeypatch.setattr(rotation, "encrypted_models", lambda model_classes=None: [note_model])
    note_model.objects.create(practice_id=practice_a, body="a")
    note_model.objects.create(practice_id=practice_a, body=None)
    _run("rotate", "--practice", str(practice_a), "--wait")  # re-encrypts both rows now
    note_model.objects.create(practice_id=practice_a, body="b")
    rotation.do_rotate_tenant_data_key(practice_a)

    status = json.loads(_run("status", "--json"))
    (practice,) = status["practices"]
    assert practice["data_version"] == 3
    assert practice["rows_on_old_versions"] == 2  # the NULL-only row holds no key version
    assert "lignes à re-chiffrer" in _run("status")
