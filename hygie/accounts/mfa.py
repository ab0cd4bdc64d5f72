"""Is this session's second factor done? One answer for the middleware and the views."""

from __future__ import annotations

from allauth.account.authentication import get_authentication_records
from allauth.mfa.utils import is_mfa_enabled
from django.http import HttpRequest

ENROLLED_HERE = "hygie_mfa_enrolled_here"


def session_passed_mfa(request: HttpRequest) -> bool:
    """True when the user has a second factor and this session proved it: either the
    login went through the MFA stage, or the factor was enrolled in this session
    (forced enrolment at first login, right after the one-time enrolment link)."""
    user = request.user
    if not user.is_authenticated or not is_mfa_enabled(user):
        return False
    if request.session.get(ENROLLED_HERE):
        return True
    return any(r.get("method") == "mfa" for r in get_authentication_records(request, user))
