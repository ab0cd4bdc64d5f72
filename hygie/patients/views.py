"""Patient pages. Thin: parse, access, act, render. Every read goes through
access.py and every write through actions.py."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from hygie.audit.queries import patient_access_history
from hygie.core import clock
from hygie.practices.context import ActorRequest
from hygie.practices.decorators import actor_required

from . import access, actions, queries
from .enums import Scope
from .forms import BreakGlassForm, IdentityCheckForm, PatientForm, SearchForm
from .forms_data import check_identity
from .models import Patient
from .policy import Basis

IDENTITY_FIELDS = list(PatientForm.base_fields)[:-1]


def _form_errors(form: forms.Form, error: ValidationError) -> None:
    """An action's refusal on the form: under its field when the form has one."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, messages_ in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages_)


@actor_required
def patient_list(request: ActorRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    patients: list[Patient] | None = None
    if form.is_bound and form.is_valid() and any(form.cleaned_data.values()):
        d = form.cleaned_data
        nir = "".join(d["nir"].split())
        patients = access.search_patients(
            request.actor,
            name=d["q"],
            birth_date=d["birth_date"],
            nir=nir,
        )
    partial = bool(request.headers.get("HX-Request"))
    template = "patients/_results.html" if partial else "patients/list.html"
    return render(request, template, {"form": form, "patients": patients})


@actor_required
@require_http_methods(["GET", "POST"])
def patient_create(request: ActorRequest) -> HttpResponse:
    actor = request.actor
    actions.check_can_write_identity(actor)
    form = PatientForm(request.POST or None)
    duplicates: list[Patient] = []
    if request.method == "POST" and form.is_valid():
        try:
            data = check_identity(form.identity(), clock.today())
            if not form.cleaned_data["confirm_distinct"]:
                duplicates = access.find_likely_duplicates(
                    actor,
                    birth_date=data.birth_date,
                    given_names=data.birth_given_names,
                    family_names=[data.birth_family_name, data.used_family_name],
                    nir=data.nir,
                )
            if not duplicates:
                patient = actions.do_create_patient(actor, data)
                messages.success(request, _("Patient créé (identité provisoire)."))
                return redirect("patients:detail", patient_id=patient.pk)
        except ValidationError as exc:
            _form_errors(form, exc)
    return render(
        request, "patients/form.html", {"form": form, "duplicates": duplicates, "creating": True}
    )


@actor_required
def patient_detail(request: ActorRequest, patient_id: str) -> HttpResponse:
    actor = request.actor
    patient = access.access_patient(actor, patient_id)
    clinical = access.decision_for(actor, patient, Scope.CLINICAL)
    return render(
        request,
        "patients/detail.html",
        {
            "patient": patient,
            "clinical": clinical,
            "relationships": queries.care_relationships(patient.pk),
            "break_glass": queries.active_break_glass(patient.pk, actor.user.pk, clock.now())
            if actor.user and clinical.basis is Basis.BREAK_GLASS
            else None,
        },
    )


@actor_required
@require_http_methods(["GET", "POST"])
def patient_edit(request: ActorRequest, patient_id: str) -> HttpResponse:
    actor = request.actor
    patient = access.access_patient(actor, patient_id)
    initial = {f: getattr(patient, f) or "" for f in IDENTITY_FIELDS}
    form = PatientForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_update_patient(actor, patient, form.identity())
            messages.success(request, _("Identité enregistrée."))
            return redirect("patients:detail", patient_id=patient.pk)
        except ValidationError as exc:
            _form_errors(form, exc)
    return render(request, "patients/form.html", {"form": form, "patient": patient})


@actor_required
@require_http_methods(["GET", "POST"])
def identity_check(request: ActorRequest, patient_id: str) -> HttpResponse:
    actor = request.actor
    patient = access.access_patient(actor, patient_id)
    form = IdentityCheckForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_record_identity_check(
                actor,
                patient,
                document=form.cleaned_data["document"],
                ins_retrieved=form.cleaned_data["ins_retrieved"],
            )
            messages.success(request, _("Contrôle d'identité enregistré."))
            return redirect("patients:detail", patient_id=patient.pk)
        except ValidationError as exc:
            _form_errors(form, exc)
    return render(request, "patients/identity_check.html", {"form": form, "patient": patient})


@actor_required
@require_http_methods(["GET", "POST"])
def break_glass(request: ActorRequest, patient_id: str) -> HttpResponse:
    actor = request.actor
    patient = access.access_patient(actor, patient_id)
    form = BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_break_glass(actor, patient, form.cleaned_data["reason"])
            messages.warning(
                request,
                _(
                    "Accès d'urgence ouvert pour 7 jours. Les "
                    "administrateurs du cabinet en sont informés."
                ),
            )
            return redirect("patients:detail", patient_id=patient.pk)
        except ValidationError as exc:
            _form_errors(form, exc)
    return render(request, "patients/break_glass.html", {"form": form, "patient": patient})


@actor_required
def access_history(request: ActorRequest, patient_id: str) -> HttpResponse:
    """Who accessed this record, when and why: for a patient's RGPD access request.
    Practice admins only: break-the-glass reasons are clinical free text."""
    actor = request.actor
    patient = access.access_patient(actor, patient_id)
    if not actor.administers:
        raise PermissionDenied
    history = patient_access_history(actor.practice.pk, patient.pk)
    actions.record_access_history_produced(actor, patient)
    return render(request, "patients/access_history.html", {"patient": patient, "history": history})
