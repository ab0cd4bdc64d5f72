"""Is this session's second factor done? One answer for the middleware and the views."""

from __future__ import annotations

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.http import HttpRequest


def session_passed_mfa(request: HttpRequest) -> bool:
    """True when the user has a second factor and this session proved it: either the
    login went through allauth's MFA stage, or every factor the user has was
    enrolled during this very session (forced enrolment at first login, after the
    one-time enrolment link and a password re-check)."""
    user = request.user
    if not user.is_authenticated:
        return False
    if any(r.get("method") == "mfa" for r in get_authentication_records(request, user)):
        return Authenticator.objects.filter(user=user).exists()
    tracked = getattr(request, "tracked_session", None)
    if tracked is None:
        return False
    factors = Authenticator.objects.filter(user=user).exclude(
        type=Authenticator.Type.RECOVERY_CODES
    )
    first = factors.order_by("created_at").values_list("created_at", flat=True).first()
    return first is not None and first >= tracked.created_at
