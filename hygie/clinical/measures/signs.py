"""The vital signs Hygie records, with the codes and units of their FHIR Observation.

The value of each member is the LOINC code the FHIR R4 vital-signs profile fixes in
`Observation.code`, so mapping to FHIR is the identity (CONVENTIONS rule 3). Values
are stored in one canonical UCUM unit per sign; the French input may use others and
is converted on parsing (see `parsing.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"


@dataclass(frozen=True)
class Coding:
    code: str
    display: str
    system: str = LOINC


# Systolic and diastolic pressures are recorded as the two components of this panel
# (FHIR "bp" profile), never as two loose Observations.
BLOOD_PRESSURE_PANEL = Coding("85354-9", "Blood pressure panel with all children optional")


@dataclass(frozen=True)
class SignSpec:
    """What the record needs to store, show and export one vital sign.

    `decimals` is the precision kept (more typed decimals are rounded half up);
    `min_decimals` how many are always shown (38,0 °C, but 80 kg rather than 80,0);
    `example` is a typical value, quoted in the messages that explain a bad input.
    """

    loinc_display: str
    ucum: str
    unit_label: str
    short_label: str | Promise
    decimals: int
    min_decimals: int
    example: Decimal
    fhir_profile: str | None
    category: str = "vital-signs"
    derived: bool = False
    extra_codings: tuple[Coding, ...] = ()


class VitalSign(models.TextChoices):
    BODY_WEIGHT = "29463-7", _("Poids")
    BODY_HEIGHT = "8302-2", _("Taille")
    BMI = "39156-5", _("Indice de masse corporelle")
    SYSTOLIC_BP = "8480-6", _("Pression artérielle systolique")
    DIASTOLIC_BP = "8462-4", _("Pression artérielle diastolique")
    HEART_RATE = "8867-4", _("Fréquence cardiaque")
    BODY_TEMPERATURE = "8310-5", _("Température")
    # The R4 oxygensat profile fixes 2708-6 (arterial saturation, any method); the
    # pulse-oximetry code 59408-5, what a practice actually measures, goes alongside
    # as an additional coding, as US Core and most R4 profiles do.
    OXYGEN_SATURATION = "2708-6", _("Saturation en oxygène")
    # Not a vital sign for FHIR (no profile): a point-of-care test, category
    # "laboratory". Stored in g/L, a mass concentration, hence 41653-7 (MCnc) and
    # not 14743-9 (SCnc, mmol/L): see docs/decisions/0014.
    CAPILLARY_GLUCOSE = "41653-7", _("Glycémie capillaire")
    HEAD_CIRCUMFERENCE = "9843-4", _("Périmètre crânien")

    @property
    def spec(self) -> SignSpec:
        return SPECS[self]


_PROFILE = "http://hl7.org/fhir/StructureDefinition/"

SPECS: dict[VitalSign, SignSpec] = {
    VitalSign.BODY_WEIGHT: SignSpec(
        loinc_display="Body weight",
        ucum="kg",
        unit_label="kg",
        short_label=_("Poids"),
        # Grams matter for a newborn; an adult's 72,5 kg shows as typed.
        decimals=3,
        min_decimals=0,
        example=Decimal("72.5"),
        fhir_profile=_PROFILE + "bodyweight",
    ),
    VitalSign.BODY_HEIGHT: SignSpec(
        loinc_display="Body height",
        ucum="cm",
        unit_label="cm",
        short_label=_("Taille"),
        decimals=1,
        min_decimals=0,
        example=Decimal("175"),
        fhir_profile=_PROFILE + "bodyheight",
    ),
    VitalSign.BMI: SignSpec(
        loinc_display="Body mass index (BMI) [Ratio]",
        ucum="kg/m2",
        unit_label="kg/m²",
        short_label=_("IMC"),
        decimals=1,
        min_decimals=1,
        example=Decimal("22.9"),
        fhir_profile=_PROFILE + "bmi",
        derived=True,
    ),
    VitalSign.SYSTOLIC_BP: SignSpec(
        loinc_display="Systolic blood pressure",
        ucum="mm[Hg]",
        unit_label="mmHg",
        short_label=_("PAS"),
        decimals=0,
        min_decimals=0,
        example=Decimal("120"),
        fhir_profile=_PROFILE + "bp",
    ),
    VitalSign.DIASTOLIC_BP: SignSpec(
        loinc_display="Diastolic blood pressure",
        ucum="mm[Hg]",
        unit_label="mmHg",
        short_label=_("PAD"),
        decimals=0,
        min_decimals=0,
        example=Decimal("80"),
        fhir_profile=_PROFILE + "bp",
    ),
    VitalSign.HEART_RATE: SignSpec(
        loinc_display="Heart rate",
        ucum="/min",
        unit_label="bpm",
        short_label=_("FC"),
        decimals=0,
        min_decimals=0,
        example=Decimal("72"),
        fhir_profile=_PROFILE + "heartrate",
    ),
    VitalSign.BODY_TEMPERATURE: SignSpec(
        loinc_display="Body temperature",
        ucum="Cel",
        unit_label="°C",
        short_label=_("T°"),
        # French charts always write the tenth: 37,0 °C.
        decimals=1,
        min_decimals=1,
        example=Decimal("38.2"),
        fhir_profile=_PROFILE + "bodytemp",
    ),
    VitalSign.OXYGEN_SATURATION: SignSpec(
        loinc_display="Oxygen saturation in Arterial blood",
        ucum="%",
        unit_label="%",
        short_label=_("SpO2"),
        decimals=0,
        min_decimals=0,
        example=Decimal("97"),
        fhir_profile=_PROFILE + "oxygensat",
        extra_codings=(Coding("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry"),),
    ),
    VitalSign.CAPILLARY_GLUCOSE: SignSpec(
        loinc_display="Glucose [Mass/volume] in Capillary blood by Glucometer",
        ucum="g/L",
        unit_label="g/L",
        short_label=_("Glycémie"),
        # 0,01 g/L = 1 mg/dL, the resolution of a glucometer.
        decimals=2,
        min_decimals=2,
        example=Decimal("1.05"),
        fhir_profile=None,
        category="laboratory",
    ),
    VitalSign.HEAD_CIRCUMFERENCE: SignSpec(
        loinc_display="Head Occipital-frontal circumference",
        ucum="cm",
        unit_label="cm",
        short_label=_("PC"),
        decimals=1,
        min_decimals=0,
        example=Decimal("35.5"),
        fhir_profile=_PROFILE + "headcircum",
    ),
}


def quantum(sign: VitalSign) -> Decimal:
    """The smallest step kept for the sign: Decimal("0.1") for one decimal."""
    return Decimal(1).scaleb(-sign.spec.decimals)
