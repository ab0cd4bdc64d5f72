"""Observation (a vital sign, or a capillary glucose) → FHIR R4 Observation with
the vital-signs profiles and FR Core 2.2.0's profiles derived from them. Decision
0018.

The caller obtained `observation` through hygie.clinical.access (the read is
audited there) and passes the ids of the observations a derived one (the BMI) was
computed from; this module queries and audits nothing. The codes are the domain's
enum values (LOINC codes, FHIR status and category codes): the mapping is the
identity on them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.utils import timezone

from hygie.clinical.enums import ObservationCategory
from hygie.clinical.measures import BLOOD_PRESSURE_PANEL, VitalSign
from hygie.clinical.models import Observation

from .. import systems as S

# FR Core 2.2.0 profiles of each sign (each derives from the HL7 profile named in
# the sign's SignSpec.fhir_profile). Capillary glucose has neither: it is a
# point-of-care laboratory result, not a vital sign.
FR_CORE_PROFILES: dict[str, str] = {
    VitalSign.BODY_WEIGHT: "fr-core-observation-body-weight",
    VitalSign.BODY_HEIGHT: "fr-core-observation-body-height",
    VitalSign.BMI: "fr-core-observation-bmi",
    VitalSign.HEART_RATE: "fr-core-observation-heartrate",
    VitalSign.BODY_TEMPERATURE: "fr-core-observation-body-temperature",
    VitalSign.OXYGEN_SATURATION: "fr-core-observation-saturation-oxygen",
    VitalSign.HEAD_CIRCUMFERENCE: "fr-core-observation-head-circum",
    BLOOD_PRESSURE_PANEL.code: "fr-core-observation-bp",
}
# Displays of http://terminology.hl7.org/CodeSystem/observation-category.
CATEGORY_DISPLAYS = {
    ObservationCategory.VITAL_SIGNS: "Vital Signs",
    ObservationCategory.LABORATORY: "Laboratory",
}
PANEL_TEXT = "Pression artérielle"


def profiles_of(code: str) -> list[str]:
    """meta.profile of an observation with this code: FR Core's (versioned, as
    for every FR Core resource Hygie emits) and the HL7 profile it derives from."""
    fr_core = FR_CORE_PROFILES.get(code)
    if fr_core is None:
        return []
    sign = VitalSign.SYSTOLIC_BP if code == BLOOD_PRESSURE_PANEL.code else VitalSign(code)
    hl7 = sign.spec.fhir_profile
    return [S.fr_core_profile(fr_core), *([hl7] if hl7 else [])]


def supported_profiles() -> tuple[str, ...]:
    """Every profile an observation may claim, for the CapabilityStatement."""
    return tuple(S.fr_core_profile(name) for name in dict.fromkeys(FR_CORE_PROFILES.values()))


def _number(value: Decimal, sign: VitalSign) -> int | float:
    """The value as a JSON number, with the decimals Hygie shows for the sign
    (37,0 °C stays 37.0; 72,500 kg is 72.5). A float round-trips these short
    decimals exactly."""
    exponent = value.normalize().as_tuple().exponent
    written = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    digits = max(written, sign.spec.min_decimals)
    if digits == 0:
        return int(value)
    return float(round(value, digits))


def _quantity(value: Decimal, sign: VitalSign) -> dict[str, Any]:
    spec = sign.spec
    return {
        "value": _number(value, sign),
        "unit": spec.unit_label,
        "system": S.UCUM_SYSTEM,
        "code": spec.ucum,
    }


def _coding(code: str, display: str) -> dict[str, str]:
    return {"system": S.LOINC_SYSTEM, "code": code, "display": display}


def code_of(code: str) -> dict[str, Any]:
    """Observation.code for a stored code: its LOINC coding, the sign's extra
    codings (pulse oximetry beside arterial saturation), the French name as text."""
    if code == BLOOD_PRESSURE_PANEL.code:
        return {
            "coding": [_coding(BLOOD_PRESSURE_PANEL.code, BLOOD_PRESSURE_PANEL.display)],
            "text": PANEL_TEXT,
        }
    sign = VitalSign(code)
    spec = sign.spec
    extra = [{"system": c.system, "code": c.code, "display": c.display} for c in spec.extra_codings]
    return {
        "coding": [_coding(sign.value, spec.loinc_display), *extra],
        "text": str(sign.label),
    }


def _components(observation: Observation) -> list[dict[str, Any]]:
    components = []
    for stored in observation.components or []:
        sign = VitalSign(stored["code"])
        components.append(
            {
                "code": {
                    "coding": [_coding(sign.value, sign.spec.loinc_display)],
                    "text": str(sign.label),
                },
                "valueQuantity": _quantity(Decimal(stored["value"]), sign),
            }
        )
    return components


def _instant(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def to_fhir(observation: Observation, derived_from: Sequence[uuid.UUID] = ()) -> dict[str, Any]:
    """`derived_from`: the ids of the observations a derived one was computed from
    (a BMI's weight and height), in the order to list them."""
    category = ObservationCategory(observation.category)
    resource: dict[str, Any] = {"resourceType": "Observation", "id": str(observation.pk)}
    profiles = profiles_of(observation.code)
    if profiles:
        resource["meta"] = {"profile": profiles}
    resource.update(
        {
            "status": observation.status,
            "category": [
                {
                    "coding": [
                        {
                            "system": S.OBSERVATION_CATEGORY_SYSTEM,
                            "code": category.value,
                            "display": CATEGORY_DISPLAYS[category],
                        }
                    ],
                    "text": str(category.label),
                }
            ],
            "code": code_of(observation.code),
            "subject": {"reference": f"Patient/{observation.patient_id}"},
            # Local time with its offset: what the professional saw on the clock.
            "effectiveDateTime": timezone.localtime(observation.effective_at).isoformat(
                timespec="seconds"
            ),
            "issued": _instant(observation.recorded_at),
        }
    )
    if observation.recorded_by_id is not None:
        # The recorder's place in the practice, as Patient.generalPractitioner names
        # the médecin traitant (a system job records without one).
        resource["performer"] = [{"reference": f"PractitionerRole/{observation.recorded_by_id}"}]
    if observation.is_blood_pressure:
        # FHIR bp profile: the values are in the components, none at the top.
        resource["component"] = _components(observation)
    elif observation.value is not None:
        resource["valueQuantity"] = _quantity(observation.value, VitalSign(observation.code))
    if derived_from:
        resource["derivedFrom"] = [{"reference": f"Observation/{i}"} for i in derived_from]
    return resource
