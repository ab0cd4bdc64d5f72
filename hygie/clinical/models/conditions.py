"""Problems and history (FHIR Condition), and the versions a correction leaves
behind. Decision 0021 explains the shape.

Plain: the category and the kind of history (medical, surgical, obstetric), the
statuses, the severity, the dates' precisions, who and when: the lists and the
banner filter and sort by them. Encrypted with the practice's key: the CIM-10
code and its label (they name the diagnosis), the text as typed, the onset and
abatement dates, the note and the reason of an entered-in-error; every previous
version whole. A patient has tens of conditions: they are fetched by patient and
filtered by code in Python, so the code needs no plain or indexed form.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from hygie.clinical.enums import (
    ConditionCategory,
    ConditionClinicalStatus,
    ConditionKind,
    ConditionSeverity,
    ConditionVerificationStatus,
    DatePrecision,
)
from hygie.crypto.fields import EncryptedDateField, EncryptedJSONField, EncryptedTextField
from hygie.patients.models import EncryptedInPractice, Patient
from hygie.practices.models import Membership

# What a version holds: every field the record shows or exports.
CONDITION_SNAPSHOT_FIELDS = (
    "category",
    "kind",
    "code",
    "code_label",
    "text",
    "clinical_status",
    "verification_status",
    "severity",
    "onset",
    "onset_precision",
    "abatement",
    "abatement_precision",
    "note",
    "status_reason",
)
_DATE_FIELDS = ("onset", "abatement")

# A problem that is still there (FHIR: active and its two children).
ONGOING_STATUSES = frozenset(
    {
        ConditionClinicalStatus.ACTIVE,
        ConditionClinicalStatus.RECURRENCE,
        ConditionClinicalStatus.RELAPSE,
    }
)
# The statuses an abatement date goes with (FHIR invariant con-4).
ABATED_STATUSES = frozenset(
    {
        ConditionClinicalStatus.INACTIVE,
        ConditionClinicalStatus.REMISSION,
        ConditionClinicalStatus.RESOLVED,
    }
)


def partial_date_fhir(day: dt.date | None, precision: str) -> str | None:
    """A partial date as FHIR writes it: 2019, 2019-03 or 2019-03-12."""
    if day is None:
        return None
    iso = day.isoformat()
    return {DatePrecision.YEAR: iso[:4], DatePrecision.MONTH: iso[:7]}.get(
        DatePrecision(precision), iso
    )


class Condition(EncryptedInPractice):
    """One problem or history item of a patient (or a diagnosis of an encounter):
    a CIM-10 code and/or free text, how sure, whether it is still there, since
    and until when. Never deleted, never overwritten: each change keeps the
    previous version in ConditionVersion; a wrong entry is marked entered-in-error."""

    patient = models.ForeignKey(
        # The (patient, recorded_at) index below serves the key's lookups.
        Patient,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    category = models.CharField(_("catégorie"), max_length=24, choices=ConditionCategory.choices)
    kind = models.CharField(_("type d'antécédent"), max_length=16, choices=ConditionKind.choices)
    # The French CIM-10 code with its dot ("E11.9"), checked against
    # hygie.terminology when written, and the label it had then: never a foreign
    # key, the list is replaced as a whole at each load (decision 0012).
    code = EncryptedTextField(_("code CIM-10"), null=True)
    code_label = EncryptedTextField(_("libellé CIM-10"), null=True)
    # What the professional typed (FHIR code.text), instead of or besides the code.
    text = EncryptedTextField(_("libellé saisi"), null=True)
    clinical_status = models.CharField(
        _("statut clinique"),
        max_length=16,
        choices=ConditionClinicalStatus.choices,
        blank=True,
    )
    verification_status = models.CharField(
        _("statut de vérification"),
        max_length=16,
        choices=ConditionVerificationStatus.choices,
    )
    severity = models.CharField(
        _("sévérité"), max_length=16, choices=ConditionSeverity.choices, blank=True
    )
    # FHIR onsetDateTime and abatementDateTime, often partial: the first day of
    # the year or month known, with its precision.
    onset = EncryptedDateField(_("début"), null=True)
    onset_precision = models.CharField(
        _("précision du début"), max_length=8, choices=DatePrecision.choices, blank=True
    )
    abatement = EncryptedDateField(_("résolution"), null=True)
    abatement_precision = models.CharField(
        _("précision de la résolution"), max_length=8, choices=DatePrecision.choices, blank=True
    )
    note = EncryptedTextField(_("note"), null=True)
    # FHIR recordedDate / recorder; null recorder for a system job (named in the audit).
    recorded_at = models.DateTimeField(_("enregistré le"))
    recorded_by = models.ForeignKey(
        Membership,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("enregistré par"),
    )
    # Who made the current version, and when (FHIR meta.lastUpdated).
    last_changed_at = models.DateTimeField(_("modifié le"))
    last_changed_by = models.ForeignKey(
        Membership,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("modifié par"),
    )
    # FHIR meta.versionId. A writer names the version it read; the conditional
    # UPDATE on it is the lock (actions/conditions.py).
    version = models.PositiveIntegerField(default=1)
    status_reason = EncryptedTextField(_("motif de la saisie par erreur"), null=True)

    class Meta:
        indexes = [
            models.Index(fields=["patient", "-recorded_at"], name="condition_patient_date"),
        ]
        constraints = [
            # FHIR con-3 and con-5: a clinical status unless entered in error,
            # and none then.
            models.CheckConstraint(
                condition=(
                    models.Q(verification_status="entered-in-error", clinical_status="")
                    | (
                        ~models.Q(verification_status="entered-in-error")
                        & ~models.Q(clinical_status="")
                    )
                ),
                name="condition_clinical_status_unless_in_error",
            ),
            # FHIR con-4: an abatement only for a condition no longer active
            # (or entered in error, whose previous status is in its version).
            models.CheckConstraint(
                condition=(
                    models.Q(abatement__isnull=True)
                    | models.Q(clinical_status__in=["", *sorted(ABATED_STATUSES)])
                ),
                name="condition_abatement_when_abated",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(onset__isnull=True, onset_precision="")
                    | (models.Q(onset__isnull=False) & ~models.Q(onset_precision=""))
                ),
                name="condition_onset_has_precision",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(abatement__isnull=True, abatement_precision="")
                    | (models.Q(abatement__isnull=False) & ~models.Q(abatement_precision=""))
                ),
                name="condition_abatement_has_precision",
            ),
        ]

    def __str__(self) -> str:
        # Never the code nor the text: this string ends up in logs.
        return f"Condition {self.pk}"

    @property
    def is_entered_in_error(self) -> bool:
        return self.verification_status == ConditionVerificationStatus.ENTERED_IN_ERROR

    @property
    def is_ongoing(self) -> bool:
        """Still there (active, recurrence, relapse), neither refuted nor
        entered in error."""
        return self.clinical_status in ONGOING_STATUSES and self.verification_status not in (
            ConditionVerificationStatus.REFUTED,
            ConditionVerificationStatus.ENTERED_IN_ERROR,
        )

    @property
    def label(self) -> str:
        """What a page shows: the text typed, else the CIM-10 label."""
        return self.text or self.code_label or ""

    def is_coded_under(self, prefix: str) -> bool:
        """Whether the CIM-10 code is `prefix` or under it ("E11" holds "E11.9"),
        for matching in Python: the code is encrypted, SQL cannot filter on it."""
        wanted = prefix.strip().upper().replace(".", "")
        return bool(self.code) and str(self.code).replace(".", "").startswith(wanted)

    @property
    def onset_fhir(self) -> str | None:
        return partial_date_fhir(self.onset, self.onset_precision)

    @property
    def abatement_fhir(self) -> str | None:
        return partial_date_fhir(self.abatement, self.abatement_precision)

    def snapshot(self) -> dict[str, Any]:
        """This version's content, as stored in ConditionVersion."""
        data = {name: getattr(self, name) for name in CONDITION_SNAPSHOT_FIELDS}
        for name in _DATE_FIELDS:
            day = getattr(self, name)
            data[name] = day.isoformat() if day is not None else None
        return data


class ConditionVersion(EncryptedInPractice):
    """A previous version of a condition, as it was until a change replaced it:
    what it said (`snapshot`, encrypted whole), who made it and since when, and
    who replaced it and when. The current version is the Condition row."""

    condition = models.ForeignKey(
        Condition, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    version = models.PositiveIntegerField()
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    replaced_at = models.DateTimeField()
    replaced_by = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    snapshot = EncryptedJSONField()

    class Meta:
        constraints = [
            # Also the index of "this condition's versions".
            models.UniqueConstraint(
                fields=["condition", "version"], name="condition_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"Condition {self.condition_id} v{self.version}"

    def as_condition(self, current: Condition) -> Condition:
        """An unsaved Condition holding this version as it was (for the history
        and FHIR vread); `current` gives what never changes."""
        values = dict(self.snapshot)
        stored = {name: values.pop(name) for name in _DATE_FIELDS}
        dates = {name: dt.date.fromisoformat(day) if day else None for name, day in stored.items()}
        old = Condition(
            id=current.pk,
            practice_id=current.practice_id,
            patient_id=current.patient_id,
            recorded_at=current.recorded_at,
            recorded_by_id=current.recorded_by_id,
            last_changed_at=self.changed_at,
            last_changed_by_id=self.changed_by_id,
            version=self.version,
            **dates,
            **values,
        )
        old.updated_at = self.changed_at
        return old
