"""The cast: Dr Alice treats her patients at the Alpha practice; Bob is her
colleague there; Charlie works at the Beta practice and must see nothing of Alpha.
Mallory has raw SQL access to the database and tries to cover her tracks."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from hygie.audit.actions import AuditSource, record_event, session_ref_for
from hygie.audit.enums import AuditAction, AuditEventType, PurposeOfUse
from hygie.audit.models import AuditEvent
from hygie.audit.protection import EVENT_TABLE, EXPECTED_TRIGGERS, HEAD_TABLE
from hygie.crypto.keys import ensure_tenant_keys

TRIGGER_TABLES = {
    "hygie_audit_event_no_update": EVENT_TABLE,
    "hygie_audit_event_no_delete": EVENT_TABLE,
    "hygie_audit_event_append_only": EVENT_TABLE,
    "hygie_audit_head_no_delete": HEAD_TABLE,
    "hygie_audit_head_forward_only": HEAD_TABLE,
    "hygie_audit_head_no_truncate": HEAD_TABLE,
}


def person(practice_id: uuid.UUID | None, email: str, address: str = "192.0.2.10") -> AuditSource:
    return AuditSource(
        user_id=uuid.uuid4(),
        user_label=email,
        practice_id=practice_id,
        source_address=address,
        user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
        session_ref=session_ref_for(uuid.uuid4().hex),
    )


def _practice_with_keys() -> uuid.UUID:
    # Reasons are sealed under the practice's key: the practice needs its keys.
    practice_id = uuid.uuid4()
    ensure_tenant_keys(practice_id)
    return practice_id


@pytest.fixture
def alpha(db: None) -> uuid.UUID:
    return _practice_with_keys()


@pytest.fixture
def beta(db: None) -> uuid.UUID:
    return _practice_with_keys()


@pytest.fixture
def alice(alpha: uuid.UUID) -> AuditSource:
    return person(alpha, "alice@alpha.test")


@pytest.fixture
def bob(alpha: uuid.UUID) -> AuditSource:
    return person(alpha, "bob@alpha.test", "198.51.100.7")


@pytest.fixture
def charlie(beta: uuid.UUID) -> AuditSource:
    return person(beta, "charlie@beta.test")


@pytest.fixture
def patient() -> uuid.UUID:
    return uuid.uuid4()


def read_patient(source: AuditSource, patient_id: uuid.UUID, **extra: Any) -> AuditEvent:
    extra.setdefault("purpose", PurposeOfUse.TREAT)
    return record_event(
        source,
        AuditEventType.PATIENT_READ,
        action=AuditAction.READ,
        patient_id=patient_id,
        entity_type="Patient",
        entity_id=str(patient_id),
        **extra,
    )


@pytest.fixture
def alpha_chain(db: None, alice: AuditSource, patient: uuid.UUID) -> list[AuditEvent]:
    """Ten reads of one patient by Alice: seqs 1 to 10 of the Alpha chain."""
    return [read_patient(alice, patient, detail={"n": n}) for n in range(10)]


@pytest.fixture
def mallory(db: None) -> Iterator[Callable[..., None]]:
    """Raw SQL with the append-only triggers dropped (rolled back with the test)."""
    with connection.cursor() as cursor:
        for name in EXPECTED_TRIGGERS[connection.vendor]:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER {name} ON {TRIGGER_TABLES[name]}")
            else:
                cursor.execute(f"DROP TRIGGER {name}")

    def execute(sql: str, params: list[Any] | None = None) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params or [])

    yield execute


@pytest.fixture
def checkpoint_dir(tmp_path: Path) -> Path:
    return tmp_path / "checkpoints"
