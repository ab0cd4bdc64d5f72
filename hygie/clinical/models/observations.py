"""Observations (FHIR Observation): the vital signs and, later, laboratory
results. Decision 0017 explains the shape.

What is measured (the code), when, and by whom is plain: the record is filtered
and sorted by it. What was found (the values, the confirmation that a value was
unusual, the reason a row was entered in error) is encrypted with the practice's
key, padded so that the ciphertext's length does not tell 72 kg from 102 kg.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from hygie.clinical.enums import ObservationCategory, ObservationStatus
from hygie.clinical.measures import BLOOD_PRESSURE_PANEL, VitalSign
from hygie.crypto.fields import (
    EncryptedBooleanField,
    EncryptedDecimalField,
    EncryptedJSONField,
    EncryptedTextField,
    padded,
)
from hygie.patients.models import EncryptedInPractice, Patient
from hygie.practices.models import Membership


class Observation(EncryptedInPractice):
    """One FHIR Observation of a patient: a single quantity (`value` in `unit`),
    or a panel whose `components` each carry their code, value and unit (blood
    pressure: 85354-9 with systolic 8480-6 and diastolic 8462-4). Never deleted:
    a wrong one is marked entered-in-error, with its reason."""

    patient = models.ForeignKey(
        # The (patient, code, effective_at) index below serves the key's lookups.
        Patient,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    category = models.CharField(_("catégorie"), max_length=16, choices=ObservationCategory.choices)
    # LOINC code (VitalSign values, or the blood pressure panel's). Plain: the
    # record is filtered by it (decision 0017 says why that is acceptable).
    code = models.CharField(_("code"), max_length=32)
    status = models.CharField(
        _("statut"),
        max_length=16,
        choices=ObservationStatus.choices,
        default=ObservationStatus.FINAL,
    )
    # When the measure was taken (FHIR effectiveDateTime) and when it was
    # recorded (FHIR issued), by whom (null for a system job, named in the audit).
    effective_at = models.DateTimeField(_("date de la mesure"))
    recorded_at = models.DateTimeField(_("enregistrée le"))
    recorded_by = models.ForeignKey(
        Membership,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("enregistrée par"),
    )
    value = EncryptedDecimalField(_("valeur"), null=True)
    # UCUM code of `value`; blank for a panel (each component has its own).
    unit = models.CharField(_("unité (UCUM)"), max_length=32, blank=True)
    # [{"code": LOINC, "value": padded decimal, "unit": UCUM}, ...]
    components = EncryptedJSONField(_("composantes"), null=True)
    # The value was outside the likely range for the patient's age and the
    # professional confirmed it (hygie.clinical.measures.plausibility).
    unlikely_confirmed = EncryptedBooleanField(_("valeur inhabituelle confirmée"), default=False)
    # Computed by Hygie (the BMI), never typed: its sources are `derived_from`.
    derived = models.BooleanField(_("calculée"), default=False)
    derived_from = models.ManyToManyField(
        "self",
        through="ObservationDerivation",
        through_fields=("observation", "source"),
        symmetrical=False,
        related_name="derivations",
        blank=True,
    )
    status_reason = EncryptedTextField(_("motif du changement de statut"), null=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [
            # "This patient's weights, newest first", and the latest of each code.
            models.Index(
                fields=["patient", "code", "-effective_at"], name="observation_patient_code"
            ),
            # "Everything measured for this patient, newest first."
            models.Index(fields=["patient", "-effective_at"], name="observation_patient_date"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(value__isnull=False, components__isnull=True)
                | models.Q(value__isnull=True, components__isnull=False),
                name="observation_value_or_components",
            ),
            # The database itself refuses a typed BMI.
            models.CheckConstraint(
                condition=~models.Q(code=VitalSign.BMI.value) | models.Q(derived=True),
                name="observation_bmi_is_derived",
            ),
        ]

    def __str__(self) -> str:
        return f"Observation {self.code} {self.pk}"

    @property
    def sign(self) -> VitalSign | None:
        """The vital sign of a single-value observation; None for a panel."""
        return VitalSign(self.code) if self.code in VitalSign.values else None

    @property
    def is_blood_pressure(self) -> bool:
        return self.code == BLOOD_PRESSURE_PANEL.code

    @property
    def is_entered_in_error(self) -> bool:
        return self.status == ObservationStatus.ENTERED_IN_ERROR

    @staticmethod
    def components_of(values: Mapping[VitalSign, Decimal]) -> list[dict[str, str]]:
        """The stored form of a panel's components, in canonical units."""
        return [
            {"code": sign.value, "value": padded(value), "unit": sign.spec.ucum}
            for sign, value in values.items()
        ]

    def component_value(self, code: str) -> Decimal | None:
        for component in self.components or []:
            if component["code"] == code:
                return Decimal(component["value"])
        return None

    @property
    def systolic(self) -> Decimal | None:
        return self.component_value(VitalSign.SYSTOLIC_BP.value)

    @property
    def diastolic(self) -> Decimal | None:
        return self.component_value(VitalSign.DIASTOLIC_BP.value)


class ObservationDerivation(models.Model):
    """FHIR Observation.derivedFrom: the weight and the height a BMI was computed
    from. Lets an error on either reach the BMI (do_mark_observation_entered_in_error)."""

    practice_id = models.UUIDField()
    # The unique (observation, source) constraint serves this key's lookups.
    observation = models.ForeignKey(
        Observation, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    source = models.ForeignKey(Observation, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["observation", "source"], name="observation_derivation_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.observation_id} derived from {self.source_id}"
