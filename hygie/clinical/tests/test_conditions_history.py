"""Correcting a problem or history item keeps what it said before, never
overwrites a change made meanwhile, keeps a code the CIM-10 withdrew since;
entered in error, it is kept and hidden; its content is encrypted at rest."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import F

from hygie.clinical.access import (
    access_condition,
    access_condition_history,
    access_conditions,
)
from hygie.clinical.actions import (
    ConditionData,
    ConditionVersionConflict,
    do_mark_condition_entered_in_error,
    do_record_condition,
    do_update_condition,
)
from hygie.clinical.actions import conditions as condition_actions
from hygie.clinical.models import Condition, ConditionVersion
from hygie.terminology.models import Cim10Code

# The real CIM-10, loaded once for this module (a fixture: pytest finds it by name).
from hygie.terminology.tests.conftest import cim10  # noqa: F401

from .vital_signs_support import events_after, last_event_id

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("cim10")]

ERREUR = "Antécédent saisi dans le mauvais dossier"
DEPRESSION = "Épisode dépressif moyen"


def depression(**overrides: Any) -> ConditionData:
    values: dict[str, Any] = {
        "code": "F32.1",
        "text": "Dépression réactionnelle après un deuil",
        "verification_status": "provisional",
        "severity": "6736007",
        "onset": "05/2019",
        "note": "Suivi psychiatrique au CMP",
    }
    values.update(overrides)
    return ConditionData(**values)


def test_a_correction_keeps_the_previous_version_with_who_and_when(cast):
    alice = cast.actor("alice")
    condition = do_record_condition(alice, cast.patient.pk, depression())
    do_update_condition(
        alice,
        condition.pk,
        depression(
            verification_status="confirmed",
            clinical_status="remission",
            abatement="2021",
        ),
        expected_version=1,
    )
    stored = Condition.objects.get(pk=condition.pk)
    assert (stored.version, stored.verification_status, stored.clinical_status) == (
        2,
        "confirmed",
        "remission",
    )
    assert (stored.abatement, stored.abatement_precision) == (dt.date(2021, 1, 1), "year")
    assert stored.last_changed_by_id == cast.alice.pk
    assert stored.last_changed_at >= stored.recorded_at
    [kept] = ConditionVersion.objects.all()
    assert (kept.condition_id, kept.version) == (condition.pk, 1)
    assert kept.changed_by_id == kept.replaced_by_id == cast.alice.pk
    assert kept.changed_at == condition.recorded_at
    assert kept.replaced_at == stored.last_changed_at
    assert kept.snapshot["verification_status"] == "provisional"
    assert kept.snapshot["clinical_status"] == "active"
    assert (kept.snapshot["code"], kept.snapshot["code_label"]) == ("F32.1", DEPRESSION)
    assert (kept.snapshot["onset"], kept.snapshot["abatement"]) == ("2019-05-01", None)

    history = access_condition_history(alice, condition.pk)
    assert [(c.version, c.clinical_status) for c in history] == [(2, "remission"), (1, "active")]
    assert history[1].code_label == DEPRESSION
    assert history[1].onset_fhir == "2019-05"
    assert history[1].abatement is None


def test_a_stale_version_is_a_conflict_and_nothing_is_written(cast):
    alice = cast.actor("alice")
    condition = do_record_condition(alice, cast.patient.pk, depression())
    # Two people opened version 1; the first saves.
    do_update_condition(alice, condition.pk, depression(severity="24484000"), expected_version=1)
    before = last_event_id()
    with pytest.raises(ConditionVersionConflict) as raised:
        do_update_condition(alice, condition.pk, depression(note="Autre note"), expected_version=1)
    assert raised.value.current == 2
    assert str(raised.value).startswith(
        "Ce problème ou antécédent a été modifié entre-temps (il en est à la version 2) : "
        "rien n'a été enregistré."
    )
    stored = Condition.objects.get(pk=condition.pk)
    assert (stored.version, stored.severity, stored.note) == (
        2,
        "24484000",
        "Suivi psychiatrique au CMP",
    )
    assert ConditionVersion.objects.count() == 1
    assert events_after(before) == []


def test_a_change_committed_while_saving_is_a_conflict_too(cast, monkeypatch):
    """The version was current when the condition was read, and another change
    lands before this one writes: the conditional update finds it gone."""
    alice = cast.actor("alice")
    condition = do_record_condition(alice, cast.patient.pk, depression())
    real_check = condition_actions.check_condition

    def check_while_another_saves(*args: Any, **kwargs: Any) -> dict[str, Any]:
        Condition.objects.filter(pk=condition.pk).update(version=F("version") + 1)
        return real_check(*args, **kwargs)

    monkeypatch.setattr(condition_actions, "check_condition", check_while_another_saves)
    before = last_event_id()
    with pytest.raises(ConditionVersionConflict) as raised:
        do_update_condition(
            alice, condition.pk, depression(severity="24484000"), expected_version=1
        )
    assert raised.value.current == 2
    assert Condition.objects.get(pk=condition.pk).severity == "6736007"
    assert not ConditionVersion.objects.exists()
    assert events_after(before) == []


def test_an_unchanged_save_writes_nothing(cast):
    alice = cast.actor("alice")
    condition = do_record_condition(alice, cast.patient.pk, depression())
    before = last_event_id()
    # The code typed without its dot is the same code.
    same = do_update_condition(alice, condition.pk, depression(code="f321"), expected_version=1)
    assert same.version == 1
    assert not ConditionVersion.objects.exists()
    assert events_after(before) == []


def test_an_invalid_correction_writes_nothing(cast):
    alice = cast.actor("alice")
    condition = do_record_condition(alice, cast.patient.pk, depression())
    before = last_event_id()
    with pytest.raises(ValidationError) as raised:
        do_update_condition(
            alice,
            condition.pk,
            depression(code="U99.9", clinical_status="resolved", abatement="2018"),
            expected_version=1,
        )
    assert raised.value.message_dict == {
        "code": ["Code CIM-10 inconnu : « U99.9 » ; cherchez-le par son libellé"],
        "abatement": ["La résolution précède le début."],
    }
    assert Condition.objects.get(pk=condition.pk).code == "F32.1"
    assert not ConditionVersion.objects.exists()
    assert events_after(before) == []


def test_a_code_withdrawn_since_is_kept_on_a_correction_but_not_given_anew(cast):
    alice = cast.actor("alice")
    condition = do_record_condition(alice, cast.patient.pk, depression())
    # A later CIM-10 release withdraws F32.1 (rolled back with the test).
    Cim10Code.objects.filter(code="F32.1").update(withdrawn_in=2030, selectable=False)
    corrected = do_update_condition(
        alice, condition.pk, depression(verification_status="confirmed"), expected_version=1
    )
    assert (corrected.version, corrected.code, corrected.code_label) == (2, "F32.1", DEPRESSION)
    with pytest.raises(ValidationError) as raised:
        do_record_condition(alice, cast.patient.pk, depression())
    assert raised.value.message_dict == {
        "code": [
            "Le code CIM-10 « F32.1 » a été supprimé en 2030 : cherchez le code actuel "
            "par son libellé."
        ]
    }
    # Replacing it by a current code is checked as any new code.
    replaced = do_update_condition(
        alice, condition.pk, depression(code="F32.2"), expected_version=2
    )
    assert replaced.code == "F32.2"
    assert replaced.code_label == "Épisode dépressif sévère sans symptômes psychotiques"


def test_a_condition_entered_in_error_is_kept_and_hidden_by_default(cast):
    alice = cast.actor("alice")
    right = do_record_condition(alice, cast.patient.pk, depression(code="I10", text=""))
    wrong = do_record_condition(alice, cast.patient.pk, depression())
    marked = do_mark_condition_entered_in_error(alice, wrong.pk, f"  {ERREUR} ")
    assert marked.is_entered_in_error

    stored = Condition.objects.get(pk=wrong.pk)
    assert stored.verification_status == "entered-in-error"
    assert stored.clinical_status == ""  # FHIR con-5: none when entered in error
    assert stored.status_reason == ERREUR
    assert stored.last_changed_by_id == cast.alice.pk
    assert stored.code == "F32.1"  # kept as it was
    [kept] = ConditionVersion.objects.filter(condition_id=wrong.pk)
    assert kept.snapshot["clinical_status"] == "active"

    assert [c.pk for c in access_conditions(alice, cast.patient.pk)] == [right.pk]
    everything = access_conditions(
        alice, cast.patient.pk, include_inactive=True, include_entered_in_error=True
    )
    assert [c.pk for c in everything] == [right.pk, wrong.pk]
    assert access_condition(alice, wrong.pk).is_entered_in_error


def test_a_resolved_condition_with_an_abatement_may_be_entered_in_error(cast):
    alice = cast.actor("alice")
    condition = do_record_condition(
        alice, cast.patient.pk, depression(clinical_status="resolved", abatement="2020")
    )
    do_mark_condition_entered_in_error(alice, condition.pk, ERREUR)
    stored = Condition.objects.get(pk=condition.pk)
    assert (stored.clinical_status, stored.abatement) == ("", dt.date(2020, 1, 1))


def test_marking_needs_a_reason_happens_once_and_ends_corrections(cast):
    alice = cast.actor("alice")
    condition = do_record_condition(alice, cast.patient.pk, depression())
    with pytest.raises(ValidationError) as raised:
        do_mark_condition_entered_in_error(alice, condition.pk, "  x  ")
    assert raised.value.message_dict == {"reason": ["Indiquez le motif (5 caractères au moins)."]}
    assert Condition.objects.get(pk=condition.pk).verification_status == "provisional"

    with pytest.raises(ConditionVersionConflict):
        do_mark_condition_entered_in_error(alice, condition.pk, "doublon", expected_version=7)
    do_mark_condition_entered_in_error(alice, condition.pk, "doublon", expected_version=1)
    before = last_event_id()
    with pytest.raises(ValidationError) as again:
        do_mark_condition_entered_in_error(alice, condition.pk, "doublon")
    assert again.value.messages == [
        "Ce problème ou antécédent est déjà marqué comme saisi par erreur."
    ]
    with pytest.raises(ValidationError) as corrected:
        do_update_condition(alice, condition.pk, depression(), expected_version=2)
    assert corrected.value.messages == [
        "Ce problème ou antécédent est marqué comme saisi par erreur : il ne se modifie "
        "plus. Enregistrez-en un nouveau."
    ]
    assert events_after(before) == []
    assert Condition.objects.get(pk=condition.pk).version == 2


def _raw(model: type[Any], row_id: uuid.UUID, columns: tuple[str, ...]) -> tuple[bytes, ...]:
    table = model._meta.db_table
    pk = model._meta.pk.get_db_prep_value(row_id, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(columns)} FROM {table} WHERE id = %s",  # noqa: S608
            [pk],
        )
        row = cursor.fetchone()
    return tuple(bytes(column) if column is not None else b"" for column in row)


def test_the_content_is_encrypted_at_rest_and_so_are_previous_versions(cast):
    alice = cast.actor("alice")
    condition = do_record_condition(alice, cast.patient.pk, depression())
    do_update_condition(
        alice,
        condition.pk,
        depression(clinical_status="resolved", abatement="03/2021", note="Sevrage réussi"),
        expected_version=1,
    )
    do_mark_condition_entered_in_error(alice, condition.pk, ERREUR)

    code, label, text, onset, abatement, note, reason = _raw(
        Condition,
        condition.pk,
        ("code", "code_label", "text", "onset", "abatement", "note", "status_reason"),
    )
    assert code and b"F32" not in code
    assert label and "dépressif".encode() not in label
    assert text and "Dépression".encode() not in text and b"deuil" not in text
    assert onset and b"2019" not in onset
    assert abatement and b"2021" not in abatement
    assert note and b"Sevrage" not in note
    assert reason and ERREUR.encode() not in reason
    for kept in ConditionVersion.objects.filter(condition_id=condition.pk):
        [snapshot] = _raw(ConditionVersion, kept.pk, ("snapshot",))
        for clear in ("F32", "dépressif", "Dépression", "deuil", "CMP", "2019", "2021"):
            assert clear.encode() not in snapshot
    # What the lists filter by stays plain.
    assert Condition.objects.filter(verification_status="entered-in-error").count() == 1
    assert Condition.objects.filter(kind="medical", category="problem-list-item").count() == 1
