"""Vital signs: vocabulary, French input, plausibility, BMI and display.

Pure functions, no database: the observation models and actions build on them.

    measure = parse_measure(VitalSign.BODY_WEIGHT, "72,5 kg")
    check = check_measure(measure.sign, measure.value, Age.between(birth, today))
    if check.verdict is Verdict.REFUSED: ...       # show check.message
    if check.verdict is Verdict.CONFIRM: ...       # ask, then record
    format_value(measure.sign, measure.value)      # « 72,5 kg »

Blood pressure has its own pair (`parse_blood_pressure`, `check_blood_pressure`)
since one entry gives two values; the BMI comes from `compute_bmi`, never typed.
"""

from hygie.clinical.measures.age import Age, AgeGroup
from hygie.clinical.measures.bmi import BmiClass, classify_bmi, compute_bmi
from hygie.clinical.measures.formatting import format_blood_pressure, format_value
from hygie.clinical.measures.parsing import (
    BloodPressure,
    InvalidMeasure,
    Measure,
    parse_blood_pressure,
    parse_measure,
)
from hygie.clinical.measures.plausibility import (
    Plausibility,
    Verdict,
    bounds_for,
    check_blood_pressure,
    check_measure,
)
from hygie.clinical.measures.signs import BLOOD_PRESSURE_PANEL, SPECS, SignSpec, VitalSign

__all__ = [
    "BLOOD_PRESSURE_PANEL",
    "SPECS",
    "Age",
    "AgeGroup",
    "BloodPressure",
    "BmiClass",
    "InvalidMeasure",
    "Measure",
    "Plausibility",
    "SignSpec",
    "Verdict",
    "VitalSign",
    "bounds_for",
    "check_blood_pressure",
    "check_measure",
    "classify_bmi",
    "compute_bmi",
    "format_blood_pressure",
    "format_value",
    "parse_blood_pressure",
    "parse_measure",
]
