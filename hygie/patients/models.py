"""Patients (identity under INS rules) and what gives a professional access to them.

Every identity field is encrypted with the practice's data key; the table is
searched only through keyed blind indexes (nir_index, birth_date_index,
PatientNameToken), never by decrypting rows.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hygie.core.models import BaseModel
from hygie.crypto.fields import EncryptedDateField, EncryptedJSONField, EncryptedTextField
from hygie.practices.models import Membership, Practice

from .enums import CareRelationshipKind, IdentityDocument, IdentityStatus, InsOid


class EncryptedInPractice(BaseModel):
    """Rows whose encrypted fields use their practice's keys."""

    encryption_tenant_field = "practice_id"
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT)

    class Meta:
        abstract = True

    def encryption_tenant_id(self) -> uuid.UUID:
        return self.practice_id


class Patient(EncryptedInPractice):
    # The five strict traits of the INS (birth names, birth date, sex, birthplace).
    birth_family_name = EncryptedTextField(_("nom de naissance"))
    birth_given_names = EncryptedTextField(_("prénoms de naissance"))
    birth_date = EncryptedDateField(_("date de naissance"))
    sex = EncryptedTextField(_("sexe"))
    birthplace_insee = EncryptedTextField(_("lieu de naissance (code INSEE)"), null=True)
    # Names in use.
    used_family_name = EncryptedTextField(_("nom utilisé"), null=True)
    used_given_name = EncryptedTextField(_("prénom utilisé"), null=True)
    # INS: matricule and its OID.
    nir = EncryptedTextField(_("matricule INS (NIR ou NIA)"), null=True)
    ins_oid = models.CharField(
        _("OID du matricule"), max_length=24, choices=InsOid.choices, blank=True
    )
    ins_retrieved_at = models.DateTimeField(_("INS récupérée le"), null=True, blank=True)
    identity_status = models.CharField(
        _("statut de l'identité"),
        max_length=5,
        choices=IdentityStatus.choices,
        default=IdentityStatus.PROVISIONAL,
    )
    identity_document = models.CharField(
        _("pièce d'identité contrôlée"),
        max_length=24,
        choices=IdentityDocument.choices,
        blank=True,
    )
    identity_checked_at = models.DateTimeField(null=True, blank=True)
    identity_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Contact details.
    phone = EncryptedTextField(_("téléphone"), null=True)
    email = EncryptedTextField(_("e-mail"), null=True)
    address = EncryptedTextField(_("adresse"), null=True)
    treating_practitioner = models.ForeignKey(
        Membership,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("médecin traitant"),
    )
    # Blind indexes: HMACs under the practice's index key.
    nir_index = models.BinaryField(null=True)
    birth_date_index = models.BinaryField()
    # Every change of the record makes a new version (FHIR meta.versionId); the
    # previous ones are kept in PatientVersion. A patient is never deleted (medical
    # records are kept for 20 years): `deleted_at` hides them from every door.
    version = models.PositiveIntegerField(default=1)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["practice", "nir_index"], name="patient_nir_idx"),
            models.Index(fields=["practice", "birth_date_index"], name="patient_birth_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "nir_index"],
                condition=models.Q(nir_index__isnull=False),
                name="patient_nir_unique",
            )
        ]

    def __str__(self) -> str:
        return f"Patient {self.pk}"

    @property
    def display_family_name(self) -> str:
        return (self.used_family_name or self.birth_family_name or "").upper()

    @property
    def display_given_name(self) -> str:
        first = (self.birth_given_names or "").split(" ")[0]
        return self.used_given_name or first


class PatientVersion(EncryptedInPractice):
    """A previous version of a patient's record, as it was until it was replaced:
    FHIR vread and history. `snapshot` holds the identity as Patient fields (see
    actions.SNAPSHOT_FIELDS), encrypted like the record itself."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    # When this version became current (the record's updated_at at the time).
    valid_from = models.DateTimeField()
    snapshot = EncryptedJSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "version"], name="patient_version_unique")
        ]

    def __str__(self) -> str:
        return f"Patient {self.patient_id} v{self.version}"


class PatientNameToken(models.Model):
    """One keyed prefix of one name word: the name search index. Only live
    records have tokens (deleting a record removes them; a restore, if one is
    ever built, must write them again)."""

    practice_id = models.UUIDField()
    # (patient, token) below serves the foreign key's lookups too.
    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="name_tokens", db_index=False
    )
    token = models.BinaryField(max_length=16)

    class Meta:
        indexes = [
            models.Index(fields=["practice_id", "token"], name="patient_token_idx"),
            # Multi-word search: "does this patient also have that token?"
            models.Index(fields=["patient", "token"], name="patient_token_by_patient"),
        ]

    def __str__(self) -> str:
        return f"name token of {self.patient_id}"


class CareRelationship(BaseModel):
    """Why a practitioner may open a patient's clinical record. `ends_at` null
    means open-ended (médecin traitant, care team); an encounter's lasts
    CARE_WINDOW_DAYS."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT)
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="care_relationships"
    )
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=CareRelationshipKind.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["patient", "practitioner"], name="care_rel_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.practitioner_id} → {self.patient_id}"


class BreakGlass(EncryptedInPractice):
    """An emergency access by a colleague without a care relationship: its reason
    is recorded, audited, notified to the admins, and it lasts BREAK_GLASS_DAYS."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = EncryptedTextField(_("motif"))
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["patient", "user", "expires_at"], name="break_glass_idx")]


class AccessRestriction(EncryptedInPractice):
    """A patient's objection to one professional seeing their record. It overrides
    every grant: care relationship, break-the-glass, role."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = EncryptedTextField(_("motif"))
    lifted_at = models.DateTimeField(null=True, blank=True)
