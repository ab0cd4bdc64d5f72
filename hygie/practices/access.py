"""Doors to a practice's own records for an actor: its directory (the practice,
its members) and its audit log. Like patients.access, a refusal for something
of another practice is Http404, the answer for what does not exist.

Directory reads are not audited: they hold no health data, and every member
sees the directory in the web pages. Reading the audit log is audited.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.core.exceptions import PermissionDenied
from django.http import Http404

from hygie.audit.actions import record_event
from hygie.audit.enums import AuditAction, AuditEventType
from hygie.audit.models import AuditEvent
from hygie.audit.queries import events_for_practice
from hygie.core import clock

from .context import Actor
from .models import Membership, Practice
from .queries import members_of


def _check_current(actor: Actor) -> None:
    """A system actor acts for its practice; a person must be a current member."""
    if actor.is_system:
        return
    if actor.user is None or actor.membership is None:
        raise PermissionDenied
    if not (actor.user.is_active and actor.membership.is_current(clock.today())):
        raise PermissionDenied


def access_practice(actor: Actor, practice_id: object) -> Practice:
    _check_current(actor)
    if str(practice_id) != str(actor.practice.pk):
        raise Http404
    return actor.practice


def directory(actor: Actor) -> list[Membership]:
    """Every membership of the actor's practice, past ones included (they are
    referenced by records and by the audit)."""
    _check_current(actor)
    return list(members_of(actor.practice))


def access_membership(actor: Actor, membership_id: object) -> Membership:
    _check_current(actor)
    found = [m for m in directory(actor) if str(m.pk) == str(membership_id)]
    if not found:
        raise Http404
    return found[0]


def access_member_user(actor: Actor, user_id: object) -> Membership:
    """The membership of the user `user_id` in the actor's practice."""
    _check_current(actor)
    found = [m for m in directory(actor) if str(m.user_id) == str(user_id)]
    if not found:
        raise Http404
    return found[0]


def _check_admin(actor: Actor) -> None:
    _check_current(actor)
    if not actor.administers:
        raise PermissionDenied


def access_audit_events(
    actor: Actor,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    patient_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    offset: int = 0,
    count: int = 20,
) -> tuple[int, list[AuditEvent]]:
    """One page of the practice's audit log, newest first: practice admins only.
    The reading itself is audited."""
    _check_admin(actor)
    events = events_for_practice(
        actor.practice.pk, since=since, until=until, patient_id=patient_id, user_id=user_id
    )
    total = events.count()
    page = list(events[offset : offset + count])
    filters = {"since": since, "until": until, "patient": patient_id, "agent": user_id}
    record_event(
        actor.source,
        AuditEventType.AUDIT_LOG_VIEWED,
        action=AuditAction.READ,
        entity_type="AuditEvent",
        detail={"filters": sorted(k for k, v in filters.items() if v), "count": len(page)},
    )
    return total, page


def access_audit_event(actor: Actor, event_id: str) -> AuditEvent:
    _check_admin(actor)
    if not event_id.isdigit():
        raise Http404
    event = AuditEvent.objects.filter(pk=int(event_id), practice_id=actor.practice.pk).first()
    if event is None:
        raise Http404
    record_event(
        actor.source,
        AuditEventType.AUDIT_LOG_VIEWED,
        action=AuditAction.READ,
        entity_type="AuditEvent",
        entity_id=str(event.pk),
    )
    return event
