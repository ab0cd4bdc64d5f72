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


class ConditionCategory(models.TextChoices):
    """http://terminology.hl7.org/CodeSystem/condition-category: an item of the
    problem list (problems and history), or a diagnosis made at one encounter."""

    PROBLEM_LIST_ITEM = "problem-list-item", _("Problème ou antécédent")
    ENCOUNTER_DIAGNOSIS = "encounter-diagnosis", _("Diagnostic de consultation")


class ConditionKind(models.TextChoices):
    """Which part of the history a condition belongs to, as French records sort
    them (antécédents médicaux, chirurgicaux, obstétricaux). A Hygie code system,
    sent as a second Condition.category coding (decision 0021); family history
    is not a kind: it is about a relative, not the patient."""

    MEDICAL = "medical", _("Médical")
    SURGICAL = "surgical", _("Chirurgical")
    OBSTETRIC = "obstetric", _("Obstétrical")


class ConditionClinicalStatus(models.TextChoices):
    """http://terminology.hl7.org/CodeSystem/condition-clinical. Blank only when
    the verification status is entered-in-error (FHIR invariant con-5)."""

    ACTIVE = "active", _("Actif")
    RECURRENCE = "recurrence", _("Récidive")
    RELAPSE = "relapse", _("Rechute")
    INACTIVE = "inactive", _("Inactif")
    REMISSION = "remission", _("En rémission")
    RESOLVED = "resolved", _("Résolu")


class ConditionVerificationStatus(models.TextChoices):
    """http://terminology.hl7.org/CodeSystem/condition-ver-status"""

    UNCONFIRMED = "unconfirmed", _("Non confirmé")
    PROVISIONAL = "provisional", _("Provisoire")
    DIFFERENTIAL = "differential", _("Diagnostic différentiel")
    CONFIRMED = "confirmed", _("Confirmé")
    REFUTED = "refuted", _("Réfuté")
    ENTERED_IN_ERROR = "entered-in-error", _("Saisi par erreur")


class ConditionSeverity(models.TextChoices):
    """http://hl7.org/fhir/ValueSet/condition-severity: SNOMED CT codes, the
    values FHIR R4 binds Condition.severity to (preferred). Optional."""

    SEVERE = "24484000", _("Sévère")
    MODERATE = "6736007", _("Modéré")
    MILD = "255604002", _("Léger")


class FamilyHistoryStatus(models.TextChoices):
    """http://hl7.org/fhir/history-status (FamilyMemberHistory.status)."""

    PARTIAL = "partial", _("Partiel")
    COMPLETED = "completed", _("Complet")
    HEALTH_UNKNOWN = "health-unknown", _("État de santé inconnu")
    ENTERED_IN_ERROR = "entered-in-error", _("Saisi par erreur")


class FamilyRelationship(models.TextChoices):
    """The family codes of HL7 v3 RoleCode
    (http://terminology.hl7.org/CodeSystem/v3-RoleCode), the relatives a French
    family history names, closest first (the lists follow this order)."""

    MOTHER = "MTH", _("Mère")
    FATHER = "FTH", _("Père")
    SISTER = "SIS", _("Sœur")
    BROTHER = "BRO", _("Frère")
    TWIN_SISTER = "TWINSIS", _("Sœur jumelle")
    TWIN_BROTHER = "TWINBRO", _("Frère jumeau")
    HALF_SISTER = "HSIS", _("Demi-sœur")
    HALF_BROTHER = "HBRO", _("Demi-frère")
    DAUGHTER = "DAU", _("Fille")
    SON = "SON", _("Fils")
    MATERNAL_GRANDMOTHER = "MGRMTH", _("Grand-mère maternelle")
    MATERNAL_GRANDFATHER = "MGRFTH", _("Grand-père maternel")
    PATERNAL_GRANDMOTHER = "PGRMTH", _("Grand-mère paternelle")
    PATERNAL_GRANDFATHER = "PGRFTH", _("Grand-père paternel")
    GRANDMOTHER = "GRMTH", _("Grand-mère")
    GRANDFATHER = "GRFTH", _("Grand-père")
    MATERNAL_AUNT = "MAUNT", _("Tante maternelle")
    MATERNAL_UNCLE = "MUNCLE", _("Oncle maternel")
    PATERNAL_AUNT = "PAUNT", _("Tante paternelle")
    PATERNAL_UNCLE = "PUNCLE", _("Oncle paternel")
    NIECE = "NIECE", _("Nièce")
    NEPHEW = "NEPHEW", _("Neveu")
    COUSIN = "COUSN", _("Cousin ou cousine")
    FAMILY_MEMBER = "FAMMEMB", _("Autre membre de la famille")
