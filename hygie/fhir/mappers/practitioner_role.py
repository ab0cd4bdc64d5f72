"""Membership (domain) → FR Core 2.2.0 PractitionerRole. Decision 0009, §2.

One membership is one PractitionerRole: a user's place in a practice, from its
start to its end. The caller obtained `membership` through the access layer; this
module audits nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from hygie.core import clock
from hygie.practices.enums import Role
from hygie.practices.models import Membership

from .. import systems as S
from .practitioner import practitioner_of


def _end(membership: Membership) -> dt.date | None:
    """The membership ends at its planned end date or when it was ended, whichever
    comes first (Membership.is_current)."""
    ends = [] if membership.end_date is None else [membership.end_date]
    if membership.ended_at is not None:
        ends.append(timezone.localdate(membership.ended_at))
    return min(ends, default=None)


def _codes(membership: Membership) -> list[dict[str, Any]]:
    # FR Core's preferred value set (TRE_R21-Fonction, TRE_R23-ModeExercice…)
    # describes the professional's situation (holder, locum, salaried, liberal),
    # which Hygie does not record. Hygie's roles are access roles inside the
    # software: no national code says the same thing, so they are sent as text.
    roles = [Role(membership.role)]
    if membership.is_admin and membership.role != Role.ADMIN:
        roles.append(Role.ADMIN)
    return [{"text": str(role.label)} for role in roles]


def to_fhir(membership: Membership, *, today: dt.date | None = None) -> dict[str, Any]:
    today = today or clock.today()
    period: dict[str, Any] = {"start": membership.start_date.isoformat()}
    end = _end(membership)
    if end is not None:
        period["end"] = end.isoformat()
    resource: dict[str, Any] = {
        "resourceType": "PractitionerRole",
        "id": str(membership.pk),
        "meta": {"profile": [S.fr_core_profile("fr-core-practitioner-role")]},
        "active": membership.is_current(today),
        "period": period,
        "practitioner": {"reference": f"Practitioner/{membership.user_id}"},
        "organization": {"reference": f"Organization/{membership.practice_id}"},
        "code": _codes(membership),
    }
    practitioner = practitioner_of(membership.user)
    # The specialty is the practitioner's (ordinal, TRE_R38: the enum values are
    # its codes); a practitioner without one, or a non-practitioner, has none.
    if membership.role == Role.PRACTITIONER and practitioner and practitioner.specialty:
        resource["specialty"] = [
            {"coding": [{"system": S.SPECIALTY_SYSTEM, "code": practitioner.specialty}]}
        ]
    return resource
