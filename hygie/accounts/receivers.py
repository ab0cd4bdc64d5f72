"""Reactions to authentication events raised by Django and allauth: track the
session, audit, and tell the user by email when something should worry them.
Connected explicitly in AccountsConfig.ready()."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from allauth.account import signals as account_signals
from allauth.account.adapter import get_adapter
from allauth.core.context import request_context
from allauth.mfa import signals as mfa_signals
from django.contrib.auth import signals as auth_signals
from django.db import transaction
from django.http import HttpRequest

from hygie.audit.actions import AuditSource, record_event
from hygie.audit.enums import AuditAction, AuditEventType, AuditOutcome
from hygie.core import clock

from .actions import do_revoke_sessions, new_device_id
from .mfa import ENROLLED_HERE
from .models import KnownDevice, User, UserSession
from .request_info import DEVICE_COOKIE, client_address, user_agent

logger = logging.getLogger("hygie.accounts")


def on_logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is None or not hasattr(request, "session"):
        return
    now = clock.now()
    device_id = request.COOKIES.get(DEVICE_COOKIE) or ""
    if len(device_id) < 20:
        device_id = new_device_id()
        request.hygie_new_device_id = device_id  # type: ignore[attr-defined]
    with transaction.atomic():
        if request.session.session_key is None:
            request.session.save()
        session_key = str(request.session.session_key)
        UserSession.objects.create(
            user=user,
            session_key=session_key,
            device_id=device_id,
            ip_address=client_address(request),
            user_agent=user_agent(request),
            last_seen_at=now,
        )
        has_devices = KnownDevice.objects.filter(user=user).exists()
        _, new_device = KnownDevice.objects.get_or_create(
            user=user, device_id=device_id, defaults={"user_agent": user_agent(request)}
        )
        User.objects.filter(pk=user.pk).update(last_seen_at=now)
        record_event(
            AuditSource.for_request(request, practice_id=None),
            AuditEventType.LOGIN_SUCCESS,
            action=AuditAction.EXECUTE,
            entity_type="User",
            entity_id=str(user.pk),
        )
    if new_device and has_devices:
        _notify(request, user, "account/email/hygie_new_device")


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    if request is None:
        return
    # The label is what was typed, known account or not: the log must show an
    # attacker spraying addresses; the answer to the attacker stays the same.
    attempted = str(credentials.get("email") or credentials.get("username") or "")[:254]
    source = AuditSource.for_request(request, practice_id=None, user_label=attempted)
    record_event(
        source,
        AuditEventType.LOGIN_FAILURE,
        action=AuditAction.EXECUTE,
        outcome=AuditOutcome.MINOR_FAILURE,
    )


def on_logged_out(
    sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any
) -> None:
    if request is None or user is None:
        return
    key = request.session.session_key
    if key:
        UserSession.objects.filter(session_key=key, revoked_at=None).update(
            revoked_at=clock.now(), revoked_reason="logout"
        )
    record_event(
        AuditSource.for_request(request, practice_id=None),
        AuditEventType.LOGOUT,
        action=AuditAction.EXECUTE,
        entity_type="User",
        entity_id=str(user.pk),
    )


def on_mfa_failed(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    # The user is not logged in yet (second step pending): name them explicitly.
    source = replace(
        AuditSource.for_request(request, practice_id=None, user_label=user.email), user_id=user.pk
    )
    record_event(
        source,
        AuditEventType.MFA_FAILURE,
        action=AuditAction.EXECUTE,
        outcome=AuditOutcome.MINOR_FAILURE,
        entity_type="User",
        entity_id=str(user.pk),
    )
    # Someone knows the password: the user must hear about it now.
    _notify(request, user, "account/email/hygie_mfa_failed")


def on_mfa_used(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    record_event(
        AuditSource.for_request(request, practice_id=None),
        AuditEventType.MFA_SUCCESS,
        action=AuditAction.EXECUTE,
        entity_type="User",
        entity_id=str(user.pk),
    )


def on_authenticator_added(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    authenticator = kwargs.get("authenticator")
    # This session proved the new factor: mark it (allauth may call us after the
    # response, once the enrolment has committed, hence the explicit save).
    request.session[ENROLLED_HERE] = str(user.pk)
    request.session.save()
    # Any other session of the user was opened with the password alone: close it,
    # so that a thief's early session cannot ride on the real user's enrolment.
    do_revoke_sessions(
        user,
        reason="factor added in another session",
        source=AuditSource.for_request(request, practice_id=None),
        except_session_key=request.session.session_key,
    )
    record_event(
        AuditSource.for_request(request, practice_id=None),
        AuditEventType.MFA_ENROLLED,
        action=AuditAction.CREATE,
        entity_type="User",
        entity_id=str(user.pk),
        detail={"type": getattr(authenticator, "type", "")},
    )


def on_authenticator_removed(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    authenticator = kwargs.get("authenticator")
    record_event(
        AuditSource.for_request(request, practice_id=None),
        AuditEventType.MFA_REMOVED,
        action=AuditAction.DELETE,
        entity_type="User",
        entity_id=str(user.pk),
        detail={"type": getattr(authenticator, "type", "")},
    )


def on_password_changed(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    # Django gave this session a new key (update_session_auth_hash): follow it, or
    # the next request would not find its tracked session and log the user out.
    tracked = getattr(request, "tracked_session", None)
    new_key = request.session.session_key if hasattr(request, "session") else None
    if tracked is not None and new_key and tracked.session_key != new_key:
        UserSession.objects.filter(pk=tracked.pk).update(session_key=new_key)
    record_event(
        AuditSource.for_request(request, practice_id=None),
        AuditEventType.PASSWORD_CHANGED,
        action=AuditAction.UPDATE,
        entity_type="User",
        entity_id=str(user.pk),
    )


def _notify(request: HttpRequest, user: User, template_prefix: str) -> None:
    # allauth reads the request from its own context, set only inside its views.
    context = {
        "timestamp": clock.now(),
        "ip": client_address(request) or "?",
        "user_agent": user_agent(request),
    }
    try:
        with request_context(request):
            get_adapter(request).send_mail(template_prefix, user.email, context)
    except Exception:
        # A mail server being down must not block a login; it must be seen, though.
        logger.exception("security notification %s to user %s failed", template_prefix, user.pk)


def connect() -> None:
    auth_signals.user_logged_in.connect(on_logged_in, dispatch_uid="hygie_logged_in")
    auth_signals.user_login_failed.connect(on_login_failed, dispatch_uid="hygie_login_failed")
    auth_signals.user_logged_out.connect(on_logged_out, dispatch_uid="hygie_logged_out")
    mfa_signals.authentication_failed.connect(on_mfa_failed, dispatch_uid="hygie_mfa_failed")
    mfa_signals.authenticator_used.connect(on_mfa_used, dispatch_uid="hygie_mfa_used")
    mfa_signals.authenticator_added.connect(on_authenticator_added, dispatch_uid="hygie_mfa_add")
    mfa_signals.authenticator_removed.connect(on_authenticator_removed, dispatch_uid="hygie_mfa_rm")
    account_signals.password_changed.connect(on_password_changed, dispatch_uid="hygie_pw")
    account_signals.password_reset.connect(on_password_changed, dispatch_uid="hygie_pw_reset")
