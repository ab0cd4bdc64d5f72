"""The database itself refuses to change the log, whatever the code asks."""

from __future__ import annotations

import uuid

import pytest
from django.db import IntegrityError, connection, transaction

from hygie.audit.actions import AuditSource, record_listing
from hygie.audit.enums import AuditEventType
from hygie.audit.models import AuditChainHead, AuditEvent
from hygie.audit.protection import missing_triggers
from hygie.audit.verify import verify_chains


def test_the_triggers_are_installed_by_the_migrations(db: None) -> None:
    assert missing_triggers() == []


def test_the_database_refuses_to_update_an_event(alpha_chain: list[AuditEvent]) -> None:
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=alpha_chain[0].pk).update(user_label="mallory")

    assert AuditEvent.objects.get(pk=alpha_chain[0].pk).user_label == "alice@alpha.test"


def test_the_database_refuses_to_delete_an_event(alpha_chain: list[AuditEvent]) -> None:
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=alpha_chain[0].pk).delete()

    assert AuditEvent.objects.filter(chain=alpha_chain[0].chain).count() == 10


def test_the_database_refuses_raw_sql_too(alpha_chain: list[AuditEvent]) -> None:
    for sql in ("UPDATE audit_auditevent SET reason = 'x'", "DELETE FROM audit_auditevent"):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)


def test_postgresql_refuses_to_truncate_the_log(alpha_chain: list[AuditEvent]) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    for table in ("audit_auditevent", "audit_auditchainhead"):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {table}")


def test_a_chain_head_only_moves_forward_onto_an_event_of_its_chain(
    alpha_chain: list[AuditEvent],
) -> None:
    heads = AuditChainHead.objects.filter(chain=alpha_chain[0].chain)

    with pytest.raises(IntegrityError), transaction.atomic():
        heads.update(seq=8)
    with pytest.raises(IntegrityError), transaction.atomic():
        heads.delete()
    # Forward past the last event, or onto a hash that is not the event's: refused.
    with pytest.raises(IntegrityError), transaction.atomic():
        heads.update(seq=11)
    with pytest.raises(IntegrityError), transaction.atomic():
        heads.update(seq=10, hash="0" * 64)

    assert heads.get().seq == 10


def test_several_events_append_together(alpha_chain: list[AuditEvent]) -> None:
    first = alpha_chain[0]
    source = AuditSource.system("test", practice_id=first.practice_id)
    ids = [uuid.uuid4() for _ in range(3)]
    events = record_listing(source, ids, purpose="", search_detail={"count": 3})
    assert [e.seq for e in events] == [11, 12, 13, 14]
    assert [e.event_type for e in events] == [AuditEventType.PATIENT_SEARCH] + [
        AuditEventType.PATIENT_READ
    ] * 3
    assert AuditChainHead.objects.get(chain=first.chain).seq == 14
    assert verify_chains().ok


def test_the_model_refuses_to_save_a_recorded_event_or_delete_it(
    alpha_chain: list[AuditEvent],
) -> None:
    event = alpha_chain[0]
    event.user_label = "mallory"

    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
