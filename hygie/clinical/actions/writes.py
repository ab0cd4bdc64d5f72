"""What every write to the clinical record ends with: its one CLINICAL_WRITE
event, and, for the resources kept in versions (allergies, problems, family
history), the claim of the next version with the replaced one kept."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from django.db import models
from django.db.models import F

from hygie.audit.actions import record_event
from hygie.audit.enums import AuditAction, AuditEventType
from hygie.clinical.access import WriteGrant
from hygie.core import clock
from hygie.patients.actions import VersionConflict
from hygie.practices.context import Actor


def record_clinical_write(
    actor: Actor,
    grant: WriteGrant,
    action: AuditAction,
    *,
    entity_type: str,
    entity_id: str,
    detail: Mapping[str, object],
    reason: str,
) -> None:
    """One CLINICAL_WRITE for a write the grant allowed. `detail` names rows,
    versions and field names only: the log's detail is stored in clear and read
    by the practice's administrators (decision 0017 §8), never a value or code."""
    record_event(
        actor.source,
        AuditEventType.CLINICAL_WRITE,
        action=action,
        patient_id=grant.patient.pk,
        entity_type=entity_type,
        entity_id=entity_id,
        purpose=grant.purpose,
        reason=reason,
        detail={**detail, "basis": grant.decision.basis.value},
    )


class Versioned(Protocol):
    """A clinical row kept in versions (AllergyIntolerance, Condition,
    FamilyMemberHistory)."""

    pk: Any
    practice_id: Any
    version: int
    last_changed_at: Any
    last_changed_by_id: Any
    last_changed_by: Any

    def snapshot(self) -> dict[str, Any]: ...


def keep_version(
    actor: Actor,
    row: Versioned,
    *,
    version_model: type[models.Model],
    owner_field: str,
    conflict: type[VersionConflict],
) -> None:
    """Claims the next version of `row` (as loaded) and stores the loaded one in
    `version_model` (its `owner_field` names the row). The conditional UPDATE is
    the lock: of two writers who read the same version, the second finds it gone
    and gets `conflict` (and its transaction writes nothing).
    Precondition: inside transaction.atomic()."""
    manager = type(row)._default_manager  # type: ignore[attr-defined]
    claimed = manager.filter(pk=row.pk, version=row.version).update(version=F("version") + 1)
    if not claimed:
        current = manager.filter(pk=row.pk).values_list("version", flat=True).first()
        raise conflict(current or 0)
    now = clock.now()
    version_model._default_manager.create(
        practice_id=row.practice_id,
        **{owner_field: row.pk},
        version=row.version,
        changed_at=row.last_changed_at,
        changed_by_id=row.last_changed_by_id,
        replaced_at=now,
        replaced_by=actor.membership,
        snapshot=row.snapshot(),
    )
    row.version += 1
    row.last_changed_at = now
    row.last_changed_by = actor.membership
