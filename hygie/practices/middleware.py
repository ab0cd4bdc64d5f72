"""Attaches request.actor: the logged-in person acting in one practice, or nobody.

The membership is re-read on every request, so a membership ended a second ago
stops the very next request, whatever session or token it comes with."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from hygie.accounts.models import UserSession
from hygie.core import clock

from .context import actor_for_request
from .queries import current_membership, current_memberships

SESSION_PRACTICE = "hygie_practice_id"


class ActorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.actor = None  # type: ignore[attr-defined]
        if request.user.is_authenticated and getattr(request, "mfa_passed", False):
            refused = self._attach(request)
            if refused is not None:
                return refused
        return self.get_response(request)

    def _attach(self, request: HttpRequest) -> HttpResponse | None:
        today = clock.today()
        practice_id = request.session.get(SESSION_PRACTICE)
        if practice_id:
            membership = current_membership(request.user, practice_id, today)  # type: ignore[arg-type]
            if membership is None:
                # The practice this session worked in no longer has this person.
                UserSession.objects.filter(session_key=request.session.session_key).update(
                    revoked_at=clock.now(), revoked_reason="membership ended"
                )
                logout(request)
                messages.error(request, _("Votre accès à ce cabinet a pris fin."))
                return HttpResponseRedirect(reverse("account_login"))
        else:
            memberships = list(current_memberships(request.user, today)[:2])  # type: ignore[arg-type]
            if len(memberships) != 1:
                # None or several: the switcher page explains or lets them choose.
                return None
            membership = memberships[0]
            select_practice(request, membership.practice_id)
        request.actor = actor_for_request(request, membership)  # type: ignore[attr-defined]
        return None


def select_practice(request: HttpRequest, practice_id: object) -> None:
    request.session[SESSION_PRACTICE] = str(practice_id)
    UserSession.objects.filter(session_key=request.session.session_key).update(
        practice_id=practice_id
    )
