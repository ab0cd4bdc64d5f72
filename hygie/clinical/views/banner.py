"""The patient banner shared by the chart's pages: who the patient is, their age,
and the red strip of their active allergies.

The strip never says « Aucune allergie connue » unless the list was read and is
empty: a page that could not read it (record closed to the actor, a failure)
says so instead, because an absent allergy and an unread list must not look
alike to a prescriber."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hygie.clinical import access
from hygie.clinical.charts.french import format_age
from hygie.clinical.enums import AllergyIntoleranceCriticality
from hygie.clinical.measures import Age
from hygie.clinical.models import AllergyIntolerance
from hygie.core import clock
from hygie.crypto.errors import DecryptionError, MissingTenantKeyError
from hygie.patients.access import ClinicalAccessDenied
from hygie.patients.models import Patient
from hygie.practices.context import Actor

from . import vital_signs_display as display

logger = logging.getLogger(__name__)

# What reading the list may fail with: the database, or the practice's key.
READ_FAILURES = (DatabaseError, DecryptionError, MissingTenantKeyError)


class StripState(Enum):
    LISTED = "listed"  # at least one active allergy
    NONE_KNOWN = "none"  # the list was read, and is empty
    FAILED = "failed"  # the list could not be read
    CLOSED = "closed"  # the actor may not read the record


@dataclass(frozen=True)
class StripEntry:
    label: str
    criticality: str  # French, lower case, or blank when not assessed
    high: bool


@dataclass(frozen=True)
class AllergyStrip:
    state: StripState
    entries: tuple[StripEntry, ...] = ()

    @property
    def state_name(self) -> str:
        return self.state.value


def substance_label(allergy: AllergyIntolerance) -> str:
    """The substance as typed, else its ATC code."""
    if allergy.substance_text:
        return str(allergy.substance_text)
    return _("ATC %(code)s") % {"code": allergy.atc_code}


def strip_of(allergies: Sequence[AllergyIntolerance]) -> AllergyStrip:
    """The strip for a list already read through an access door. Only the active
    ones count (a page may have read the inactive ones too); the list's order
    (high criticality first) is kept."""
    entries = tuple(
        StripEntry(
            substance_label(a),
            str(a.get_criticality_display()).lower() if a.criticality else "",
            a.criticality == AllergyIntoleranceCriticality.HIGH,
        )
        for a in allergies
        if a.is_active
    )
    return AllergyStrip(StripState.LISTED if entries else StripState.NONE_KNOWN, entries)


def failed_strip() -> AllergyStrip:
    return AllergyStrip(StripState.FAILED)


def closed_strip() -> AllergyStrip:
    return AllergyStrip(StripState.CLOSED)


def strip_after_door(actor: Actor, patient: Patient) -> AllergyStrip:
    """The strip of a page whose own door (access_vital_signs, access_observation,
    access_allergy_history) has just read this patient's record in this request:
    access.active_allergies_after_read, which does not record a second read."""
    try:
        allergies = access.active_allergies_after_read(actor, patient)
    except READ_FAILURES:
        logger.exception("allergy strip of patient %s could not be read", patient.pk)
        return failed_strip()
    return closed_strip() if allergies is None else strip_of(allergies)


def banner(patient: Patient, strip: AllergyStrip) -> dict[str, object]:
    """The banner's context: the patient, their age the French way, the strip."""
    today = clock.today()
    age = Age.between(patient.birth_date, today)
    if display.is_child(patient, today):
        shown = format_age(age.days)
    else:
        shown = ngettext("%(n)d an", "%(n)d ans", age.years) % {"n": age.years}
    return {"patient": patient, "age": shown, "allergy_strip": strip}


def denied(
    request: HttpRequest, patient: Patient, exc: ClinicalAccessDenied, *, template: str
) -> HttpResponse:
    """The 403 page of a section closed to the actor: break-the-glass offered when
    the policy allows it. The allergies are not shown: the record is closed."""
    context = {**banner(patient, closed_strip()), "decision": exc.decision}
    return render(request, template, context, status=403)
