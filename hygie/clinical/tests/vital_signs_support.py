"""Helpers of the vital signs tests: recording through the real action, reading
the audit log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from hygie.audit.models import AuditEvent
from hygie.clinical.actions import VitalSignsEntry, do_record_vital_signs
from hygie.clinical.models import Observation
from hygie.core import clock
from hygie.patients.actions import do_add_care_relationship, do_create_patient
from hygie.patients.enums import CareRelationshipKind
from hygie.patients.models import Patient
from hygie.practices.context import Actor, as_system
from tests.cast import identity


def record(
    actor: Actor,
    patient_id: object,
    *,
    ago: dt.timedelta = dt.timedelta(minutes=10),
    effective: dt.datetime | None = None,
    confirm: Collection[str] = (),
    **typed: str,
) -> list[Observation]:
    """do_record_vital_signs with the entry's fields as keywords (weight="72,5")."""
    when = effective if effective is not None else clock.now() - ago
    return do_record_vital_signs(actor, patient_id, VitalSignsEntry(**typed), when, confirm)


def events(*types: int) -> list[AuditEvent]:
    rows = AuditEvent.objects.order_by("id")
    return list(rows.filter(event_type__in=types) if types else rows)


def last_event_id() -> int:
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    return last or 0


def events_after(event_id: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(id__gt=event_id).order_by("id"))


def child_of_alice(cast: Any, birth_date: dt.date) -> Patient:
    """A child patient of practice A whose treating doctor is Alice."""
    system = as_system(cast.practice_a, "test-setup")
    child = do_create_patient(
        system,
        identity(
            birth_family_name="Petit",
            birth_given_names="Léa",
            birth_date=birth_date,
            nir="",
            ins_oid="",
        ),
    )
    do_add_care_relationship(system, child, cast.alice, kind=CareRelationshipKind.TREATING)
    return child
