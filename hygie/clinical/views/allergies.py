"""The « Allergies » page of a patient's record: the list (active first, high
criticality first; the inactive, resolved and refuted ones on demand), a form to
record one, an edit page that names the version it showed, entered-in-error
with a reason, and the history of an allergy's versions.

Reads: one CLINICAL_READ per page view. The list page's access_allergies also
gives the banner's strip (its active ones). The pages of one allergy read the
patient's whole list once (entered-in-error included) and take the allergy from
it, so that the same read serves the banner; the history page reads through
access_allergy_history, and its strip after that door (banner.strip_after_door).
A page addressed by an allergy id answers 404 to anyone outside the record, as
the allergy doors do (decision 0019 §9)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import TextChoices
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from hygie.clinical.access import access_allergies, access_allergy_history
from hygie.clinical.actions import (
    AllergyVersionConflict,
    do_mark_allergy_entered_in_error,
    do_record_allergy,
    do_update_allergy,
)
from hygie.clinical.enums import (
    AllergyIntoleranceCategory,
    AllergyIntoleranceClinicalStatus,
    AllergyIntoleranceCriticality,
    AllergyIntoleranceType,
    AllergyIntoleranceVerificationStatus,
    AllergyReactionSeverity,
    DatePrecision,
)
from hygie.clinical.forms import (
    REACTION_ROWS,
    AllergyEnteredInErrorForm,
    AllergyForm,
    allergy_initial,
)
from hygie.clinical.models import AllergyIntolerance
from hygie.patients.access import ClinicalAccessDenied, access_patient
from hygie.patients.models import Patient
from hygie.practices.context import Actor, ActorRequest
from hygie.practices.decorators import actor_required
from hygie.practices.models import Membership

from .banner import banner, denied, strip_after_door, strip_of, substance_label

# --- What the pages show ---------------------------------------------------------


def _label(choices: type[TextChoices], value: str) -> str:
    return str(dict(choices.choices).get(value, value)) if value else ""


def onset_text(allergy: AllergyIntolerance) -> str:
    """The onset at its precision, the French way: 2019, mars 2019, 12/03/2019."""
    if allergy.onset is None:
        return ""
    precision = DatePrecision(allergy.onset_precision)
    if precision is DatePrecision.YEAR:
        return str(allergy.onset.year)
    if precision is DatePrecision.MONTH:
        return formats.date_format(allergy.onset, "F Y")
    return allergy.onset.strftime("%d/%m/%Y")


def reactions_text(reactions: Sequence[dict[str, str]]) -> list[str]:
    """« urticaire (modérée) », one per reaction."""
    shown = []
    for reaction in reactions:
        severity = reaction.get("severity") or ""
        manifestation = reaction.get("manifestation") or ""
        if severity:
            shown.append(
                _("%(manifestation)s (%(severity)s)")
                % {
                    "manifestation": manifestation,
                    "severity": _label(AllergyReactionSeverity, severity).lower(),
                }
            )
        else:
            shown.append(manifestation)
    return shown


@dataclass(frozen=True)
class Row:
    """One allergy as the list writes it."""

    allergy: AllergyIntolerance
    substance: str
    onset: str
    reactions: list[str]

    @property
    def high(self) -> bool:
        return self.allergy.criticality == AllergyIntoleranceCriticality.HIGH


def row(allergy: AllergyIntolerance) -> Row:
    return Row(
        allergy,
        substance_label(allergy),
        onset_text(allergy),
        reactions_text(allergy.reactions or []),
    )


# The fields of a version, in the order of the form, and how to write each.
HISTORY_FIELDS: list[tuple[str, str]] = [
    ("substance_text", _("Substance")),
    ("atc_code", _("Code ATC")),
    ("type", _("Type")),
    ("category", _("Catégorie")),
    ("criticality", _("Criticité")),
    ("clinical_status", _("Statut clinique")),
    ("verification_status", _("Vérification")),
    ("onset", _("Début")),
    ("reactions", _("Réactions")),
    ("note", _("Note")),
    ("status_reason", _("Motif de la saisie par erreur")),
]
_CODED: dict[str, type[TextChoices]] = {
    "type": AllergyIntoleranceType,
    "category": AllergyIntoleranceCategory,
    "criticality": AllergyIntoleranceCriticality,
    "clinical_status": AllergyIntoleranceClinicalStatus,
    "verification_status": AllergyIntoleranceVerificationStatus,
}


def field_text(allergy: AllergyIntolerance, name: str) -> str:
    if name == "onset":
        return onset_text(allergy)
    if name == "reactions":
        return " ; ".join(reactions_text(allergy.reactions or []))
    value = getattr(allergy, name) or ""
    if name in _CODED:
        return _label(_CODED[name], value)
    return str(value)


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class Version:
    allergy: AllergyIntolerance
    author: str
    changes: list[Change]  # empty for the first version: everything is shown
    fields: list[Change]  # the first version's content


def versions(history: Sequence[AllergyIntolerance], authors: dict[object, str]) -> list[Version]:
    """Each version, newest first, with what changed from the one before it
    (the difference of two neighbours: decision 0019 keeps whole versions)."""
    shown = []
    for index, current in enumerate(history):
        older = history[index + 1] if index + 1 < len(history) else None
        author = authors.get(current.last_changed_by_id, _("Hygie (traitement automatique)"))
        if older is None:
            content = [
                Change(str(label), "", field_text(current, name))
                for name, label in HISTORY_FIELDS
                if field_text(current, name)
            ]
            shown.append(Version(current, author, [], content))
            continue
        changes = [
            Change(str(label), field_text(older, name), field_text(current, name))
            for name, label in HISTORY_FIELDS
            if field_text(older, name) != field_text(current, name)
        ]
        shown.append(Version(current, author, changes, []))
    return shown


def _authors(history: Sequence[AllergyIntolerance]) -> dict[object, str]:
    """Who made each version, in one query: a rebuilt version knows only the
    membership's id."""
    ids = {a.last_changed_by_id for a in history if a.last_changed_by_id}
    members = Membership.objects.filter(pk__in=ids).select_related("user")
    return {m.pk: m.user.display_name for m in members}


# --- Pages -----------------------------------------------------------------------


@actor_required
@require_http_methods(["GET", "POST"])
def allergies(request: ActorRequest, patient_id: uuid.UUID) -> HttpResponse:
    actor = request.actor
    patient = access_patient(actor, patient_id)
    with_inactive = request.GET.get("inactives") == "1"
    form = AllergyForm(
        request.POST or None,
        initial={
            "clinical_status": AllergyIntoleranceClinicalStatus.ACTIVE,
            "verification_status": AllergyIntoleranceVerificationStatus.UNCONFIRMED,
        },
    )
    try:
        if request.method == "POST" and form.is_valid():
            try:
                do_record_allergy(actor, patient.pk, form.allergy_data())
            except ValidationError as exc:
                form.add_action_errors(exc)
            else:
                messages.success(request, _("Allergie ou intolérance enregistrée."))
                return redirect("clinical:allergies", patient_id=patient.pk)
        # The inactive ones only when asked: one read either way, which also
        # gives the banner its active ones.
        listed = access_allergies(actor, patient.pk, include_inactive=with_inactive)
    except ClinicalAccessDenied as exc:
        return denied(request, patient, exc, template="clinical/allergies_denied.html")
    return render(
        request,
        "clinical/allergies.html",
        {
            **banner(patient, strip_of(listed)),
            "form": form,
            "rows": [row(a) for a in listed],
            "with_inactive": with_inactive,
        },
    )


def _one_of_the_record(
    actor: Actor, patient: Patient, allergy_id: uuid.UUID
) -> tuple[AllergyIntolerance, list[AllergyIntolerance]]:
    """The allergy of that id among the patient's (read once, entered-in-error
    included), and the list for the banner. 404 for an id of another patient or
    none, and for anyone outside the record (the door recorded the refusal)."""
    try:
        listed = access_allergies(
            actor, patient.pk, include_inactive=True, include_entered_in_error=True
        )
    except ClinicalAccessDenied:
        raise Http404 from None
    allergy = next((a for a in listed if a.pk == allergy_id), None)
    if allergy is None:
        raise Http404
    return allergy, listed


@actor_required
@require_http_methods(["GET", "POST"])
def edit_allergy(
    request: ActorRequest, patient_id: uuid.UUID, allergy_id: uuid.UUID
) -> HttpResponse:
    """The allergy as stored, to correct. The form carries the version shown: if
    someone changed the allergy since, nothing is written and the page shows
    the current values with the conflict's message, to redo the change on them."""
    actor = request.actor
    patient = access_patient(actor, patient_id)
    allergy, listed = _one_of_the_record(actor, patient, allergy_id)
    if allergy.is_entered_in_error:
        messages.info(
            request,
            _("Cette allergie est marquée comme saisie par erreur : elle ne se modifie plus."),
        )
        return redirect("clinical:allergies", patient_id=patient.pk)
    rows = max(REACTION_ROWS, len(allergy.reactions or []) + 1)
    conflict = ""
    if request.method == "POST":
        form = AllergyForm(request.POST, reaction_rows=rows, with_version=True)
        if form.is_valid():
            try:
                do_update_allergy(
                    actor,
                    allergy.pk,
                    form.allergy_data(),
                    expected_version=form.cleaned_data["version"],
                )
            except AllergyVersionConflict as exc:
                conflict = str(exc)
            except ValidationError as exc:
                form.add_action_errors(exc)
            else:
                messages.success(request, _("Allergie ou intolérance mise à jour."))
                return redirect("clinical:allergies", patient_id=patient.pk)
        elif "version" in form.errors:
            conflict = _("La version de l'allergie manque au formulaire : rechargez la page.")
    if request.method == "GET" or conflict:
        # The values as stored now (read just before the write was refused).
        form = AllergyForm(initial=allergy_initial(allergy), reaction_rows=rows, with_version=True)
    return render(
        request,
        "clinical/allergies_edit.html",
        {
            **banner(patient, strip_of(listed)),
            "form": form,
            "row": row(allergy),
            "conflict": conflict,
        },
    )


@actor_required
@require_http_methods(["GET", "POST"])
def mark_allergy_entered_in_error(
    request: ActorRequest, patient_id: uuid.UUID, allergy_id: uuid.UUID
) -> HttpResponse:
    """A confirmation page with the allergy and a required reason."""
    actor = request.actor
    patient = access_patient(actor, patient_id)
    allergy, listed = _one_of_the_record(actor, patient, allergy_id)
    if allergy.is_entered_in_error:
        messages.info(request, _("Cette allergie est déjà marquée comme saisie par erreur."))
        return redirect("clinical:allergies", patient_id=patient.pk)
    form = AllergyEnteredInErrorForm(request.POST or None, initial={"version": allergy.version})
    conflict = ""
    if request.method == "POST" and form.is_valid():
        try:
            do_mark_allergy_entered_in_error(
                actor,
                allergy.pk,
                form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
        except AllergyVersionConflict as exc:
            # Shown again as it is now, with its current version to confirm on.
            conflict = str(exc)
            form = AllergyEnteredInErrorForm(
                initial={"version": allergy.version, "reason": form.cleaned_data["reason"]}
            )
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
                    "Allergie marquée comme saisie par erreur : elle quitte la liste et "
                    "le bandeau, mais reste dans l'historique du dossier."
                ),
            )
            return redirect("clinical:allergies", patient_id=patient.pk)
    return render(
        request,
        "clinical/allergies_entered_in_error.html",
        {
            **banner(patient, strip_of(listed)),
            "form": form,
            "row": row(allergy),
            "conflict": conflict,
        },
    )


@actor_required
@require_GET
def allergy_history(
    request: ActorRequest, patient_id: uuid.UUID, allergy_id: uuid.UUID
) -> HttpResponse:
    """Every version of an allergy, newest first: who, when, what changed."""
    actor = request.actor
    patient = access_patient(actor, patient_id)
    history = access_allergy_history(actor, allergy_id)  # AllergyNotFound: 404
    if history[0].patient_id != patient.pk:
        raise Http404
    return render(
        request,
        "clinical/allergies_history.html",
        {
            **banner(patient, strip_after_door(actor, patient)),
            "row": row(history[0]),
            "versions": versions(history, _authors(history)),
        },
    )
