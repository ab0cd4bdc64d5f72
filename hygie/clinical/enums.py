"""Vocabulary of the clinical record, as FHIR R4 codes (mapping is the identity)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ObservationCategory(models.TextChoices):
    """http://terminology.hl7.org/CodeSystem/observation-category"""

    VITAL_SIGNS = "vital-signs", _("Signes vitaux")
    LABORATORY = "laboratory", _("Biologie")


class ObservationStatus(models.TextChoices):
    """http://hl7.org/fhir/observation-status, the values Hygie writes.

    `amended` is not written by Hygie yet (a wrong value is marked
    entered-in-error and the right one recorded anew, decision 0017); it is here
    so that an amended observation received from elsewhere keeps its status."""

    FINAL = "final", _("Validée")
    AMENDED = "amended", _("Modifiée")
    ENTERED_IN_ERROR = "entered-in-error", _("Saisie par erreur")
