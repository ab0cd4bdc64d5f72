"""Who may record and read a patient's vital signs, and that every read, write
and refusal is audited exactly once."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hygie.audit.actions import reason_text
from hygie.audit.enums import AuditAction, AuditEventType, AuditOutcome, PurposeOfUse
from hygie.clinical.access import (
    access_latest_vitals,
    access_vital_signs,
    access_vital_signs_overview,
)
from hygie.clinical.actions import VitalSignsEntry, do_record_vital_signs
from hygie.clinical.measures import VitalSign
from hygie.clinical.models import Observation
from hygie.core import clock
from hygie.patients.access import ClinicalAccessDenied, PatientDeleted, PatientNotFound
from hygie.patients.actions import PracticeReadOnly, do_break_glass, do_delete_patient
from hygie.practices.context import as_system

from .vital_signs_support import events_after, last_event_id, record

pytestmark = pytest.mark.django_db

URGENCE = "Patiente vue en urgence, Dr Aubert absente"


def test_the_treating_doctor_records_vital_signs_and_reads_them_back(cast):
    alice = cast.actor("alice")
    recorded = record(alice, cast.patient.pk, weight="72,5", blood_pressure="12/8")
    read = access_vital_signs(alice, cast.patient.pk)
    assert {o.pk for o in read} == {o.pk for o in recorded}
    by_code = {o.code: o for o in read}
    assert by_code[VitalSign.BODY_WEIGHT].value == Decimal("72.5")
    assert by_code[VitalSign.BODY_WEIGHT].unit == "kg"
    panel = by_code["85354-9"]
    assert (panel.systolic, panel.diastolic) == (120, 80)
    assert all(o.recorded_by_id == cast.alice.pk for o in read)


def test_recording_writes_one_clinical_write_event_naming_rows_not_signs_or_values(cast):
    before = last_event_id()
    created = record(cast.actor("alice"), cast.patient.pk, weight="72,5", height="1,78")
    [event] = events_after(before)
    assert event.event_type == AuditEventType.CLINICAL_WRITE
    assert event.action == AuditAction.CREATE
    assert event.outcome == AuditOutcome.SUCCESS
    assert event.patient_id == cast.patient.pk
    assert event.user_id == cast.alice.user.pk
    assert event.purpose == PurposeOfUse.TREAT
    assert event.detail["observations"] == [str(o.pk) for o in created]
    assert event.detail["basis"] == "care-relationship"
    # Beside the ids (random hex), nothing that could be a value.
    shown = str({k: v for k, v in event.detail.items() if k != "observations"})
    for value in ("72.5", "72,5", "178", "22,9", "22.9", "29463-7", "8302-2", "39156-5"):
        assert value not in shown
    # Which signs were taken is clinical information too (the log is read in clear
    # by the practice's administrators): only the rows' ids.
    assert set(event.detail) == {"section", "observations", "basis"}


def test_each_read_is_one_clinical_read_event(cast):
    alice = cast.actor("alice")
    record(alice, cast.patient.pk, weight="72,5", heart_rate="64")
    before = last_event_id()
    access_vital_signs(alice, cast.patient.pk)
    [listed] = events_after(before)
    assert listed.event_type == AuditEventType.CLINICAL_READ
    assert listed.patient_id == cast.patient.pk
    before = last_event_id()
    access_latest_vitals(alice, cast.patient.pk)
    [banner] = events_after(before)
    assert banner.event_type == AuditEventType.CLINICAL_READ


def test_a_colleague_may_record_and_read_after_breaking_the_glass(cast, mailoutbox):
    bob = cast.actor("bob")
    do_break_glass(bob, cast.patient, URGENCE)
    before = last_event_id()
    [created] = record(bob, cast.patient.pk, temperature="38,4")
    [write] = events_after(before)
    assert write.event_type == AuditEventType.CLINICAL_WRITE
    assert write.purpose == PurposeOfUse.ETREAT
    assert reason_text(write) == URGENCE
    assert [o.pk for o in access_vital_signs(bob, cast.patient.pk)] == [created.pk]
    assert events_after(before)[-1].purpose == PurposeOfUse.ETREAT


@pytest.mark.parametrize(
    ("who", "refusal"),
    [
        ("bob", ClinicalAccessDenied),  # no care relationship: must break the glass
        ("denise", ClinicalAccessDenied),  # assistant: never clinical content
        ("carla", PatientNotFound),  # another practice: as if absent
        ("damien", PatientNotFound),  # departed: refused everywhere
        ("ernest", PatientNotFound),  # office manager: no patient at all
    ],
)
def test_a_refused_actor_records_nothing_and_the_refusal_is_audited(cast, who, refusal):
    before = last_event_id()
    with pytest.raises(refusal) as raised:
        record(cast.actor(who), cast.patient.pk, weight="72,5")
    if refusal is ClinicalAccessDenied:
        assert raised.value.decision.can_break_glass is (who == "bob")
    assert not Observation.objects.exists()
    [event] = events_after(before)
    assert event.event_type == AuditEventType.ACCESS_DENIED
    assert event.action == AuditAction.CREATE
    assert event.outcome == AuditOutcome.MINOR_FAILURE
    assert event.detail["section"] == "vital-signs"
    # Another practice's patient is not linked into Carla's practice's log.
    expected_patient = None if who == "carla" else cast.patient.pk
    assert event.patient_id == expected_patient


@pytest.mark.parametrize("who", ["bob", "denise", "carla", "damien", "ernest"])
@pytest.mark.parametrize("read", [access_vital_signs, access_latest_vitals])
def test_a_refused_actor_reads_nothing_and_the_refusal_is_audited(cast, who, read):
    record(cast.actor("alice"), cast.patient.pk, weight="72,5")
    before = last_event_id()
    with pytest.raises((ClinicalAccessDenied, PatientNotFound)) as raised:
        read(cast.actor(who), cast.patient.pk)
    expected = PatientNotFound if who in ("carla", "damien", "ernest") else ClinicalAccessDenied
    assert isinstance(raised.value, expected)
    [event] = events_after(before)
    assert event.event_type == AuditEventType.ACCESS_DENIED
    assert event.outcome == AuditOutcome.MINOR_FAILURE


def test_another_practice_gets_the_same_answer_as_for_an_absent_patient(cast):
    carla = cast.actor("carla")
    with pytest.raises(PatientNotFound) as other:
        record(carla, cast.patient.pk, weight="72,5")
    with pytest.raises(PatientNotFound) as absent:
        record(carla, uuid.uuid4(), weight="72,5")
    with pytest.raises(PatientNotFound) as malformed:
        record(carla, "../../etc/passwd", weight="72,5")
    assert type(other.value) is type(absent.value) is type(malformed.value)
    assert str(other.value) == str(absent.value) == str(malformed.value)


def test_a_practice_in_read_only_incident_mode_records_nothing(cast):
    cast.practice_a.read_only_since = clock.now()
    cast.practice_a.save()
    before = last_event_id()
    with pytest.raises(PracticeReadOnly):
        record(cast.actor("alice"), cast.patient.pk, weight="72,5")
    assert not Observation.objects.exists()
    [event] = events_after(before)
    assert event.event_type == AuditEventType.ACCESS_DENIED
    assert event.detail["basis"] == "practice-read-only"


def test_a_deleted_record_takes_no_new_measure(cast):
    do_delete_patient(as_system(cast.practice_a, "test-setup"), cast.patient)
    with pytest.raises(PatientDeleted):
        record(cast.actor("alice"), cast.patient.pk, weight="72,5")
    assert not Observation.objects.exists()


def test_the_list_is_newest_first_and_filters_by_sign_and_date(cast):
    alice = cast.actor("alice")
    old = record(alice, cast.patient.pk, ago=dt.timedelta(days=40), weight="70", heart_rate="70")
    new = record(
        alice, cast.patient.pk, ago=dt.timedelta(days=2), weight="71", blood_pressure="13/8"
    )
    listed = access_vital_signs(alice, cast.patient.pk)
    assert [o.effective_at for o in listed] == sorted(
        (o.effective_at for o in listed), reverse=True
    )
    weights = access_vital_signs(alice, cast.patient.pk, code=VitalSign.BODY_WEIGHT)
    assert [o.pk for o in weights] == [new[0].pk, old[0].pk]
    recent = access_vital_signs(alice, cast.patient.pk, since=clock.now() - dt.timedelta(days=7))
    assert {o.pk for o in recent} == {o.pk for o in new}
    diastolic = access_vital_signs(alice, cast.patient.pk, code=VitalSign.DIASTOLIC_BP)
    assert [o.diastolic for o in diastolic] == [80]


def test_the_banner_shows_the_newest_valid_value_of_each_sign(cast):
    alice = cast.actor("alice")
    record(alice, cast.patient.pk, ago=dt.timedelta(days=30), weight="70", blood_pressure="120/80")
    [newer] = record(alice, cast.patient.pk, ago=dt.timedelta(days=1), weight="71")
    record(alice, cast.patient.pk, ago=dt.timedelta(days=3), heart_rate="66")
    latest = access_latest_vitals(alice, cast.patient.pk)
    assert latest[VitalSign.BODY_WEIGHT].pk == newer.pk
    assert latest[VitalSign.HEART_RATE].value == 66
    panel = latest[VitalSign.SYSTOLIC_BP]
    assert panel is latest[VitalSign.DIASTOLIC_BP]
    assert (panel.systolic, panel.diastolic) == (120, 80)
    assert VitalSign.BODY_TEMPERATURE not in latest


def _queries_of(call):
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


def test_reading_costs_the_same_few_queries_for_3_or_30_measures(
    cast, django_assert_max_num_queries
):
    alice = cast.actor("alice")
    record(alice, cast.patient.pk, weight="72", heart_rate="70", blood_pressure="12/8")
    few = _queries_of(
        lambda: [o.value or o.systolic for o in access_vital_signs(alice, cast.patient.pk)]
    )
    for day in range(1, 10):
        record(
            alice,
            cast.patient.pk,
            ago=dt.timedelta(days=day),
            weight="72",
            heart_rate="70",
            blood_pressure="12/8",
        )
    with django_assert_max_num_queries(few):
        rows = access_vital_signs(alice, cast.patient.pk)
        shown = [(o.value or o.systolic, o.recorded_by.user.email) for o in rows]
    assert len(shown) == 30
    with django_assert_max_num_queries(few):
        latest = access_latest_vitals(alice, cast.patient.pk)
        [(o.value, o.recorded_by.user.email) for o in latest.values()]
    assert few <= 10


def test_recording_costs_a_bounded_number_of_queries(cast, settings, django_assert_max_num_queries):
    # As in production: the active key version is read once, not per value (the
    # test default of 0 s is for the rotation tests).
    settings.KEY_VERSION_CACHE_SECONDS = 5
    alice = cast.actor("alice")
    entry = VitalSignsEntry(
        weight="72,5",
        height="178",
        blood_pressure="12/8",
        heart_rate="64",
        temperature="37,2",
        oxygen_saturation="98",
    )
    # The patient and the policy (3), the key version, the rows, the BMI's
    # links, the audit append (3), the savepoint and its release.
    with django_assert_max_num_queries(11):
        created = do_record_vital_signs(
            alice, cast.patient.pk, entry, clock.now() - dt.timedelta(minutes=5)
        )
    assert len(created) == 7


def test_the_overview_reads_a_period_and_the_latest_values_in_one_audited_read(cast):
    alice = cast.actor("alice")
    record(alice, cast.patient.pk, ago=dt.timedelta(days=900), weight="80", height="170")
    record(alice, cast.patient.pk, ago=dt.timedelta(days=10), weight="75")
    before = last_event_id()
    since = clock.now() - dt.timedelta(days=730)
    overview = access_vital_signs_overview(alice, cast.patient.pk, since=since)
    [event] = events_after(before)
    assert event.event_type == AuditEventType.CLINICAL_READ
    assert [o.value for o in overview.observations] == [75]  # the period only
    assert overview.has_older
    # The latest height is older than the period: still the latest value.
    assert {o.code for o in overview.latest} >= {VitalSign.BODY_HEIGHT.value}
    # Nothing that recent: all the measures, rather than none.
    old = access_vital_signs_overview(alice, cast.patient.pk, since=clock.now())
    assert len(old.observations) == 4 and not old.has_older  # weight, height, BMI, weight


@pytest.mark.parametrize("who", ["bob", "denise", "carla", "damien", "ernest"])
def test_the_overview_is_refused_as_the_other_doors(cast, who):
    before = last_event_id()
    with pytest.raises((ClinicalAccessDenied, PatientNotFound)):
        access_vital_signs_overview(cast.actor(who), cast.patient.pk, since=None)
    [event] = events_after(before)
    assert event.event_type == AuditEventType.ACCESS_DENIED
