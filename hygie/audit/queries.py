"""Read-only selectors over the audit log.

They check no permission and record nothing: the access function that shows
their result to someone checks the role and records AUDIT_LOG_VIEWED (or
PATIENT_ACCESS_HISTORY_PRODUCED) itself.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple
from uuid import UUID

from django.db.models import QuerySet

from hygie.audit.actions import reason_text
from hygie.audit.enums import (
    PATIENT_DATA_EVENT_TYPES,
    AuditAction,
    AuditEventType,
    AuditOutcome,
    PurposeOfUse,
)
from hygie.audit.fhir import to_fhir_dict
from hygie.audit.models import AuditEvent

__all__ = ["AccessRecord", "events_for_practice", "patient_access_history", "to_fhir_dict"]


def events_for_practice(
    practice_id: UUID,
    *,
    user_id: UUID | None = None,
    patient_id: UUID | None = None,
    event_type: AuditEventType | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    outcome: AuditOutcome | None = None,
) -> QuerySet[AuditEvent]:
    """A practice's events, newest first; `since` is inclusive, `until` exclusive."""
    events = AuditEvent.objects.filter(practice_id=practice_id)
    if user_id is not None:
        events = events.filter(user_id=user_id)
    if patient_id is not None:
        events = events.filter(patient_id=patient_id)
    if event_type is not None:
        events = events.filter(event_type=event_type)
    if since is not None:
        events = events.filter(recorded_at__gte=since)
    if until is not None:
        events = events.filter(recorded_at__lt=until)
    if outcome is not None:
        events = events.filter(outcome=outcome)
    return events.order_by("-recorded_at", "-id")


class AccessRecord(NamedTuple):
    recorded_at: dt.datetime
    user_label: str
    action: str
    purpose: str
    reason: str

    @property
    def action_label(self) -> str:
        return str(AuditAction(self.action).label)

    @property
    def purpose_label(self) -> str:
        return str(PurposeOfUse(self.purpose).label) if self.purpose else ""


def patient_access_history(practice_id: UUID, patient_id: UUID) -> list[AccessRecord]:
    """Who read or wrote a patient's data in a practice, newest first, for the
    patient's RGPD access request: successful accesses by people only (system
    jobs and refused attempts are left out). Reasons come back in clear text."""
    events = (
        events_for_practice(practice_id, patient_id=patient_id, outcome=AuditOutcome.SUCCESS)
        .filter(user_id__isnull=False, event_type__in=PATIENT_DATA_EVENT_TYPES)
        .only("recorded_at", "user_label", "action", "purpose", "reason", "chain", "practice_id")
    )
    return [
        AccessRecord(e.recorded_at, e.user_label, e.action, e.purpose, reason_text(e))
        for e in events
    ]
