"""Many writers on one chain at once (PostgreSQL: SQLite serialises writers anyway)."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection, connections, transaction

from hygie.audit.actions import AuditSource, record_event
from hygie.audit.enums import AuditAction, AuditEventType
from hygie.audit.models import AuditEvent
from hygie.audit.verify import verify_chains

WRITERS = 8
EVENTS_EACH = 25


class _Rollback(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_get_contiguous_seqs_and_a_chain_that_verifies() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent writers: PostgreSQL only")
    practice = uuid.uuid4()  # a new chain: the writers also race to create its head
    start = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def write(writer: int) -> None:
        source = AuditSource.system(f"writer-{writer}", practice)
        try:
            start.wait()
            for _ in range(EVENTS_EACH):
                record_event(source, AuditEventType.CLINICAL_READ, action=AuditAction.READ)
                # A write that fails takes its audit event with it, and leaves no gap.
                try:
                    with transaction.atomic():
                        record_event(
                            source, AuditEventType.CLINICAL_WRITE, action=AuditAction.UPDATE
                        )
                        raise _Rollback
                except _Rollback:
                    pass
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    events = AuditEvent.objects.filter(chain=str(practice)).order_by("seq")
    assert list(events.values_list("seq", flat=True)) == list(range(1, WRITERS * EVENTS_EACH + 1))
    assert not events.filter(event_type=AuditEventType.CLINICAL_WRITE).exists()
    recorded = list(events.values_list("recorded_at", flat=True))
    assert recorded == sorted(recorded)
    report = verify_chains()
    assert report.ok, report.problems
