"""The « Constantes » page of a patient's record: record a set of vital signs,
see the latest values, the trends and every measure; mark one entered in error.

Reads: the identity through access_patient (the banner), the record through
access_vital_signs_overview: the latest values, and the period the charts and the
table show (two years unless asked: one CLINICAL_READ per page, not one per
section, and a cost that does not grow with the whole history); the banner's allergies
after that door, without a second event (banner.strip_after_door). A colleague who may
see the patient but not the record gets a 403 page offering the break-the-glass
flow when the policy allows it; an assistant, the same page without it."""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from hygie.clinical.access import access_observation, access_vital_signs_overview
from hygie.clinical.actions import do_mark_observation_entered_in_error, do_record_vital_signs
from hygie.clinical.forms import EnteredInErrorForm, VitalSignsForm
from hygie.clinical.measures import VitalSign
from hygie.core import clock
from hygie.patients.access import ClinicalAccessDenied, access_patient
from hygie.practices.context import ActorRequest
from hygie.practices.decorators import actor_required

from . import vital_signs_display as display
from .banner import banner, denied, strip_after_door

# Marking one of these in error marks the BMI computed from it too.
BMI_SOURCES = {VitalSign.BODY_WEIGHT.value, VitalSign.BODY_HEIGHT.value}


@actor_required
@require_http_methods(["GET", "POST"])
def vital_signs(request: ActorRequest, patient_id: uuid.UUID) -> HttpResponse:
    actor = request.actor
    patient = access_patient(actor, patient_id)
    today = clock.today()
    child = display.is_child(patient, today)
    form = VitalSignsForm(
        request.POST or None,
        initial={"effective": clock.now().replace(second=0, microsecond=0)},
        with_head_circumference=child,
    )
    try:
        if request.method == "POST" and form.is_valid():
            try:
                created = do_record_vital_signs(
                    actor,
                    patient.pk,
                    form.entry(),
                    form.cleaned_data["effective"],
                    confirm=form.confirmed(),
                )
            except ValidationError as exc:
                form.add_action_errors(exc)
            else:
                n = len(created)
                messages.success(
                    request,
                    ngettext("%(n)d mesure enregistrée.", "%(n)d mesures enregistrées.", n)
                    % {"n": n},
                )
                return redirect("clinical:vital_signs", patient_id=patient.pk)
        # The period charted, and the table's rows (unless all are asked for): a
        # page reads what it shows, not the whole history (docs/performance.md).
        whole_period = request.GET.get("periode") == "tout"
        all_measures = request.GET.get("mesures") == "toutes"
        # A child's growth curves start at birth: the whole (short) record is read.
        since = (
            None
            if whole_period or all_measures or child
            else clock.now() - dt.timedelta(days=display.CHARTED_DAYS)
        )
        overview = access_vital_signs_overview(actor, patient.pk, since=since)
    except ClinicalAccessDenied as exc:
        return denied(request, patient, exc, template="clinical/denied.html")
    observations = overview.observations
    total = display.moment_count(observations)
    return render(
        request,
        "clinical/vital_signs.html",
        {
            **banner(patient, strip_after_door(actor, patient)),
            "form": form,
            "latest": display.latest(overview.latest),
            "moments": display.moments(
                observations, None if all_measures else display.MOMENTS_SHOWN
            ),
            "moments_total": total,
            "all_measures": all_measures
            or (total <= display.MOMENTS_SHOWN and not overview.has_older),
            "whole_period": whole_period,
            "older_than_period": overview.has_older,
            "trend_charts": display.trend_charts(observations, child=child),
            "growth_charts": display.growth_charts(patient, observations, today) if child else [],
            "child": child,
        },
    )


@actor_required
@require_http_methods(["GET", "POST"])
def mark_entered_in_error(
    request: ActorRequest, patient_id: uuid.UUID, observation_id: uuid.UUID
) -> HttpResponse:
    """A confirmation page with the measure and a required reason. The
    observation must be this patient's: a mismatched pair is a 404."""
    actor = request.actor
    patient = access_patient(actor, patient_id)
    observation = access_observation(actor, observation_id, patient_id=patient.pk)
    if observation.is_entered_in_error:
        messages.info(request, _("Cette mesure est déjà marquée comme saisie par erreur."))
        return redirect("clinical:vital_signs", patient_id=patient.pk)
    form = EnteredInErrorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            do_mark_observation_entered_in_error(actor, observation.pk, form.cleaned_data["reason"])
        except ClinicalAccessDenied as exc:
            return denied(request, patient, exc, template="clinical/denied.html")
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc)
        else:
            messages.success(
                request,
                _(
                    "Mesure marquée comme saisie par erreur : "
                    "elle reste dans l'historique du dossier."
                ),
            )
            return redirect("clinical:vital_signs", patient_id=patient.pk)
    return render(
        request,
        "clinical/entered_in_error.html",
        {
            **banner(patient, strip_after_door(actor, patient)),
            "form": form,
            "measure": display.shown(observation),
            "marks_bmi": observation.code in BMI_SOURCES,
        },
    )
