"""Correcting an allergy keeps what it said before, never overwrites a change made
meanwhile; entered in error, it is kept and hidden; its content is encrypted at rest."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import F

from hygie.clinical.access import access_allergies, access_allergy, access_allergy_history
from hygie.clinical.actions import (
    AllergyData,
    AllergyVersionConflict,
    ReactionData,
    do_mark_allergy_entered_in_error,
    do_record_allergy,
    do_update_allergy,
)
from hygie.clinical.actions import allergies as allergy_actions
from hygie.clinical.models import AllergyIntolerance, AllergyIntoleranceVersion

from .vital_signs_support import events_after, last_event_id

pytestmark = pytest.mark.django_db

ERREUR = "Allergie saisie dans le mauvais dossier"


def penicillins(**overrides: Any) -> AllergyData:
    values: dict[str, Any] = {
        "type": "allergy",
        "category": "medication",
        "substance": "Pénicillines",
        "atc_code": "J01C",
        "criticality": "high",
        "verification_status": "unconfirmed",
        "onset": "05/2015",
        "reactions": (ReactionData("Urticaire géante", "severe"),),
        "note": "Réaction sous amoxicilline",
    }
    values.update(overrides)
    return AllergyData(**values)


def test_a_correction_keeps_the_previous_version_with_who_and_when(cast):
    alice = cast.actor("alice")
    allergy = do_record_allergy(alice, cast.patient.pk, penicillins())
    do_update_allergy(
        alice,
        allergy.pk,
        penicillins(verification_status="confirmed", criticality="low"),
        expected_version=1,
    )
    stored = AllergyIntolerance.objects.get(pk=allergy.pk)
    assert (stored.version, stored.verification_status, stored.criticality) == (
        2,
        "confirmed",
        "low",
    )
    assert stored.last_changed_by_id == cast.alice.pk
    assert stored.last_changed_at >= stored.recorded_at
    [kept] = AllergyIntoleranceVersion.objects.all()
    assert (kept.allergy_id, kept.version) == (allergy.pk, 1)
    assert kept.changed_by_id == kept.replaced_by_id == cast.alice.pk
    assert kept.changed_at == allergy.recorded_at
    assert kept.replaced_at == stored.last_changed_at
    assert kept.snapshot["verification_status"] == "unconfirmed"
    assert kept.snapshot["criticality"] == "high"
    assert kept.snapshot["substance_text"] == "Pénicillines"
    assert kept.snapshot["onset"] == "2015-05-01"

    history = access_allergy_history(alice, allergy.pk)
    assert [(a.version, a.criticality) for a in history] == [(2, "low"), (1, "high")]
    assert history[1].substance_text == "Pénicillines"
    assert history[1].onset_fhir == "2015-05"


def test_a_stale_version_is_a_conflict_and_nothing_is_written(cast):
    alice = cast.actor("alice")
    allergy = do_record_allergy(alice, cast.patient.pk, penicillins())
    # Two people opened version 1; the first saves.
    do_update_allergy(alice, allergy.pk, penicillins(criticality="low"), expected_version=1)
    before = last_event_id()
    with pytest.raises(AllergyVersionConflict) as raised:
        do_update_allergy(alice, allergy.pk, penicillins(note="Autre note"), expected_version=1)
    assert raised.value.current == 2
    assert str(raised.value).startswith(
        "Cette allergie a été modifiée entre-temps (elle en est à la version 2) : "
        "rien n'a été enregistré."
    )
    stored = AllergyIntolerance.objects.get(pk=allergy.pk)
    assert (stored.version, stored.criticality, stored.note) == (
        2,
        "low",
        "Réaction sous amoxicilline",
    )
    assert AllergyIntoleranceVersion.objects.count() == 1
    assert events_after(before) == []


def test_a_change_committed_while_saving_is_a_conflict_too(cast, monkeypatch):
    """The version was current when the allergy was read, and another change
    lands before this one writes: the conditional update finds it gone."""
    alice = cast.actor("alice")
    allergy = do_record_allergy(alice, cast.patient.pk, penicillins())
    real_check = allergy_actions.check_allergy

    def check_while_another_saves(*args: Any) -> dict[str, Any]:
        AllergyIntolerance.objects.filter(pk=allergy.pk).update(version=F("version") + 1)
        return real_check(*args)

    monkeypatch.setattr(allergy_actions, "check_allergy", check_while_another_saves)
    before = last_event_id()
    with pytest.raises(AllergyVersionConflict) as raised:
        do_update_allergy(alice, allergy.pk, penicillins(criticality="low"), expected_version=1)
    assert raised.value.current == 2
    stored = AllergyIntolerance.objects.get(pk=allergy.pk)
    assert stored.criticality == "high"
    assert not AllergyIntoleranceVersion.objects.exists()
    assert events_after(before) == []


def test_an_unchanged_save_writes_nothing(cast):
    alice = cast.actor("alice")
    allergy = do_record_allergy(alice, cast.patient.pk, penicillins())
    before = last_event_id()
    same = do_update_allergy(alice, allergy.pk, penicillins(), expected_version=1)
    assert same.version == 1
    assert not AllergyIntoleranceVersion.objects.exists()
    assert events_after(before) == []


def test_an_invalid_correction_writes_nothing(cast):
    alice = cast.actor("alice")
    allergy = do_record_allergy(alice, cast.patient.pk, penicillins())
    before = last_event_id()
    with pytest.raises(ValidationError) as raised:
        do_update_allergy(
            alice, allergy.pk, penicillins(atc_code="penicilline"), expected_version=1
        )
    assert set(raised.value.message_dict) == {"atc_code"}
    assert AllergyIntolerance.objects.get(pk=allergy.pk).atc_code == "J01C"
    assert not AllergyIntoleranceVersion.objects.exists()
    assert events_after(before) == []


def test_an_allergy_entered_in_error_is_kept_and_hidden_by_default(cast):
    alice = cast.actor("alice")
    right = do_record_allergy(
        alice, cast.patient.pk, penicillins(substance="Arachide", atc_code="", category="food")
    )
    wrong = do_record_allergy(alice, cast.patient.pk, penicillins())
    marked = do_mark_allergy_entered_in_error(alice, wrong.pk, f"  {ERREUR} ")
    assert marked.is_entered_in_error

    stored = AllergyIntolerance.objects.get(pk=wrong.pk)
    assert stored.verification_status == "entered-in-error"
    assert stored.clinical_status == ""  # FHIR: none when entered in error
    assert stored.status_reason == ERREUR
    assert stored.last_changed_by_id == cast.alice.pk
    assert stored.substance_text == "Pénicillines"  # kept as it was
    [kept] = AllergyIntoleranceVersion.objects.filter(allergy_id=wrong.pk)
    assert kept.snapshot["clinical_status"] == "active"

    assert [a.pk for a in access_allergies(alice, cast.patient.pk)] == [right.pk]
    everything = access_allergies(
        alice, cast.patient.pk, include_inactive=True, include_entered_in_error=True
    )
    assert [a.pk for a in everything] == [right.pk, wrong.pk]
    assert access_allergy(alice, wrong.pk).is_entered_in_error


def test_marking_needs_a_reason_happens_once_and_ends_corrections(cast):
    alice = cast.actor("alice")
    allergy = do_record_allergy(alice, cast.patient.pk, penicillins())
    with pytest.raises(ValidationError) as raised:
        do_mark_allergy_entered_in_error(alice, allergy.pk, "  x  ")
    assert raised.value.message_dict == {"reason": ["Indiquez le motif (5 caractères au moins)."]}
    assert AllergyIntolerance.objects.get(pk=allergy.pk).verification_status == "unconfirmed"

    with pytest.raises(AllergyVersionConflict):
        do_mark_allergy_entered_in_error(alice, allergy.pk, "doublon", expected_version=7)
    do_mark_allergy_entered_in_error(alice, allergy.pk, "doublon", expected_version=1)
    before = last_event_id()
    with pytest.raises(ValidationError) as again:
        do_mark_allergy_entered_in_error(alice, allergy.pk, "doublon")
    assert again.value.messages == ["Cette allergie est déjà marquée comme saisie par erreur."]
    with pytest.raises(ValidationError) as corrected:
        do_update_allergy(alice, allergy.pk, penicillins(), expected_version=2)
    assert corrected.value.messages == [
        "Cette allergie est marquée comme saisie par erreur : elle ne se modifie plus. "
        "Enregistrez-en une nouvelle."
    ]
    assert events_after(before) == []
    assert AllergyIntolerance.objects.get(pk=allergy.pk).version == 2


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
    allergy = do_record_allergy(alice, cast.patient.pk, penicillins())
    do_update_allergy(
        alice, allergy.pk, penicillins(note="Test cutané positif"), expected_version=1
    )
    do_mark_allergy_entered_in_error(alice, allergy.pk, ERREUR)

    substance, code, onset, reactions, note, reason = _raw(
        AllergyIntolerance,
        allergy.pk,
        ("substance_text", "atc_code", "onset", "reactions", "note", "status_reason"),
    )
    assert substance and "Pénicillines".encode() not in substance
    assert code and b"J01C" not in code
    assert onset and b"2015" not in onset
    assert reactions and b"Urticaire" not in reactions and b"severe" not in reactions
    assert note and "cutané".encode() not in note
    assert reason and ERREUR.encode() not in reason
    for kept in AllergyIntoleranceVersion.objects.filter(allergy_id=allergy.pk):
        [snapshot] = _raw(AllergyIntoleranceVersion, kept.pk, ("snapshot",))
        for clear in ("Pénicillines", "J01C", "Urticaire", "amoxicilline", "2015"):
            assert clear.encode() not in snapshot
    # What the lists filter by stays plain.
    assert AllergyIntolerance.objects.filter(verification_status="entered-in-error").count() == 1
