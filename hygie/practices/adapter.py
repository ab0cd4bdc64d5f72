"""allauth hooks. Staff accounts are created by practice admins, never by sign-up;
a login is refused when the account is inactive or belongs to no current practice
(the departed doctor of November 2025 must not get a session at all)."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.stagekit import clear_login
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from hygie.accounts.models import User
from hygie.audit.actions import AuditSource, record_event
from hygie.audit.enums import AuditAction, AuditEventType, AuditOutcome
from hygie.core import clock

from .queries import current_memberships


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def pre_login(self, request: HttpRequest, user: Any, **kwargs: Any) -> HttpResponse | None:
        refusal = self._refusal(user)
        if refusal is None:
            return super().pre_login(request, user, **kwargs)
        clear_login(request)
        source = AuditSource.for_request(request, practice_id=None, user_label=user.email)
        record_event(
            source,
            AuditEventType.LOGIN_REFUSED_INACTIVE,
            action=AuditAction.EXECUTE,
            outcome=AuditOutcome.MINOR_FAILURE,
            entity_type="User",
            entity_id=str(user.pk),
            detail={"why": refusal[0]},
        )
        messages.error(request, refusal[1])
        return HttpResponseRedirect(reverse("account_login"))

    @staticmethod
    def _refusal(user: User) -> tuple[str, str] | None:
        if not user.is_active:
            return "inactive", _(
                "Ce compte est désactivé. Contactez l'administrateur de votre cabinet."
            )
        if not user.is_superuser and not current_memberships(user, clock.today()).exists():
            return "no-membership", _(
                "Ce compte n'est rattaché à aucun cabinet actuellement. "
                "Contactez l'administrateur de votre cabinet."
            )
        return None
