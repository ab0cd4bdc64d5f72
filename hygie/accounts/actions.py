"""The only code that changes accounts and sessions. Every change is audited."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from importlib import import_module

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from oauth2_provider.models import (
    get_access_token_model,
    get_grant_model,
    get_refresh_token_model,
)

from hygie.audit.actions import AuditSource, record_event
from hygie.audit.enums import AuditAction, AuditEventType
from hygie.core import clock

from .models import User, UserSession


def do_create_user(
    email: str, *, first_name: str = "", last_name: str = "", source: AuditSource
) -> User:
    """A new staff account with no usable password: the person sets it through the
    enrolment link, then must enrol a second factor before seeing anything."""
    with transaction.atomic():
        user = User.objects.create_user(email, first_name=first_name, last_name=last_name)
        EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
        record_event(
            source,
            AuditEventType.USER_CREATED,
            action=AuditAction.CREATE,
            entity_type="User",
            entity_id=str(user.pk),
            detail={"email": user.email},
        )
    return user


def enrolment_path(user: User) -> str:
    """The path of a one-time link where the user chooses a password. The token is
    invalidated by the password change itself (Django's token generator)."""
    return reverse(
        "account_reset_password_from_key",
        kwargs={
            "uidb36": user_pk_to_url_str(user),
            "key": default_token_generator.make_token(user),
        },
    )


def new_device_id() -> str:
    return secrets.token_urlsafe(24)


def do_revoke_sessions(
    user: User,
    *,
    reason: str,
    source: AuditSource,
    practice_id: object = None,
    except_session_key: str | None = None,
) -> int:
    """Ends the user's sessions at once (those working in `practice_id` only, when
    given; all but `except_session_key`, when given). The Django session rows go
    too, so the cookie is worthless."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    now = clock.now()
    with transaction.atomic():
        sessions = UserSession.objects.select_for_update().filter(user=user, revoked_at=None)
        if practice_id is not None:
            # A session that has not chosen its practice yet could choose this one.
            sessions = sessions.filter(Q(practice_id=practice_id) | Q(practice_id=None))
        if except_session_key:
            sessions = sessions.exclude(session_key=except_session_key)
        revoked = list(sessions)
        for tracked in revoked:
            store(session_key=tracked.session_key).delete()
        UserSession.objects.filter(pk__in=[s.pk for s in revoked]).update(
            revoked_at=now, revoked_reason=reason[:100]
        )
        if revoked:
            record_event(
                source,
                AuditEventType.SESSION_REVOKED,
                action=AuditAction.EXECUTE,
                entity_type="User",
                entity_id=str(user.pk),
                detail={"sessions": len(revoked), "reason": reason[:100]},
            )
        # The FHIR API's tokens are sessions too: they go in the same transaction.
        do_revoke_api_tokens(user, reason=reason, source=source, practice_id=practice_id)
    return len(revoked)


def do_revoke_api_tokens(
    user: User, *, reason: str, source: AuditSource, practice_id: object = None
) -> int:
    """Deletes the FHIR API access tokens, refresh tokens and pending authorization
    codes the user holds (those bound to `practice_id` only, when given): the next
    API request with one of them is refused and none can be refreshed.

    The token models are hygie.fhir's, swapped into django-oauth-toolkit (decision
    0010); accounts reaches them through DOT's getters, not the layer above, and
    relies on their `user` and `practice_id` columns."""
    filters: dict[str, object] = {"user": user}
    if practice_id is not None:
        filters["practice_id"] = practice_id
    with transaction.atomic():
        refresh = get_refresh_token_model().objects.filter(**filters).delete()[0]
        access = get_access_token_model().objects.filter(**filters).delete()[0]
        codes = get_grant_model().objects.filter(**filters).delete()[0]
        if refresh or access or codes:
            record_event(
                source,
                AuditEventType.OAUTH_TOKENS_REVOKED,
                action=AuditAction.EXECUTE,
                entity_type="User",
                entity_id=str(user.pk),
                detail={
                    "access_tokens": access,
                    "refresh_tokens": refresh,
                    "codes": codes,
                    "reason": reason[:100],
                },
            )
    return int(access + refresh + codes)


def do_revoke_session(user: User, session_id: uuid.UUID, *, source: AuditSource) -> bool:
    """Revokes one of the user's own sessions; another user's id changes nothing."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    with transaction.atomic():
        tracked = (
            UserSession.objects.select_for_update()
            .filter(user=user, pk=session_id, revoked_at=None)
            .first()
        )
        if tracked is None:
            return False
        store(session_key=tracked.session_key).delete()
        tracked.revoked_at = clock.now()
        tracked.revoked_reason = "revoked by user"
        tracked.save(update_fields=["revoked_at", "revoked_reason"])
        record_event(
            source,
            AuditEventType.SESSION_REVOKED,
            action=AuditAction.EXECUTE,
            entity_type="User",
            entity_id=str(user.pk),
            detail={"sessions": 1},
        )
    return True


def do_deactivate_user(user: User, *, reason: str, source: AuditSource) -> None:
    """Disables the account everywhere and ends every session it holds."""
    with transaction.atomic():
        user.is_active = False
        user.deactivated_at = clock.now()
        user.deactivation_reason = reason[:200]
        user.save(update_fields=["is_active", "deactivated_at", "deactivation_reason"])
        record_event(
            source,
            AuditEventType.ACCOUNT_DEACTIVATED,
            action=AuditAction.UPDATE,
            entity_type="User",
            entity_id=str(user.pk),
            reason=reason[:200],  # free text from an admin: sealed, not in detail
        )
        do_revoke_sessions(user, reason="account deactivated", source=source)


def do_reactivate_user(user: User, *, source: AuditSource) -> str:
    """Re-opens a disabled account. The old password and second factors are wiped:
    whoever held them while the account slept must not walk back in. Returns the
    enrolment path to hand to the person."""
    with transaction.atomic():
        user.is_active = True
        user.deactivated_at = None
        user.deactivation_reason = ""
        user.last_seen_at = clock.now()
        user.set_unusable_password()
        user.save()
        Authenticator.objects.filter(user=user).delete()
        record_event(
            source,
            AuditEventType.ACCOUNT_REACTIVATED,
            action=AuditAction.UPDATE,
            entity_type="User",
            entity_id=str(user.pk),
        )
    return enrolment_path(user)


def do_disable_dormant_accounts(
    *, source: AuditSource, now: dt.datetime | None = None
) -> list[User]:
    """Disables every active account unused for ACCOUNT_DORMANT_DAYS (scheduled job)."""
    now = now or clock.now()
    limit = now - dt.timedelta(days=settings.ACCOUNT_DORMANT_DAYS)
    dormant = list(
        User.objects.filter(is_active=True, is_superuser=False)
        .filter(last_seen_at__lt=limit)
        .union(
            User.objects.filter(
                is_active=True, is_superuser=False, last_seen_at=None, date_joined__lt=limit
            )
        )
    )
    for user in dormant:
        do_deactivate_user(
            user, reason=f"dormant for {settings.ACCOUNT_DORMANT_DAYS} days", source=source
        )
    return dormant
