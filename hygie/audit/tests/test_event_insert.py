"""A single audit event is inserted with a statement written once per process
(hygie/core/inserts.py): the stored row must be what the ORM would have stored."""

from __future__ import annotations

import uuid

import pytest

from hygie.audit.actions import (
    AuditSource,
    reason_text,
    record_event,
    record_listing,
    record_patient_events,
)
from hygie.audit.enums import AuditAction, AuditEventType, PurposeOfUse
from hygie.audit.models import AuditEvent
from hygie.audit.verify import verify_chains
from hygie.core.inserts import Insert

pytestmark = pytest.mark.django_db


def source(practice: uuid.UUID | None = None) -> AuditSource:
    return AuditSource(
        user_id=uuid.uuid4(),
        user_label="alice@a.test",
        practice_id=practice,
        source_address="192.0.2.7",
        user_agent="Navigateur de test",
        session_ref="abc",
    )


def stored(event_id: int) -> dict[str, object]:
    row = AuditEvent.objects.get(pk=event_id)
    return {f.attname: getattr(row, f.attname) for f in AuditEvent._meta.concrete_fields}


def test_the_inserted_row_reads_back_as_the_event_it_was(cast):
    patient = uuid.uuid4()
    event = record_event(
        source(cast.practice_a.pk),
        AuditEventType.PATIENT_READ,
        action=AuditAction.READ,
        patient_id=patient,
        entity_type="Patient",
        entity_id=str(patient),
        purpose=PurposeOfUse.ETREAT,
        reason="Urgence : patient inconscient",
        detail={"champs": ["identité"], "n": 2},
    )
    assert isinstance(event.pk, int) and event._state.adding is False
    row = stored(event.pk)
    assert row == {f.attname: getattr(event, f.attname) for f in AuditEvent._meta.concrete_fields}
    assert reason_text(AuditEvent.objects.get(pk=event.pk)) == "Urgence : patient inconscient"


def test_one_insert_and_a_bulk_append_chain_together(db):
    src = source()
    first = record_event(src, AuditEventType.PATIENT_READ, action=AuditAction.READ)
    listed = record_listing(
        src, [uuid.uuid4(), uuid.uuid4()], purpose="", search_detail={"criteres": 1}
    )
    last = record_event(src, AuditEventType.PATIENT_READ, action=AuditAction.READ)
    seqs = [e.seq for e in [first, *listed, last]]
    assert seqs == list(range(first.seq, first.seq + 5))
    assert listed[0].prev_hash == first.hash and last.prev_hash == listed[-1].hash
    assert verify_chains().ok


def test_an_instance_already_saved_is_refused(db):
    event = record_event(source(), AuditEventType.PATIENT_READ, action=AuditAction.READ)
    with pytest.raises(ValueError, match="already saved"):
        Insert(AuditEvent).save_new(event)


def test_a_batch_larger_than_one_statement_is_stored_whole_with_its_keys(cast):
    """record_patient_events inserts with multi-row INSERTs of at most 47 rows
    (999 parameters): 120 events take three, every key comes back to its event."""
    src = source(cast.practice_a.pk)
    items = [(uuid.uuid4(), {"rang": i}) for i in range(120)]
    events = record_patient_events(src, AuditEventType.PATIENT_READ, AuditAction.READ, items)
    assert all(isinstance(e.pk, int) and not e._state.adding for e in events)
    for event in (events[0], events[46], events[47], events[119]):
        assert stored(event.pk) == {
            f.attname: getattr(event, f.attname) for f in AuditEvent._meta.concrete_fields
        }
    assert [
        e.detail["rang"]
        for e in AuditEvent.objects.filter(pk__in=[e.pk for e in events]).order_by("seq")
    ] == list(range(120))
    assert verify_chains().ok
