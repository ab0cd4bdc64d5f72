"""Who may record, correct, mark and read a patient's allergies, and that every
read, write and refusal is audited exactly once, without the substance."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hygie.audit.actions import reason_text
from hygie.audit.enums import AuditAction, AuditEventType, AuditOutcome, PurposeOfUse
from hygie.clinical.access import (
    AllergyNotFound,
    access_active_allergies,
    access_allergies,
    access_allergy,
    access_allergy_history,
)
from hygie.clinical.actions import (
    AllergyData,
    ReactionData,
    do_mark_allergy_entered_in_error,
    do_record_allergy,
    do_update_allergy,
)
from hygie.clinical.models import AllergyIntolerance, AllergyIntoleranceVersion
from hygie.core import clock
from hygie.patients.access import ClinicalAccessDenied, PatientDeleted, PatientNotFound
from hygie.patients.actions import PracticeReadOnly, do_break_glass, do_delete_patient
from hygie.practices.context import as_system

from .vital_signs_support import events_after, last_event_id

pytestmark = pytest.mark.django_db

URGENCE = "Patiente vue en urgence, Dr Aubert absente"
ERREUR = "Allergie saisie dans le mauvais dossier"
# What must never appear in the audit log in clear.
SECRETS = ("Pénicillines", "pénicillines", "J01C", "Urticaire", "urticaire", "amoxicilline")


def penicillins(**overrides: Any) -> AllergyData:
    values: dict[str, Any] = {
        "type": "allergy",
        "category": "medication",
        "substance": "Pénicillines",
        "atc_code": "J01C",
        "criticality": "high",
        "verification_status": "confirmed",
        "onset": "2015",
        "reactions": (ReactionData("Urticaire géante", "severe"),),
        "note": "Réaction sous amoxicilline en 2015",
    }
    values.update(overrides)
    return AllergyData(**values)


def _shows_no_secret(event: Any) -> None:
    shown = f"{event.detail} {event.reason} {event.entity_type}"
    for secret in SECRETS:
        assert secret not in shown


def test_the_treating_doctor_records_an_allergy_and_reads_it_back(cast):
    alice = cast.actor("alice")
    recorded = do_record_allergy(alice, cast.patient.pk, penicillins())
    [read] = access_allergies(alice, cast.patient.pk)
    assert read.pk == recorded.pk
    assert read.substance_text == "Pénicillines"
    assert read.atc_code == "J01C"
    assert read.reactions == [{"manifestation": "Urticaire géante", "severity": "severe"}]
    assert read.onset == dt.date(2015, 1, 1)
    assert read.onset_fhir == "2015"
    assert (read.clinical_status, read.verification_status) == ("active", "confirmed")
    assert read.recorded_by_id == read.last_changed_by_id == cast.alice.pk
    assert read.version == 1
    assert access_allergy(alice, recorded.pk).note == "Réaction sous amoxicilline en 2015"


def test_recording_writes_one_clinical_write_event_without_the_substance(cast):
    before = last_event_id()
    allergy = do_record_allergy(cast.actor("alice"), cast.patient.pk, penicillins())
    [event] = events_after(before)
    assert event.event_type == AuditEventType.CLINICAL_WRITE
    assert event.action == AuditAction.CREATE
    assert event.outcome == AuditOutcome.SUCCESS
    assert event.patient_id == cast.patient.pk
    assert event.user_id == cast.alice.user.pk
    assert event.purpose == PurposeOfUse.TREAT
    assert event.entity_type == "AllergyIntolerance"
    assert event.entity_id == str(allergy.pk)
    # Nothing of what the allergy is (not even its category): the log is in clear.
    assert event.detail == {"section": "allergies", "version": 1, "basis": "care-relationship"}
    _shows_no_secret(event)


def test_an_update_and_a_marking_are_one_event_each_without_the_substance(cast):
    alice = cast.actor("alice")
    allergy = do_record_allergy(alice, cast.patient.pk, penicillins())
    before = last_event_id()
    do_update_allergy(alice, allergy.pk, penicillins(criticality="low"), expected_version=1)
    [update] = events_after(before)
    assert (update.event_type, update.action) == (AuditEventType.CLINICAL_WRITE, "U")
    assert update.detail["fields"] == ["criticality"]
    assert update.detail["version"] == 2
    _shows_no_secret(update)
    before = last_event_id()
    do_mark_allergy_entered_in_error(alice, allergy.pk, ERREUR)
    [marked] = events_after(before)
    assert marked.detail["verification_status"] == "entered-in-error"
    assert reason_text(marked) == ERREUR
    assert ERREUR not in marked.reason  # sealed in the log
    _shows_no_secret(marked)


READS = {
    "list": lambda actor, allergy: access_allergies(actor, allergy.patient_id),
    "banner": lambda actor, allergy: access_active_allergies(actor, allergy.patient_id),
    "one": lambda actor, allergy: access_allergy(actor, allergy.pk),
    "history": lambda actor, allergy: access_allergy_history(actor, allergy.pk),
}


@pytest.mark.parametrize("read", READS)
def test_each_read_is_one_clinical_read_event(cast, read):
    alice = cast.actor("alice")
    allergy = do_record_allergy(alice, cast.patient.pk, penicillins())
    before = last_event_id()
    assert READS[read](alice, allergy)
    [event] = events_after(before)
    assert event.event_type == AuditEventType.CLINICAL_READ
    assert event.patient_id == cast.patient.pk
    assert event.purpose == PurposeOfUse.TREAT


def test_a_colleague_may_record_and_read_after_breaking_the_glass(cast, mailoutbox):
    bob = cast.actor("bob")
    do_break_glass(bob, cast.patient, URGENCE)
    before = last_event_id()
    allergy = do_record_allergy(bob, cast.patient.pk, penicillins())
    [write] = events_after(before)
    assert write.purpose == PurposeOfUse.ETREAT
    assert reason_text(write) == URGENCE
    assert [a.pk for a in access_active_allergies(bob, cast.patient.pk)] == [allergy.pk]
    assert events_after(before)[-1].purpose == PurposeOfUse.ETREAT
    do_update_allergy(bob, allergy.pk, penicillins(note=""), expected_version=1)
    assert AllergyIntolerance.objects.get(pk=allergy.pk).recorded_by_id == cast.bob.pk


REFUSED = [
    ("bob", ClinicalAccessDenied),  # no care relationship: must break the glass
    ("denise", ClinicalAccessDenied),  # assistant: never clinical content
    ("carla", PatientNotFound),  # another practice: as if absent
    ("damien", PatientNotFound),  # departed: refused everywhere
    ("ernest", PatientNotFound),  # office manager: no patient at all
]


@pytest.mark.parametrize(("who", "refusal"), REFUSED)
def test_a_refused_actor_records_nothing_and_the_refusal_is_audited(cast, who, refusal):
    before = last_event_id()
    with pytest.raises(refusal):
        do_record_allergy(cast.actor(who), cast.patient.pk, penicillins())
    assert not AllergyIntolerance.objects.exists()
    [event] = events_after(before)
    assert event.event_type == AuditEventType.ACCESS_DENIED
    assert event.action == AuditAction.CREATE
    assert event.outcome == AuditOutcome.MINOR_FAILURE
    assert event.detail["section"] == "allergies"
    expected_patient = None if who == "carla" else cast.patient.pk
    assert event.patient_id == expected_patient


@pytest.mark.parametrize("who", ["bob", "denise", "carla", "damien", "ernest"])
@pytest.mark.parametrize("change", ["update", "mark"])
def test_a_refused_actor_changes_nothing_and_learns_nothing_of_the_id(cast, who, change):
    allergy = do_record_allergy(cast.actor("alice"), cast.patient.pk, penicillins())
    before = last_event_id()
    # The same 404 for everyone outside the record: an allergy id must not
    # tell whose it is (a ClinicalAccessDenied would carry the patient).
    with pytest.raises(AllergyNotFound):
        if change == "update":
            do_update_allergy(
                cast.actor(who), allergy.pk, penicillins(criticality="low"), expected_version=1
            )
        else:
            do_mark_allergy_entered_in_error(cast.actor(who), allergy.pk, ERREUR)
    stored = AllergyIntolerance.objects.get(pk=allergy.pk)
    assert (stored.version, stored.criticality, stored.verification_status) == (
        1,
        "high",
        "confirmed",
    )
    assert not AllergyIntoleranceVersion.objects.exists()
    [event] = events_after(before)
    assert event.event_type == AuditEventType.ACCESS_DENIED
    assert event.action == AuditAction.UPDATE
    assert event.outcome == AuditOutcome.MINOR_FAILURE
    assert event.entity_type == "AllergyIntolerance"
    assert event.entity_id == str(allergy.pk)


@pytest.mark.parametrize(("who", "refusal"), REFUSED)
@pytest.mark.parametrize("read", ["list", "banner"])
def test_a_refused_actor_reads_no_list_and_the_refusal_is_audited(cast, who, refusal, read):
    allergy = do_record_allergy(cast.actor("alice"), cast.patient.pk, penicillins())
    before = last_event_id()
    with pytest.raises(refusal):
        READS[read](cast.actor(who), allergy)
    [event] = events_after(before)
    assert event.event_type == AuditEventType.ACCESS_DENIED
    assert event.outcome == AuditOutcome.MINOR_FAILURE


@pytest.mark.parametrize("who", ["bob", "denise", "carla", "damien", "ernest"])
@pytest.mark.parametrize("read", ["one", "history"])
def test_a_refused_actor_reads_no_allergy_by_id_and_the_refusal_is_audited(cast, who, read):
    allergy = do_record_allergy(cast.actor("alice"), cast.patient.pk, penicillins())
    before = last_event_id()
    with pytest.raises(AllergyNotFound):
        READS[read](cast.actor(who), allergy)
    [event] = events_after(before)
    assert event.event_type == AuditEventType.ACCESS_DENIED
    assert event.action == AuditAction.READ
    assert event.outcome == AuditOutcome.MINOR_FAILURE


def test_another_practice_gets_the_same_answer_as_for_an_absent_allergy(cast):
    allergy = do_record_allergy(cast.actor("alice"), cast.patient.pk, penicillins())
    carla = cast.actor("carla")
    answers = []
    for allergy_id in (allergy.pk, uuid.uuid4(), "../../etc/passwd"):
        with pytest.raises(PatientNotFound) as raised:
            do_update_allergy(carla, allergy_id, penicillins(), expected_version=1)
        answers.append(raised.value)
        with pytest.raises(PatientNotFound) as raised:
            access_allergy(carla, allergy_id)
        answers.append(raised.value)
    assert {type(a) for a in answers} == {AllergyNotFound}
    assert {str(a) for a in answers} == {""}


def test_a_practice_in_read_only_incident_mode_records_and_changes_nothing(cast):
    alice = cast.actor("alice")
    allergy = do_record_allergy(alice, cast.patient.pk, penicillins())
    cast.practice_a.read_only_since = clock.now()
    cast.practice_a.save()
    alice = cast.actor("alice")
    before = last_event_id()
    with pytest.raises(PracticeReadOnly):
        do_record_allergy(alice, cast.patient.pk, penicillins(substance="Arachide"))
    with pytest.raises(PracticeReadOnly):
        do_update_allergy(alice, allergy.pk, penicillins(criticality="low"), expected_version=1)
    with pytest.raises(PracticeReadOnly):
        do_mark_allergy_entered_in_error(alice, allergy.pk, ERREUR)
    assert AllergyIntolerance.objects.get().version == 1
    assert [e.detail["basis"] for e in events_after(before)] == ["practice-read-only"] * 3


def test_a_deleted_record_takes_no_new_allergy_nor_change(cast):
    alice = cast.actor("alice")
    allergy = do_record_allergy(alice, cast.patient.pk, penicillins())
    do_delete_patient(as_system(cast.practice_a, "test-setup"), cast.patient)
    with pytest.raises(PatientDeleted):
        do_record_allergy(alice, cast.patient.pk, penicillins(substance="Arachide"))
    with pytest.raises(PatientDeleted):
        do_update_allergy(alice, allergy.pk, penicillins(criticality="low"), expected_version=1)
    with pytest.raises(PatientDeleted):
        access_allergy(alice, allergy.pk)
    assert AllergyIntolerance.objects.get().version == 1


def test_a_system_job_records_with_no_recorder_and_is_audited_as_itself(cast):
    job = as_system(cast.practice_a, "import")
    before = last_event_id()
    allergy = do_record_allergy(job, cast.patient.pk, penicillins())
    assert allergy.recorded_by_id is None
    [event] = events_after(before)
    assert event.purpose == PurposeOfUse.SYSADMIN
    assert event.user_label == "system:import"


def _queries_of(call: Any) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


def _show(allergies: list[AllergyIntolerance]) -> list[tuple[Any, ...]]:
    """What a page shows of each row: decrypts every field, follows the joins."""
    return [
        (a.substance_text, a.atc_code, a.reactions, a.note, a.onset, a.recorded_by.user.email)
        for a in allergies
    ]


def test_reading_costs_the_same_few_queries_for_2_or_20_allergies(
    cast, django_assert_max_num_queries
):
    alice = cast.actor("alice")
    for _ in range(2):
        do_record_allergy(alice, cast.patient.pk, penicillins())
    few = _queries_of(lambda: _show(access_allergies(alice, cast.patient.pk)))
    for number in range(18):
        do_record_allergy(
            alice, cast.patient.pk, penicillins(criticality="low", substance=f"Pollen {number}")
        )
    with django_assert_max_num_queries(few):
        shown = _show(access_allergies(alice, cast.patient.pk))
    assert len(shown) == 20
    with django_assert_max_num_queries(few):
        assert len(_show(access_active_allergies(alice, cast.patient.pk))) == 20
    assert few <= 10


def test_writing_costs_a_bounded_number_of_queries(cast, settings, django_assert_max_num_queries):
    settings.KEY_VERSION_CACHE_SECONDS = 5  # as in production
    alice = cast.actor("alice")
    # The patient and the policy (3), the key version, the row, the audit
    # append (3), the savepoint and its release.
    with django_assert_max_num_queries(10):
        allergy = do_record_allergy(alice, cast.patient.pk, penicillins())
    # The allergy, the patient and the policy (3), the claim, the version kept,
    # the row, the audit append (3), the savepoint and its release.
    with django_assert_max_num_queries(12):
        do_update_allergy(alice, allergy.pk, penicillins(criticality="low"), expected_version=1)
