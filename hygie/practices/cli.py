"""Lookups shared by the commands that take --practice or an e-mail."""

from __future__ import annotations

import uuid

from django.core.management.base import CommandError

from hygie.accounts.models import User

from .models import Membership, Practice


def practice_arg(value: str) -> Practice:
    try:
        practice_id = uuid.UUID(value)
    except ValueError as exc:
        raise CommandError(
            f"--practice: {value!r} n'est pas un identifiant de cabinet "
            "(voir `hygie practice list`)"
        ) from exc
    practice = Practice.objects.filter(pk=practice_id).first()
    if practice is None:
        raise CommandError(f"--practice: aucun cabinet {value}")
    return practice


def user_arg(email: str) -> User:
    user = User.objects.filter(email=email.strip().lower()).first()
    if user is None:
        raise CommandError(f"aucun compte pour {email}")
    return user


def membership_arg(user: User, practice: Practice) -> Membership:
    membership = Membership.objects.filter(user=user, practice=practice).first()
    if membership is None:
        raise CommandError(f"{user.email} n'est pas membre du cabinet {practice.pk}")
    return membership
