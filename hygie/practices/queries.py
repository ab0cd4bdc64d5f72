"""Read-only selectors for practices and memberships."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import Q, QuerySet

from hygie.accounts.models import User

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
