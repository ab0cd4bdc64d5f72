"""What the vital signs form sends, read and judged before anything is written.

Pure: no database. Every field is parsed and checked, and every problem is
collected with its French message, so that one answer tells the user all that
must be fixed or confirmed. Error codes say what the form should offer:
"invalid" (not a measure), "refused" (impossible), "confirm" (unusual: tick to
confirm), "empty" (nothing typed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, fields
from decimal import Decimal
from enum import StrEnum

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from hygie.clinical.enums import ObservationCategory
from hygie.clinical.measures import (
    BLOOD_PRESSURE_PANEL,
    Age,
    InvalidMeasure,
    Plausibility,
    Verdict,
    VitalSign,
    check_blood_pressure,
    check_measure,
    compute_bmi,
    parse_blood_pressure,
    parse_measure,
)

# A device clock a little ahead of the server's is not a measure in the future.
FUTURE_TOLERANCE = dt.timedelta(minutes=5)


class VitalSignsField(StrEnum):
    """The keys of the form: what is typed, and where errors and confirmations go.
    BMI is never typed, but an unusual computed BMI is confirmed under its key."""

    WEIGHT = "weight"
    HEIGHT = "height"
    BLOOD_PRESSURE = "blood_pressure"
    HEART_RATE = "heart_rate"
    TEMPERATURE = "temperature"
    OXYGEN_SATURATION = "oxygen_saturation"
    CAPILLARY_GLUCOSE = "capillary_glucose"
    HEAD_CIRCUMFERENCE = "head_circumference"
    BMI = "bmi"
    EFFECTIVE = "effective"


SINGLE_SIGNS: dict[VitalSignsField, VitalSign] = {
    VitalSignsField.WEIGHT: VitalSign.BODY_WEIGHT,
    VitalSignsField.HEIGHT: VitalSign.BODY_HEIGHT,
    VitalSignsField.HEART_RATE: VitalSign.HEART_RATE,
    VitalSignsField.TEMPERATURE: VitalSign.BODY_TEMPERATURE,
    VitalSignsField.OXYGEN_SATURATION: VitalSign.OXYGEN_SATURATION,
    VitalSignsField.CAPILLARY_GLUCOSE: VitalSign.CAPILLARY_GLUCOSE,
    VitalSignsField.HEAD_CIRCUMFERENCE: VitalSign.HEAD_CIRCUMFERENCE,
}


@dataclass(frozen=True)
class VitalSignsEntry:
    """The text typed for each sign, as the user typed it (« 72,5 », « 12/8 »);
    blank when the sign was not measured."""

    weight: str = ""
    height: str = ""
    blood_pressure: str = ""
    heart_rate: str = ""
    temperature: str = ""
    oxygen_saturation: str = ""
    capillary_glucose: str = ""
    head_circumference: str = ""

    def typed(self) -> dict[VitalSignsField, str]:
        return {
            VitalSignsField(f.name): getattr(self, f.name)
            for f in fields(self)
            if getattr(self, f.name).strip()
        }


@dataclass(frozen=True)
class Reading:
    """One checked measure, ready to be stored as an Observation."""

    field: VitalSignsField
    code: str
    category: ObservationCategory
    unit: str
    value: Decimal | None = None
    components: dict[VitalSign, Decimal] | None = None
    unlikely_confirmed: bool = False


Errors = dict[str, list[ValidationError]]


def confirmed_fields(confirm: Collection[str]) -> frozenset[VitalSignsField]:
    """The confirmations as fields; an unknown name is a programming error."""
    return frozenset(VitalSignsField(name) for name in confirm)


def check_effective(
    effective: dt.datetime, birth_date: dt.date, now: dt.datetime, errors: Errors
) -> Age | None:
    """The patient's age at the measure, or None (and an error) when the date is
    in the future or before birth. Precondition: `effective` is aware."""
    if timezone.is_naive(effective):
        raise ValueError("the date of a measure must be timezone-aware")
    if effective > now + FUTURE_TOLERANCE:
        errors[VitalSignsField.EFFECTIVE] = [
            ValidationError(_("La date de la mesure est dans le futur."), code="future")
        ]
        return None
    measured_on = timezone.localdate(effective)
    if measured_on < birth_date:
        errors[VitalSignsField.EFFECTIVE] = [
            ValidationError(
                _("La date de la mesure précède la date de naissance."), code="before-birth"
            )
        ]
        return None
    return Age.between(birth_date, measured_on)


def _judged(
    field: VitalSignsField,
    plausibility: Plausibility,
    confirm: frozenset[VitalSignsField],
    errors: Errors,
) -> bool | None:
    """Whether the value was unusual and confirmed; None (and an error) when it
    is refused. An unusual value not confirmed adds its error but is still read,
    so that the BMI computed from it is checked in the same answer (nothing is
    written while any error stands)."""
    if plausibility.verdict is Verdict.REFUSED:
        errors[field] = [ValidationError(plausibility.message, code="refused")]
        return None
    if plausibility.verdict is Verdict.CONFIRM:
        if field not in confirm:
            errors[field] = [ValidationError(plausibility.message, code="confirm")]
        return field in confirm
    return False


def read_entry(
    entry: VitalSignsEntry,
    age: Age | None,
    confirm: frozenset[VitalSignsField],
    errors: Errors,
) -> dict[VitalSignsField, Reading]:
    """The readings of every typed field that is a possible measure; the others,
    and the unusual ones not confirmed, add their error to `errors`. Without an age (the date
    was refused) the widest bounds apply, so that every other error still shows."""
    typed = entry.typed()
    if not typed:
        errors[NON_FIELD_ERRORS] = [
            ValidationError(_("Saisissez au moins une mesure."), code="empty")
        ]
    readings: dict[VitalSignsField, Reading] = {}
    for field, text in typed.items():
        try:
            if field is VitalSignsField.BLOOD_PRESSURE:
                pressure = parse_blood_pressure(text)
                verdict = check_blood_pressure(pressure.systolic, pressure.diastolic, age)
                confirmed = _judged(field, verdict, confirm, errors)
                if confirmed is not None:
                    readings[field] = Reading(
                        field,
                        BLOOD_PRESSURE_PANEL.code,
                        ObservationCategory.VITAL_SIGNS,
                        "",
                        components={
                            VitalSign.SYSTOLIC_BP: pressure.systolic,
                            VitalSign.DIASTOLIC_BP: pressure.diastolic,
                        },
                        unlikely_confirmed=confirmed,
                    )
                continue
            sign = SINGLE_SIGNS[field]
            measure = parse_measure(sign, text)
        except InvalidMeasure as exc:
            errors[field] = [ValidationError(str(exc), code="invalid")]
            continue
        confirmed = _judged(field, check_measure(sign, measure.value, age), confirm, errors)
        if confirmed is not None:
            readings[field] = Reading(
                field,
                sign.value,
                ObservationCategory(sign.spec.category),
                sign.spec.ucum,
                value=measure.value,
                unlikely_confirmed=confirmed,
            )
    return readings


def derive_bmi(
    weight_kg: Decimal,
    height_cm: Decimal,
    age: Age | None,
    confirm: frozenset[VitalSignsField],
    errors: Errors,
) -> Reading | None:
    """The BMI of a possible weight and height, itself checked: an impossible
    pair is refused, an unusual one must be confirmed (under "bmi")."""
    bmi = compute_bmi(weight_kg, height_cm)
    field = VitalSignsField.BMI
    confirmed = _judged(field, check_measure(VitalSign.BMI, bmi, age), confirm, errors)
    if confirmed is None:
        return None
    spec = VitalSign.BMI.spec
    return Reading(
        field,
        VitalSign.BMI.value,
        ObservationCategory(spec.category),
        spec.ucum,
        value=bmi,
        unlikely_confirmed=confirmed,
    )
