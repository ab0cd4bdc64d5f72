"""Allergies and intolerances (FHIR AllergyIntolerance), and the versions a
correction leaves behind. Decision 0019 explains the shape.

Plain: the statuses, type, category and criticality (the lists and the banner
filter and sort by them, and they say nothing of the substance), who and when.
Encrypted with the practice's key: the substance (text and ATC code), the onset,
the reactions, the note and the reason of an entered-in-error; every previous
version whole. A patient has a handful of allergies: they are fetched by patient
and matched in Python, so the ATC code needs no plain or indexed form.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from hygie.clinical.enums import (
    AllergyIntoleranceCategory,
    AllergyIntoleranceClinicalStatus,
    AllergyIntoleranceCriticality,
    AllergyIntoleranceType,
    AllergyIntoleranceVerificationStatus,
    DatePrecision,
)
from hygie.crypto.fields import EncryptedDateField, EncryptedJSONField, EncryptedTextField
from hygie.patients.models import EncryptedInPractice, Patient
from hygie.practices.models import Membership

# WHO ATC codes at any of their five levels: J (anatomical group), J01, J01C,
# J01CA, J01CA04 (amoxicillin). The first letter is one of the 14 groups.
ATC_PATTERN = re.compile(r"[ABCDGHJLMNPRSV](?:\d{2}(?:[A-Z](?:[A-Z](?:\d{2})?)?)?)?")


def normalize_atc(code: str) -> str:
    """The code as stored and compared: upper case, without spaces (« j01 ca04 »
    is J01CA04). Does not check the shape: see is_atc."""
    return "".join(code.split()).upper()


def is_atc(code: str) -> bool:
    """Whether a normalized code has the shape of an ATC code of some level."""
    return ATC_PATTERN.fullmatch(code) is not None


# What a version holds: every field the record shows or exports.
SNAPSHOT_FIELDS = (
    "type",
    "category",
    "substance_text",
    "atc_code",
    "criticality",
    "clinical_status",
    "verification_status",
    "onset",
    "onset_precision",
    "reactions",
    "note",
    "status_reason",
)


class AllergyIntolerance(EncryptedInPractice):
    """One allergy or intolerance of a patient: a substance (text as typed, and/or
    an ATC code of a drug or a drug class), its reactions, how sure and how
    serious. Never deleted, never overwritten: each change keeps the previous
    version in AllergyIntoleranceVersion; a wrong entry is marked entered-in-error."""

    patient = models.ForeignKey(
        # The (patient, recorded_at) index below serves the key's lookups.
        Patient,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    type = models.CharField(_("type"), max_length=16, choices=AllergyIntoleranceType.choices)
    category = models.CharField(
        _("catégorie"), max_length=16, choices=AllergyIntoleranceCategory.choices
    )
    # The substance as the professional typed it (« amoxicilline », « arachide »);
    # null when only a code was given.
    substance_text = EncryptedTextField(_("substance"), null=True)
    # WHO ATC code of the drug or of the drug class (a prefix: J01C for the
    # penicillins), normalized; a drug is flagged when its code starts with it.
    atc_code = EncryptedTextField(_("code ATC"), null=True)
    criticality = models.CharField(
        _("criticité"),
        max_length=16,
        choices=AllergyIntoleranceCriticality.choices,
        blank=True,
    )
    clinical_status = models.CharField(
        _("statut clinique"),
        max_length=16,
        choices=AllergyIntoleranceClinicalStatus.choices,
        blank=True,
    )
    verification_status = models.CharField(
        _("statut de vérification"),
        max_length=16,
        choices=AllergyIntoleranceVerificationStatus.choices,
    )
    # FHIR onsetDateTime, often partial: the first day of the year or month
    # known, with the precision that says how much of it is.
    onset = EncryptedDateField(_("début"), null=True)
    onset_precision = models.CharField(
        _("précision du début"), max_length=8, choices=DatePrecision.choices, blank=True
    )
    # [{"manifestation": text, "severity": AllergyReactionSeverity or ""}, ...]
    reactions = EncryptedJSONField(_("réactions"), default=list)
    note = EncryptedTextField(_("note"), null=True)
    # FHIR recordedDate / recorder; null recorder for a system job (named in the audit).
    recorded_at = models.DateTimeField(_("enregistrée le"))
    recorded_by = models.ForeignKey(
        Membership,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("enregistrée par"),
    )
    # Who made the current version, and when (FHIR meta.lastUpdated).
    last_changed_at = models.DateTimeField(_("modifiée le"))
    last_changed_by = models.ForeignKey(
        Membership,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("modifiée par"),
    )
    # FHIR meta.versionId. A writer names the version it read; the conditional
    # UPDATE on it is the lock (actions/allergies.py).
    version = models.PositiveIntegerField(default=1)
    status_reason = EncryptedTextField(_("motif de la saisie par erreur"), null=True)

    class Meta:
        indexes = [
            models.Index(fields=["patient", "-recorded_at"], name="allergy_patient_date"),
        ]
        constraints = [
            # FHIR ait-1 and ait-2: a clinical status unless entered in error, and
            # none then.
            models.CheckConstraint(
                condition=(
                    models.Q(verification_status="entered-in-error", clinical_status="")
                    | (
                        ~models.Q(verification_status="entered-in-error")
                        & ~models.Q(clinical_status="")
                    )
                ),
                name="allergy_clinical_status_unless_in_error",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(onset__isnull=True, onset_precision="")
                    | (models.Q(onset__isnull=False) & ~models.Q(onset_precision=""))
                ),
                name="allergy_onset_has_precision",
            ),
        ]

    def __str__(self) -> str:
        # Never the substance: this string ends up in logs.
        return f"AllergyIntolerance {self.pk}"

    @property
    def is_entered_in_error(self) -> bool:
        return self.verification_status == AllergyIntoleranceVerificationStatus.ENTERED_IN_ERROR

    @property
    def is_active(self) -> bool:
        """What the banner shows: active, and neither refuted nor entered in error."""
        return self.clinical_status == AllergyIntoleranceClinicalStatus.ACTIVE and (
            self.verification_status
            not in (
                AllergyIntoleranceVerificationStatus.REFUTED,
                AllergyIntoleranceVerificationStatus.ENTERED_IN_ERROR,
            )
        )

    def flags(self, drug_atc: str) -> bool:
        """Whether a drug of ATC code `drug_atc` falls under this allergy's code:
        an allergy to the penicillins (J01C) flags amoxicillin (J01CA04) and
        amoxicillin with clavulanic acid (J01CR02). Cross-reactivity between
        classes (penicillins and cephalosporins) is the drug checks' business."""
        code = self.atc_code
        return bool(code) and normalize_atc(drug_atc).startswith(str(code))

    @property
    def onset_fhir(self) -> str | None:
        """The onset as a FHIR partial dateTime (2019, 2019-03, 2019-03-12)."""
        if self.onset is None:
            return None
        iso = self.onset.isoformat()
        return {DatePrecision.YEAR: iso[:4], DatePrecision.MONTH: iso[:7]}.get(
            DatePrecision(self.onset_precision), iso
        )

    def snapshot(self) -> dict[str, Any]:
        """This version's content, as stored in AllergyIntoleranceVersion."""
        data = {name: getattr(self, name) for name in SNAPSHOT_FIELDS}
        data["onset"] = self.onset.isoformat() if self.onset is not None else None
        return data


class AllergyIntoleranceVersion(EncryptedInPractice):
    """A previous version of an allergy, as it was until a change replaced it:
    what it said (`snapshot`, encrypted whole), who made it and since when, and
    who replaced it and when. The current version is the AllergyIntolerance row."""

    allergy = models.ForeignKey(
        AllergyIntolerance, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    version = models.PositiveIntegerField()
    # Who made this version and since when it was current.
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The change that replaced it.
    replaced_at = models.DateTimeField()
    replaced_by = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    snapshot = EncryptedJSONField()

    class Meta:
        constraints = [
            # Also the index of "this allergy's versions".
            models.UniqueConstraint(fields=["allergy", "version"], name="allergy_version_unique")
        ]

    def __str__(self) -> str:
        return f"AllergyIntolerance {self.allergy_id} v{self.version}"

    def as_allergy(self, current: AllergyIntolerance) -> AllergyIntolerance:
        """An unsaved AllergyIntolerance holding this version as it was (for the
        history and FHIR vread); `current` gives what never changes."""
        values = dict(self.snapshot)
        onset = values.pop("onset")
        old = AllergyIntolerance(
            id=current.pk,
            practice_id=current.practice_id,
            patient_id=current.patient_id,
            recorded_at=current.recorded_at,
            recorded_by_id=current.recorded_by_id,
            last_changed_at=self.changed_at,
            last_changed_by_id=self.changed_by_id,
            version=self.version,
            onset=dt.date.fromisoformat(onset) if onset else None,
            **values,
        )
        old.updated_at = self.changed_at
        return old
