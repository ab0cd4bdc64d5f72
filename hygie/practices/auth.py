"""Authentication backend: a correct password opens nothing for an account that is
inactive or belongs to no current practice (the departed doctor of November 2025).

The answer is the same as for a wrong password, so the password of a departed
account cannot be confirmed, and the refusal counts as a failed login for the
throttling. Sessions already open are the middleware's business: ending a
membership revokes them, and ActorMiddleware re-reads the membership on every
request (re-checking here too would cost a query on every request)."""

from __future__ import annotations

from typing import Any

from allauth.account.auth_backends import AuthenticationBackend
from django.http import HttpRequest

from hygie.accounts.models import User
from hygie.audit.actions import AuditSource, record_event
from hygie.audit.enums import AuditAction, AuditEventType, AuditOutcome
from hygie.core import clock

from .queries import current_memberships


def may_log_in(user: User) -> bool:
    if not user.is_active:
        return False
    return user.is_superuser or current_memberships(user, clock.today()).exists()


class MembershipAuthenticationBackend(AuthenticationBackend):
    _request: HttpRequest | None = None

    def authenticate(self, request: HttpRequest | None, **credentials: Any) -> Any:
        # Django makes a new backend instance per call: keeping the request is safe.
        self._request = request
        return super().authenticate(request, **credentials)

    def _check_password(self, user: Any, password: str) -> Any:
        if not user:
            return None
        self._did_check_password = True
        if not user.check_password(password):
            return None
        if may_log_in(user):
            return user
        request = self._request
        if request is not None:
            source = AuditSource.for_request(request, practice_id=None, user_label=user.email)
            record_event(
                source,
                AuditEventType.LOGIN_REFUSED_INACTIVE,
                action=AuditAction.EXECUTE,
                outcome=AuditOutcome.MINOR_FAILURE,
                entity_type="User",
                entity_id=str(user.pk),
            )
        return None
