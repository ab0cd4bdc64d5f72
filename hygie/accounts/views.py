"""Account pages of Hygie's own: forced MFA enrolment, sessions and security."""

from __future__ import annotations

import uuid

from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hygie.audit.actions import AuditSource

from .actions import do_revoke_session
from .models import User, UserSession


@login_required
def mfa_required(request: HttpRequest) -> HttpResponse:
    if getattr(request, "mfa_passed", False):
        return redirect("web:home")
    has_factor = Authenticator.objects.filter(user=request.user).exists()
    return render(request, "accounts/mfa_required.html", {"has_factor": has_factor})


@login_required
def security(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    sessions = UserSession.objects.filter(user=user, revoked_at=None).order_by("-last_seen_at")
    current = getattr(request, "tracked_session", None)
    factors = Authenticator.objects.filter(user=user).order_by("type")
    return render(
        request,
        "accounts/security.html",
        {
            "sessions": sessions,
            "current_id": current.pk if current else None,
            "factors": factors,
        },
    )


@login_required
@require_POST
def revoke_session(request: HttpRequest, session_id: uuid.UUID) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if do_revoke_session(
        user, session_id, source=AuditSource.for_request(request, practice_id=None)
    ):
        messages.success(request, _("La session a été fermée."))
    else:
        messages.error(request, _("Session introuvable."))
    return redirect("accounts:security")
