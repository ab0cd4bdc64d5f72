"""Per-request checks on the logged-in user: a live session, then a second factor."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from hygie.core import clock

from .mfa import session_passed_mfa
from .models import User, UserSession
from .request_info import DEVICE_COOKIE

# Refreshing last_seen on every request would turn every read into a write.
TOUCH_EVERY = dt.timedelta(seconds=60)
ALWAYS_ALLOWED_PREFIXES = ("/static/", "/comptes/logout/", "/sante/")


class SessionGuardMiddleware:
    """Refuses a session that was revoked, timed out (idle or absolute) or whose
    user was deactivated. Runs on every request, so revocation is immediate."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            refusal = self._refusal(request)
            if refusal is not None:
                logout(request)
                messages.warning(request, refusal)
                return HttpResponseRedirect(reverse("account_login"))
        response = self.get_response(request)
        new_device = getattr(request, "hygie_new_device_id", None)
        if new_device:
            response.set_cookie(
                DEVICE_COOKIE,
                new_device,
                max_age=400 * 24 * 3600,
                httponly=True,
                secure=settings.HTTPS,
                samesite="Lax",
            )
        return response

    def _refusal(self, request: HttpRequest) -> str | None:
        user: User = request.user  # type: ignore[assignment]
        if not user.is_active:
            return _("Votre compte est désactivé.")
        tracked = UserSession.objects.filter(
            session_key=request.session.session_key, user=user
        ).first()
        if tracked is None or tracked.revoked_at is not None:
            return _("Votre session a été fermée. Reconnectez-vous.")
        now = clock.now()
        if now - tracked.created_at > dt.timedelta(seconds=settings.SESSION_ABSOLUTE_SECONDS):
            self._expire(tracked, now, "absolute timeout")
            return _("Votre session a dépassé sa durée maximale. Reconnectez-vous.")
        if now - tracked.last_seen_at > dt.timedelta(seconds=settings.SESSION_IDLE_SECONDS):
            self._expire(tracked, now, "idle timeout")
            return _("Votre session a expiré après une période d'inactivité.")
        if now - tracked.last_seen_at > TOUCH_EVERY:
            UserSession.objects.filter(pk=tracked.pk).update(last_seen_at=now)
            User.objects.filter(pk=user.pk).update(last_seen_at=now)
        request.tracked_session = tracked  # type: ignore[attr-defined]
        return None

    @staticmethod
    def _expire(tracked: UserSession, now: dt.datetime, reason: str) -> None:
        UserSession.objects.filter(pk=tracked.pk).update(revoked_at=now, revoked_reason=reason)


def _mfa_exempt(path: str) -> bool:
    # allauth's pages (login, MFA enrolment, password) must be reachable before the
    # second factor; Hygie's own account pages are not among them.
    if path.startswith("/comptes/securite/"):
        return False
    return path.startswith(ALWAYS_ALLOWED_PREFIXES) or path.startswith("/comptes/")


class MfaRequiredMiddleware:
    """No page past this point until the session has passed a second factor:
    users without one are sent to enrol (first login), others to log in again."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.mfa_passed = False  # type: ignore[attr-defined]
        if request.user.is_authenticated:
            request.mfa_passed = session_passed_mfa(request)  # type: ignore[attr-defined]
            if not request.mfa_passed and not _mfa_exempt(request.path):  # type: ignore[attr-defined]
                return HttpResponseRedirect(reverse("accounts:mfa_required"))
        return self.get_response(request)
