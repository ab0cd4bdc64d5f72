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


class AllergyIntoleranceType(models.TextChoices):
    """http://hl7.org/fhir/allergy-intolerance-type"""

    ALLERGY = "allergy", _("Allergie")
    INTOLERANCE = "intolerance", _("Intolérance")


class AllergyIntoleranceCategory(models.TextChoices):
    """http://hl7.org/fhir/allergy-intolerance-category"""

    FOOD = "food", _("Aliment")
    MEDICATION = "medication", _("Médicament")
    ENVIRONMENT = "environment", _("Environnement")
    BIOLOGIC = "biologic", _("Produit biologique")


class AllergyIntoleranceCriticality(models.TextChoices):
    """http://hl7.org/fhir/allergy-intolerance-criticality. Optional: a blank
    criticality (not assessed) is FHIR's absent element."""

    LOW = "low", _("Faible")
    HIGH = "high", _("Élevée")
    UNABLE_TO_ASSESS = "unable-to-assess", _("Impossible à évaluer")


class AllergyIntoleranceClinicalStatus(models.TextChoices):
    """http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical. Blank
    only when the verification status is entered-in-error (FHIR invariant ait-2)."""

    ACTIVE = "active", _("Active")
    INACTIVE = "inactive", _("Inactive")
    RESOLVED = "resolved", _("Résolue")


class AllergyIntoleranceVerificationStatus(models.TextChoices):
    """http://terminology.hl7.org/CodeSystem/allergyintolerance-verification.
    `presumed` is a child of `unconfirmed` in that code system (decision 0019)."""

    UNCONFIRMED = "unconfirmed", _("Non confirmée")
    PRESUMED = "presumed", _("Présumée")
    CONFIRMED = "confirmed", _("Confirmée")
    REFUTED = "refuted", _("Réfutée")
    ENTERED_IN_ERROR = "entered-in-error", _("Saisie par erreur")


class AllergyReactionSeverity(models.TextChoices):
    """http://hl7.org/fhir/reaction-event-severity"""

    MILD = "mild", _("Légère")
    MODERATE = "moderate", _("Modérée")
    SEVERE = "severe", _("Sévère")


class DatePrecision(models.TextChoices):
    """How much of a partial date is known: FHIR dateTime allows YYYY, YYYY-MM
    and YYYY-MM-DD, and an allergy's onset is often only a year."""

    YEAR = "year", _("Année")
    MONTH = "month", _("Mois")
    DAY = "day", _("Jour")
