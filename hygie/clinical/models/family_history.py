"""Family history (FHIR FamilyMemberHistory): one row per relative, with the
conditions they had, and the versions a correction leaves behind. Decision 0021.

Plain: the relationship (v3 RoleCode) and the status, who and when: the list is
grouped by relative. Encrypted with the practice's key: the conditions (CIM-10
codes, labels, text, ages at onset, whether they caused the death), whether the
relative died, the note and the reason of an entered-in-error; every previous
version whole.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from hygie.clinical.enums import FamilyHistoryStatus, FamilyRelationship
from hygie.crypto.fields import EncryptedBooleanField, EncryptedJSONField, EncryptedTextField
from hygie.patients.models import EncryptedInPractice, Patient
from hygie.practices.models import Membership

FAMILY_SNAPSHOT_FIELDS = (
    "relationship",
    "status",
    "deceased",
    "conditions",
    "note",
    "status_reason",
)


class FamilyMemberHistory(EncryptedInPractice):
    """What a relative of the patient had: the relationship, whether they died,
    and their conditions, each a CIM-10 code and/or text with an optional age at
    onset. Never deleted, never overwritten (FamilyMemberHistoryVersion keeps
    each previous version); a wrong entry is marked entered-in-error."""

    patient = models.ForeignKey(
        # The (patient, recorded_at) index below serves the key's lookups.
        Patient,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    relationship = models.CharField(
        _("lien de parenté"), max_length=8, choices=FamilyRelationship.choices
    )
    status = models.CharField(_("statut"), max_length=16, choices=FamilyHistoryStatus.choices)
    # FHIR deceasedBoolean; null when not said.
    deceased = EncryptedBooleanField(_("décédé"), null=True)
    # [{"code": "C50.9" or null, "code_label": text or null, "text": text or null,
    #   "onset_age": years or null, "contributed_to_death": bool}, ...]
    conditions = EncryptedJSONField(_("affections"), default=list)
    note = EncryptedTextField(_("note"), null=True)
    recorded_at = models.DateTimeField(_("enregistré le"))
    recorded_by = models.ForeignKey(
        Membership,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("enregistré par"),
    )
    last_changed_at = models.DateTimeField(_("modifié le"))
    last_changed_by = models.ForeignKey(
        Membership,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("modifié par"),
    )
    # FHIR meta.versionId; the conditional UPDATE on it is the lock.
    version = models.PositiveIntegerField(default=1)
    status_reason = EncryptedTextField(_("motif de la saisie par erreur"), null=True)

    class Meta:
        indexes = [
            models.Index(fields=["patient", "-recorded_at"], name="family_history_patient_date"),
        ]

    def __str__(self) -> str:
        # Never the conditions: this string ends up in logs.
        return f"FamilyMemberHistory {self.pk}"

    @property
    def is_entered_in_error(self) -> bool:
        return self.status == FamilyHistoryStatus.ENTERED_IN_ERROR

    def snapshot(self) -> dict[str, Any]:
        """This version's content, as stored in FamilyMemberHistoryVersion."""
        return {name: getattr(self, name) for name in FAMILY_SNAPSHOT_FIELDS}


class FamilyMemberHistoryVersion(EncryptedInPractice):
    """A previous version of a relative's history, as it was until a change
    replaced it (`snapshot`, encrypted whole), with who made and replaced it."""

    family_history = models.ForeignKey(
        FamilyMemberHistory, on_delete=models.PROTECT, related_name="+", db_index=False
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
            models.UniqueConstraint(
                fields=["family_history", "version"], name="family_history_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"FamilyMemberHistory {self.family_history_id} v{self.version}"

    def as_family_history(self, current: FamilyMemberHistory) -> FamilyMemberHistory:
        """An unsaved FamilyMemberHistory holding this version as it was."""
        old = FamilyMemberHistory(
            id=current.pk,
            practice_id=current.practice_id,
            patient_id=current.patient_id,
            recorded_at=current.recorded_at,
            recorded_by_id=current.recorded_by_id,
            last_changed_at=self.changed_at,
            last_changed_by_id=self.changed_by_id,
            version=self.version,
            **self.snapshot,
        )
        old.updated_at = self.changed_at
        return old
