from __future__ import annotations

import datetime as dt
import uuid

import pytest

from hygie.audit.actions import AuditSource, record_event
from hygie.audit.enums import AuditAction, AuditEventType, AuditOutcome, PurposeOfUse
from hygie.audit.queries import events_for_practice, patient_access_history
from hygie.audit.tests.conftest import read_patient

pytestmark = pytest.mark.django_db


def test_a_practice_sees_its_own_events_newest_first(
    alice: AuditSource, charlie: AuditSource, alpha: uuid.UUID, patient: uuid.UUID
) -> None:
    first = read_patient(alice, patient)
    second = read_patient(alice, patient)
    read_patient(charlie, uuid.uuid4())

    assert list(events_for_practice(alpha)) == [second, first]


def test_practice_events_filter_by_user_patient_type_outcome_and_period(
    alice: AuditSource, bob: AuditSource, alpha: uuid.UUID, patient: uuid.UUID
) -> None:
    alice_read = read_patient(alice, patient)
    bob_read = read_patient(bob, patient)
    other_patient = read_patient(bob, uuid.uuid4())
    denied = record_event(
        bob,
        AuditEventType.ACCESS_DENIED,
        action=AuditAction.READ,
        outcome=AuditOutcome.MINOR_FAILURE,
        patient_id=patient,
    )

    assert list(events_for_practice(alpha, user_id=alice.user_id)) == [alice_read]
    assert list(events_for_practice(alpha, patient_id=patient)) == [denied, bob_read, alice_read]
    assert list(events_for_practice(alpha, event_type=AuditEventType.ACCESS_DENIED)) == [denied]
    assert list(events_for_practice(alpha, outcome=AuditOutcome.MINOR_FAILURE)) == [denied]
    assert list(
        events_for_practice(alpha, since=bob_read.recorded_at, until=denied.recorded_at)
    ) == [other_patient, bob_read]
    assert not events_for_practice(alpha, since=denied.recorded_at + dt.timedelta(seconds=1))


def test_a_patients_access_history_lists_people_who_read_or_wrote_their_record(
    alice: AuditSource,
    bob: AuditSource,
    charlie: AuditSource,
    alpha: uuid.UUID,
    patient: uuid.UUID,
) -> None:
    read_patient(alice, patient)
    record_event(
        bob,
        AuditEventType.BREAK_GLASS,
        action=AuditAction.READ,
        patient_id=patient,
        purpose=PurposeOfUse.ETREAT,
        reason="Urgence : patient inconscient",
    )
    # Not listed: a refused attempt, a system job, another patient, another practice.
    record_event(
        bob,
        AuditEventType.ACCESS_DENIED,
        action=AuditAction.READ,
        outcome=AuditOutcome.MINOR_FAILURE,
        patient_id=patient,
    )
    record_event(
        AuditSource.system("reminders", alpha),
        AuditEventType.CLINICAL_READ,
        action=AuditAction.READ,
        patient_id=patient,
    )
    read_patient(alice, uuid.uuid4())
    read_patient(charlie, patient)

    history = patient_access_history(alpha, patient)

    assert [(r.user_label, r.action, r.purpose, r.reason) for r in history] == [
        ("bob@alpha.test", "R", "ETREAT", "Urgence : patient inconscient"),
        ("alice@alpha.test", "R", "TREAT", ""),
    ]
    assert history[0].recorded_at > history[1].recorded_at
