"""Read-only selectors for practices and memberships."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import Q, QuerySet

from hygie.accounts.models import User
from hygie.core import clock

from .enums import Role
from .models import Membership, Practice


def current_memberships(user: User, today: dt.date) -> QuerySet[Membership]:
    return (
        Membership.objects.select_related("practice")
        .filter(user=user, ended_at=None, start_date__lte=today)
        .filter(Q(end_date=None) | Q(end_date__gte=today))
        .order_by("practice__name")
    )


def current_membership(
    user: User, practice_id: uuid.UUID | str, today: dt.date
) -> Membership | None:
    return (
        current_memberships(user, today)
        .select_related("user")
        .filter(practice_id=practice_id)
        .first()
    )


def members_of(practice: Practice) -> QuerySet[Membership]:
    return (
        Membership.objects.select_related("user", "user__practitioner")
        .filter(practice=practice)
        .order_by("ended_at", "user__last_name", "user__email")
    )


def admins_of(practice: Practice, today: dt.date) -> list[User]:
    memberships = (
        Membership.objects.select_related("user")
        .filter(practice=practice, ended_at=None, start_date__lte=today, user__is_active=True)
        .filter(Q(end_date=None) | Q(end_date__gte=today))
        .filter(Q(is_admin=True) | Q(role="admin"))
    )
    return [m.user for m in memberships]


def membership_ids_of_user(practice: Practice, user_id: uuid.UUID) -> set[uuid.UUID]:
    """The ids of a user's memberships in `practice` (FHIR: their PractitionerRole)."""
    return set(
        Membership.objects.filter(practice=practice, user_id=user_id).values_list("pk", flat=True)
    )


def practitioner_role(practice: Practice, membership_id: uuid.UUID) -> Membership | None:
    """A practitioner's current membership of `practice` (FHIR PractitionerRole),
    or None (absent, ended, or not a practitioner)."""
    membership = (
        Membership.objects.select_related("user")
        .filter(practice=practice, pk=membership_id, role=Role.PRACTITIONER)
        .first()
    )
    if membership is None or not membership.is_current(clock.today()):
        return None
    return membership
