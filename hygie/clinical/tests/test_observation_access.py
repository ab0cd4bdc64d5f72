"""Reading one observation by its id (access_observation, for FHIR read): who may,
the one audited read, and the same refusal for an absent id and one out of reach."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from hygie.audit.enums import AuditEventType
from hygie.clinical.access import ObservationNotFound, access_observation
from hygie.clinical.actions import do_mark_observation_entered_in_error
from hygie.clinical.measures import VitalSign
from hygie.patients.access import PatientDeleted
from hygie.patients.actions import do_break_glass, do_delete_patient
from hygie.practices.context import as_system

from .vital_signs_support import child_of_alice, events_after, last_event_id, record

pytestmark = pytest.mark.django_db


@pytest.fixture
def weight(cast):
    [row] = record(cast.actor("alice"), cast.patient.pk, weight="72,5")
    return row


def test_the_treating_doctor_reads_an_observation_in_one_clinical_read(cast, weight):
    before = last_event_id()
    read = access_observation(cast.actor("alice"), weight.pk)
    assert read.pk == weight.pk
    assert read.value == Decimal("72.5")
    [event] = events_after(before)
    assert event.event_type == AuditEventType.CLINICAL_READ
    assert event.patient_id == cast.patient.pk


def test_a_system_job_of_the_practice_reads_it(cast, weight):
    assert access_observation(as_system(cast.practice_a, "apiclient:test"), weight.pk) == weight


@pytest.mark.parametrize("name", ["bob", "denise", "ernest", "damien", "carla"])
def test_whoever_may_not_open_the_record_gets_the_refusal_of_an_absent_id(cast, weight, name):
    actor = cast.actor(name)
    before = last_event_id()
    with pytest.raises(ObservationNotFound):
        access_observation(actor, weight.pk)
    refusals = events_after(before)
    assert [e.event_type for e in refusals] == [AuditEventType.ACCESS_DENIED]
    with pytest.raises(ObservationNotFound):
        access_observation(actor, uuid.uuid4())


def test_an_absent_or_malformed_id_is_refused_and_recorded(cast):
    for wanted in (uuid.uuid4(), "pas-un-uuid"):
        before = last_event_id()
        with pytest.raises(ObservationNotFound):
            access_observation(cast.actor("alice"), wanted)
        [event] = events_after(before)
        assert event.event_type == AuditEventType.ACCESS_DENIED
        assert event.entity_type == "Observation"
        assert event.detail["basis"] == "not-found"


def test_a_colleague_reads_it_after_breaking_the_glass(cast, weight, mailoutbox):
    bob = cast.actor("bob")
    do_break_glass(bob, cast.patient, "Patiente vue en urgence, Dr Aubert absente")
    assert access_observation(bob, weight.pk) == weight


def test_limited_to_a_patient_another_patients_observation_is_absent_and_unread(cast, weight):
    child = child_of_alice(cast, dt.date(2020, 5, 1))
    alice = cast.actor("alice")
    before = last_event_id()
    with pytest.raises(ObservationNotFound):
        access_observation(alice, weight.pk, patient_id=child.pk)
    [event] = events_after(before)
    assert event.event_type == AuditEventType.ACCESS_DENIED
    assert event.detail["basis"] == "outside-launch-patient"
    assert access_observation(alice, weight.pk, patient_id=cast.patient.pk) == weight


def test_an_observation_entered_in_error_stays_readable_by_id(cast, weight):
    alice = cast.actor("alice")
    do_mark_observation_entered_in_error(alice, weight.pk, "Mauvais patient sélectionné")
    read = access_observation(alice, weight.pk)
    assert read.is_entered_in_error
    assert read.sign is VitalSign.BODY_WEIGHT


def test_the_observation_of_a_deleted_record_is_gone_for_its_doctor(cast, weight):
    do_delete_patient(cast.actor("denise"), cast.patient)
    with pytest.raises(PatientDeleted):
        access_observation(cast.actor("alice"), weight.pk)
    with pytest.raises(ObservationNotFound) as refused:
        access_observation(cast.actor("carla"), weight.pk)
    assert not isinstance(refused.value, PatientDeleted)
