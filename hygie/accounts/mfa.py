"""Is this session's second factor done? One answer for the middleware and the views."""

from __future__ import annotations

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.http import HttpRequest

# Set by the authenticator_added receiver in the very session that enrolled it.
ENROLLED_HERE = "hygie_mfa_enrolled_here"


def session_passed_mfa(request: HttpRequest) -> bool:
    """True when the user has a second factor and this session proved it: either the
    login went through allauth's MFA stage, or this very session enrolled a factor
    (forced enrolment at first login, after the one-time enrolment link and a
    password re-check). A session opened with the password alone never passes
    because of something another session did."""
    user = request.user
    if not user.is_authenticated:
        return False
    passed = request.session.get(ENROLLED_HERE) == str(user.pk) or any(
        r.get("method") == "mfa" for r in get_authentication_records(request, user)
    )
    return passed and Authenticator.objects.filter(user=user).exists()
