"""Practice pages: choosing the practice, the team (admins), the audit log (admins)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST

from hygie.accounts.actions import do_create_user, do_reactivate_user, enrolment_path
from hygie.accounts.models import User
from hygie.audit.actions import reason_text, record_event
from hygie.audit.enums import AuditAction, AuditEventType
from hygie.audit.queries import events_for_practice
from hygie.core import clock

from .actions import belongs_elsewhere, do_add_member, do_change_role, do_end_membership
from .context import ActorRequest
from .decorators import admin_required
from .forms import AuditFilterForm, EndMembershipForm, MemberForm, RoleForm
from .middleware import SESSION_PRACTICE, select_practice
from .models import Membership
from .queries import current_memberships, members_of

ACCOUNT_OF_ANOTHER_PRACTICE = _lazy(
    "Ce compte est aussi rattaché à un autre cabinet : seul l'exploitant de Hygie peut "
    "le rattacher ici ou le réactiver (commandes « hygie membership add » et "
    "« hygie user reactivate »)."
)


@login_required
@require_http_methods(["GET", "POST"])
def switch(request: HttpRequest) -> HttpResponse:
    if not getattr(request, "mfa_passed", False):
        return redirect("accounts:mfa_required")
    memberships = list(current_memberships(request.user, clock.today()))  # type: ignore[arg-type]
    if request.method == "POST":
        chosen = request.POST.get("practice", "")
        if any(str(m.practice_id) == chosen for m in memberships):
            request.session.pop(SESSION_PRACTICE, None)
            select_practice(request, chosen)
            return redirect("web:home")
        messages.error(request, _("Cabinet inconnu."))
    return render(request, "practices/switch.html", {"memberships": memberships})


def _membership(request: ActorRequest, membership_id: uuid.UUID) -> Membership:
    membership = (
        Membership.objects.select_related("user", "practice")
        .filter(pk=membership_id, practice=request.actor.practice)
        .first()
    )
    if membership is None:
        raise Http404
    return membership


@admin_required
def members(request: ActorRequest) -> HttpResponse:
    today = clock.today()
    rows = [(m, m.is_current(today)) for m in members_of(request.actor.practice)]
    return render(request, "practices/members.html", {"rows": rows})


@admin_required
@require_http_methods(["GET", "POST"])
def member_add(request: ActorRequest) -> HttpResponse:
    actor = request.actor
    form = MemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            with transaction.atomic():
                user = User.objects.filter(email=d["email"].lower()).first()
                created = user is None
                if user is not None and belongs_elsewhere(user, actor.practice):
                    raise ValidationError(ACCOUNT_OF_ANOTHER_PRACTICE)
                if user is None:
                    user = do_create_user(
                        d["email"],
                        first_name=d["first_name"],
                        last_name=d["last_name"],
                        source=actor.source,
                    )
                membership = do_add_member(
                    actor.practice,
                    user,
                    role=d["role"],
                    is_admin=d["is_admin"],
                    start_date=d["start_date"],
                    end_date=d["end_date"],
                    rpps=d["rpps"],
                    profession=d["profession"] or "10",
                    specialty=d["specialty"],
                    source=actor.source,
                )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            link = request.build_absolute_uri(enrolment_path(user)) if created else ""
            return render(
                request, "practices/member_added.html", {"membership": membership, "link": link}
            )
    return render(request, "practices/member_form.html", {"form": form})


@admin_required
@require_http_methods(["GET", "POST"])
def member_detail(request: ActorRequest, membership_id: uuid.UUID) -> HttpResponse:
    actor = request.actor
    membership = _membership(request, membership_id)
    form = RoleForm(
        request.POST or None, initial={"role": membership.role, "is_admin": membership.is_admin}
    )
    if request.method == "POST" and form.is_valid():
        try:
            do_change_role(
                membership,
                role=form.cleaned_data["role"],
                is_admin=form.cleaned_data["is_admin"],
                source=actor.source,
            )
            messages.success(
                request,
                _("Rôle modifié. Les sessions de cette personne dans le cabinet ont été fermées."),
            )
            return redirect("practices:members")
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
    return render(
        request,
        "practices/member_detail.html",
        {
            "membership": membership,
            "form": form,
            "end_form": EndMembershipForm(),
            "current": membership.is_current(clock.today()),
        },
    )


@admin_required
@require_POST
def member_end(request: ActorRequest, membership_id: uuid.UUID) -> HttpResponse:
    actor = request.actor
    membership = _membership(request, membership_id)
    form = EndMembershipForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Indiquez le motif de fin."))
        return redirect("practices:member_detail", membership_id=membership.pk)
    try:
        do_end_membership(membership, reason=form.cleaned_data["reason"], source=actor.source)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Accès terminé : les sessions de %(who)s dans ce cabinet sont fermées.")
            % {"who": membership.user.display_name},
        )
    return redirect("practices:members")


@admin_required
@require_POST
def member_reactivate(request: ActorRequest, membership_id: uuid.UUID) -> HttpResponse:
    """Re-opens a disabled account of a current member, with a new enrolment."""
    actor = request.actor
    membership = _membership(request, membership_id)
    if belongs_elsewhere(membership.user, actor.practice):
        messages.error(request, ACCOUNT_OF_ANOTHER_PRACTICE)
        return redirect("practices:members")
    if membership.user.is_active or not membership.is_current(clock.today()):
        messages.error(
            request, _("Seul le compte désactivé d'un membre actuel peut être réactivé.")
        )
        return redirect("practices:members")
    path = do_reactivate_user(membership.user, source=actor.source)
    return render(
        request,
        "practices/member_added.html",
        {
            "membership": membership,
            "link": request.build_absolute_uri(path),
            "reactivated": True,
        },
    )


@admin_required
def audit_log(request: ActorRequest) -> HttpResponse:
    actor = request.actor
    form = AuditFilterForm(request.GET or None)
    filters: dict[str, object] = {}
    if form.is_valid():
        d = form.cleaned_data
        if d["user"]:
            user = User.objects.filter(email=d["user"].strip().lower()).first()
            filters["user_id"] = user.pk if user else uuid.UUID(int=0)
        if d["patient"]:
            filters["patient_id"] = d["patient"]
        if d["event_type"] is not None:
            filters["event_type"] = d["event_type"]
        if d["outcome"]:
            filters["outcome"] = d["outcome"]
        if d["since"]:
            filters["since"] = _day_start(d["since"])
        if d["until"]:
            filters["until"] = _day_start(d["until"] + dt.timedelta(days=1))
    events = events_for_practice(actor.practice.pk, **filters)  # type: ignore[arg-type]
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    for event in page:
        setattr(event, "reason_clear", reason_text(event))  # noqa: B010 (template-only attribute)
    record_event(
        actor.source,
        AuditEventType.AUDIT_LOG_VIEWED,
        action=AuditAction.READ,
        entity_type="AuditEvent",
        detail={"filters": sorted(filters), "page": page.number},
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "practices/audit_log.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))
