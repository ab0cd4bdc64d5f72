"""Who may record, correct, mark and read a patient's problems and history, and
that every read, write and refusal is audited exactly once, without the
diagnosis (neither its CIM-10 code, nor its label, nor the text)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hygie.audit.actions import reason_text
from hygie.audit.enums import AuditAction, AuditEventType, AuditOutcome, PurposeOfUse
from hygie.clinical.access import (
    ConditionNotFound,
    access_active_problems,
    access_condition,
    access_condition_history,
    access_conditions,
)
from hygie.clinical.actions import (
    ConditionData,
    do_mark_condition_entered_in_error,
    do_record_condition,
    do_update_condition,
)
from hygie.clinical.models import Condition, ConditionVersion
from hygie.core import clock
from hygie.patients.access import ClinicalAccessDenied, PatientDeleted, PatientNotFound
from hygie.patients.actions import PracticeReadOnly, do_break_glass, do_delete_patient
from hygie.practices.context import as_system

# The real CIM-10, loaded once for this module (a fixture: pytest finds it by name).
from hygie.terminology.tests.conftest import cim10  # noqa: F401

from .vital_signs_support import events_after, last_event_id

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("cim10")]

URGENCE = "Patiente vue en urgence, Dr Aubert absente"
ERREUR = "Antécédent saisi dans le mauvais dossier"
# What must never appear in the audit log in clear.
SECRETS = (
    "B24",
    "VIH",
    "V.I.H",
    "Infection",
    "medical",
    "problem-list",
    "séropositiv",
    "2011",
    "trithérapie",
)


def hiv(**overrides: Any) -> ConditionData:
    values: dict[str, Any] = {
        "code": "b24+9",
        "text": "Infection VIH, séropositivité connue",
        "verification_status": "confirmed",
        "severity": "6736007",
        "onset": "2011",
        "note": "Sous trithérapie, charge virale indétectable",
    }
    values.update(overrides)
    return ConditionData(**values)


def _shows_no_secret(event: Any) -> None:
    shown = f"{event.detail} {event.reason} {event.entity_type}"
    for secret in SECRETS:
        assert secret not in shown


def test_the_treating_doctor_records_a_condition_and_reads_it_back(cast):
    alice = cast.actor("alice")
    recorded = do_record_condition(alice, cast.patient.pk, hiv())
    [read] = access_conditions(alice, cast.patient.pk)
    assert read.pk == recorded.pk
    assert (read.code, read.code_label) == ("B24.+9", "Infection par le V.I.H., sans précision")
    assert read.text == "Infection VIH, séropositivité connue"
    assert (read.category, read.kind, read.severity) == ("problem-list-item", "medical", "6736007")
    assert (read.clinical_status, read.verification_status) == ("active", "confirmed")
    assert read.onset_fhir == "2011"
    assert read.abatement is None
    assert read.recorded_by_id == read.last_changed_by_id == cast.alice.pk
    assert read.version == 1
    assert access_condition(alice, recorded.pk).note == (
        "Sous trithérapie, charge virale indétectable"
    )


def test_recording_writes_one_clinical_write_event_without_the_diagnosis(cast):
    before = last_event_id()
    condition = do_record_condition(cast.actor("alice"), cast.patient.pk, hiv())
    [event] = events_after(before)
    assert event.event_type == AuditEventType.CLINICAL_WRITE
    assert event.action == AuditAction.CREATE
    assert event.outcome == AuditOutcome.SUCCESS
    assert event.patient_id == cast.patient.pk
    assert event.user_id == cast.alice.user.pk
    assert event.purpose == PurposeOfUse.TREAT
    assert event.entity_type == "Condition"
    assert event.entity_id == str(condition.pk)
    # Nothing of what the condition is (not even its kind): the log is in clear.
    assert event.detail == {"section": "conditions", "version": 1, "basis": "care-relationship"}
    _shows_no_secret(event)


def test_an_update_and_a_marking_are_one_event_each_without_the_diagnosis(cast):
    alice = cast.actor("alice")
    condition = do_record_condition(alice, cast.patient.pk, hiv())
    before = last_event_id()
    do_update_condition(alice, condition.pk, hiv(severity="24484000"), expected_version=1)
    [update] = events_after(before)
    assert (update.event_type, update.action) == (AuditEventType.CLINICAL_WRITE, "U")
    assert update.detail["fields"] == ["severity"]
    assert update.detail["version"] == 2
    _shows_no_secret(update)
    before = last_event_id()
    do_mark_condition_entered_in_error(alice, condition.pk, ERREUR)
    [marked] = events_after(before)
    assert marked.detail["verification_status"] == "entered-in-error"
    assert reason_text(marked) == ERREUR
    assert ERREUR not in marked.reason  # sealed in the log
    _shows_no_secret(marked)


READS = {
    "list": lambda actor, condition: access_conditions(actor, condition.patient_id),
    "banner": lambda actor, condition: access_active_problems(actor, condition.patient_id),
    "one": lambda actor, condition: access_condition(actor, condition.pk),
    "history": lambda actor, condition: access_condition_history(actor, condition.pk),
}


@pytest.mark.parametrize("read", READS)
def test_each_read_is_one_clinical_read_event(cast, read):
    alice = cast.actor("alice")
    condition = do_record_condition(alice, cast.patient.pk, hiv())
    before = last_event_id()
    assert READS[read](alice, condition)
    [event] = events_after(before)
    assert event.event_type == AuditEventType.CLINICAL_READ
    assert event.patient_id == cast.patient.pk
    assert event.purpose == PurposeOfUse.TREAT
    _shows_no_secret(event)


def test_a_colleague_may_record_and_read_after_breaking_the_glass(cast, mailoutbox):
    bob = cast.actor("bob")
    do_break_glass(bob, cast.patient, URGENCE)
    before = last_event_id()
    condition = do_record_condition(bob, cast.patient.pk, hiv())
    [write] = events_after(before)
    assert write.purpose == PurposeOfUse.ETREAT
    assert reason_text(write) == URGENCE
    assert [c.pk for c in access_active_problems(bob, cast.patient.pk)] == [condition.pk]
    assert events_after(before)[-1].purpose == PurposeOfUse.ETREAT
    do_update_condition(bob, condition.pk, hiv(note=""), expected_version=1)
    assert [c.version for c in access_condition_history(bob, condition.pk)] == [2, 1]
    assert Condition.objects.get(pk=condition.pk).recorded_by_id == cast.bob.pk


REFUSED = [
    ("bob", ClinicalAccessDenied),  # no care relationship: must break the glass
    ("denise", ClinicalAccessDenied),  # assistant: never clinical content
    ("carla", PatientNotFound),  # another practice: as if absent
    ("damien", PatientNotFound),  # departed: refused everywhere
    ("ernest", PatientNotFound),  # office manager: no patient at all
]
OUTSIDE = ["bob", "denise", "carla", "damien", "ernest"]


@pytest.mark.parametrize(("who", "refusal"), REFUSED)
def test_a_refused_actor_records_nothing_and_the_refusal_is_audited(cast, who, refusal):
    before = last_event_id()
    with pytest.raises(refusal):
        do_record_condition(cast.actor(who), cast.patient.pk, hiv())
    assert not Condition.objects.exists()
    [event] = events_after(before)
    assert event.event_type == AuditEventType.ACCESS_DENIED
    assert event.action == AuditAction.CREATE
    assert event.outcome == AuditOutcome.MINOR_FAILURE
    assert event.detail["section"] == "conditions"
    expected_patient = None if who == "carla" else cast.patient.pk
    assert event.patient_id == expected_patient
    _shows_no_secret(event)


@pytest.mark.parametrize("who", OUTSIDE)
@pytest.mark.parametrize("change", ["update", "mark"])
def test_a_refused_actor_changes_nothing_and_learns_nothing_of_the_id(cast, who, change):
    condition = do_record_condition(cast.actor("alice"), cast.patient.pk, hiv())
    before = last_event_id()
    # The same 404 for everyone outside the record: a condition id must not
    # tell whose diagnosis it is (a ClinicalAccessDenied would carry the patient).
    with pytest.raises(ConditionNotFound):
        if change == "update":
            do_update_condition(
                cast.actor(who), condition.pk, hiv(severity="24484000"), expected_version=1
            )
        else:
            do_mark_condition_entered_in_error(cast.actor(who), condition.pk, ERREUR)
    stored = Condition.objects.get(pk=condition.pk)
    assert (stored.version, stored.severity, stored.verification_status) == (
        1,
        "6736007",
        "confirmed",
    )
    assert not ConditionVersion.objects.exists()
    [event] = events_after(before)
    assert event.event_type == AuditEventType.ACCESS_DENIED
    assert event.action == AuditAction.UPDATE
    assert event.outcome == AuditOutcome.MINOR_FAILURE
    assert event.entity_type == "Condition"
    assert event.entity_id == str(condition.pk)


@pytest.mark.parametrize(("who", "refusal"), REFUSED)
@pytest.mark.parametrize("read", ["list", "banner"])
def test_a_refused_actor_reads_no_list_and_the_refusal_is_audited(cast, who, refusal, read):
    condition = do_record_condition(cast.actor("alice"), cast.patient.pk, hiv())
    before = last_event_id()
    with pytest.raises(refusal):
        READS[read](cast.actor(who), condition)
    [event] = events_after(before)
    assert event.event_type == AuditEventType.ACCESS_DENIED
    assert event.outcome == AuditOutcome.MINOR_FAILURE


@pytest.mark.parametrize("who", OUTSIDE)
@pytest.mark.parametrize("read", ["one", "history"])
def test_a_refused_actor_reads_no_condition_by_id_and_the_refusal_is_audited(cast, who, read):
    condition = do_record_condition(cast.actor("alice"), cast.patient.pk, hiv())
    before = last_event_id()
    with pytest.raises(ConditionNotFound):
        READS[read](cast.actor(who), condition)
    [event] = events_after(before)
    assert event.event_type == AuditEventType.ACCESS_DENIED
    assert event.action == AuditAction.READ
    assert event.outcome == AuditOutcome.MINOR_FAILURE


def test_another_practice_gets_the_same_answer_as_for_an_absent_condition(cast):
    condition = do_record_condition(cast.actor("alice"), cast.patient.pk, hiv())
    carla = cast.actor("carla")
    answers = []
    for condition_id in (condition.pk, uuid.uuid4(), "../../etc/passwd"):
        with pytest.raises(PatientNotFound) as raised:
            do_update_condition(carla, condition_id, hiv(), expected_version=1)
        answers.append(raised.value)
        with pytest.raises(PatientNotFound) as raised:
            access_condition(carla, condition_id)
        answers.append(raised.value)
        with pytest.raises(PatientNotFound) as raised:
            do_mark_condition_entered_in_error(carla, condition_id, ERREUR)
        answers.append(raised.value)
    assert {type(a) for a in answers} == {ConditionNotFound}
    assert {str(a) for a in answers} == {""}


def test_a_practice_in_read_only_incident_mode_records_and_changes_nothing(cast):
    alice = cast.actor("alice")
    condition = do_record_condition(alice, cast.patient.pk, hiv())
    cast.practice_a.read_only_since = clock.now()
    cast.practice_a.save()
    alice = cast.actor("alice")
    before = last_event_id()
    with pytest.raises(PracticeReadOnly):
        do_record_condition(alice, cast.patient.pk, hiv(code="I10"))
    with pytest.raises(PracticeReadOnly):
        do_update_condition(alice, condition.pk, hiv(severity="24484000"), expected_version=1)
    with pytest.raises(PracticeReadOnly):
        do_mark_condition_entered_in_error(alice, condition.pk, ERREUR)
    assert Condition.objects.get().version == 1
    assert [e.detail["basis"] for e in events_after(before)] == ["practice-read-only"] * 3


def test_a_deleted_record_takes_no_new_condition_nor_change(cast):
    alice = cast.actor("alice")
    condition = do_record_condition(alice, cast.patient.pk, hiv())
    do_delete_patient(as_system(cast.practice_a, "test-setup"), cast.patient)
    with pytest.raises(PatientDeleted):
        do_record_condition(alice, cast.patient.pk, hiv(code="I10"))
    with pytest.raises(PatientDeleted):
        do_update_condition(alice, condition.pk, hiv(severity="24484000"), expected_version=1)
    with pytest.raises(PatientDeleted):
        do_mark_condition_entered_in_error(alice, condition.pk, ERREUR)
    with pytest.raises(PatientDeleted):
        access_condition(alice, condition.pk)
    assert Condition.objects.get().version == 1


def test_a_system_job_records_with_no_recorder_and_is_audited_as_itself(cast):
    job = as_system(cast.practice_a, "import")
    before = last_event_id()
    condition = do_record_condition(job, cast.patient.pk, hiv())
    assert condition.recorded_by_id is None
    [event] = events_after(before)
    assert event.purpose == PurposeOfUse.SYSADMIN
    assert event.user_label == "system:import"


def _queries_of(call: Any) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


def _show(conditions: list[Condition]) -> list[tuple[Any, ...]]:
    """What a page shows of each row: decrypts every field, follows the joins."""
    return [
        (
            c.code,
            c.code_label,
            c.text,
            c.onset,
            c.abatement,
            c.note,
            c.recorded_by.user.email,
            c.last_changed_by.user.email,
        )
        for c in conditions
    ]


def test_reading_costs_the_same_few_queries_for_2_or_20_conditions(
    cast, django_assert_max_num_queries
):
    alice = cast.actor("alice")
    for _ in range(2):
        do_record_condition(alice, cast.patient.pk, hiv())
    few = _queries_of(lambda: _show(access_conditions(alice, cast.patient.pk)))
    for number in range(18):
        do_record_condition(alice, cast.patient.pk, hiv(code="I10", text=f"HTA {number}"))
    with django_assert_max_num_queries(few):
        shown = _show(access_conditions(alice, cast.patient.pk))
    assert len(shown) == 20
    with django_assert_max_num_queries(few):
        assert len(_show(access_active_problems(alice, cast.patient.pk))) == 20
    assert few <= 10


def test_writing_costs_a_bounded_number_of_queries(cast, settings, django_assert_max_num_queries):
    settings.KEY_VERSION_CACHE_SECONDS = 5  # as in production
    alice = cast.actor("alice")
    # The patient and the policy (3), the CIM-10 code, the key version, the row,
    # the audit append (3), the savepoint and its release.
    with django_assert_max_num_queries(11):
        condition = do_record_condition(alice, cast.patient.pk, hiv())
    # The condition, the patient and the policy (3), the claim, the version kept,
    # the row, the audit append (3), the savepoint and its release; the code
    # already carried is not looked up again.
    with django_assert_max_num_queries(12):
        do_update_condition(alice, condition.pk, hiv(severity="24484000"), expected_version=1)
