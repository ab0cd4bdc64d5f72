"""BMI computed from weight and height with the WHO class of adults only; vital signs
written the French way; the vocabulary carries the FHIR codes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from hygie.clinical.measures import (
    BLOOD_PRESSURE_PANEL,
    Age,
    BmiClass,
    VitalSign,
    classify_bmi,
    compute_bmi,
    format_blood_pressure,
    format_value,
    parse_blood_pressure,
)

NBSP = "\u00a0"
ADULT = Age.between(date(1980, 5, 4), date(2025, 3, 12))
TEN_YEARS_OLD = Age.between(date(2015, 1, 1), date(2025, 3, 12))
SEVENTEEN = Age.between(date(2007, 3, 13), date(2025, 3, 12))


# --- BMI ---------------------------------------------------------------------------


def test_bmi_is_weight_over_height_in_metres_squared_rounded_to_one_decimal():
    assert compute_bmi(Decimal("70"), Decimal("175")) == Decimal("22.9")  # 22.857…
    assert compute_bmi(Decimal("3.250"), Decimal("50")) == Decimal("13.0")


def test_bmi_rounds_half_up():
    # 24.25 exactly: 97 kg / (2 m)²
    assert compute_bmi(Decimal("97"), Decimal("200")) == Decimal("24.3")


def test_bmi_needs_positive_measures():
    with pytest.raises(ValueError):
        compute_bmi(Decimal("70"), Decimal("0"))


@pytest.mark.parametrize(
    ("bmi", "expected"),
    [
        ("15.9", BmiClass.SEVERE_THINNESS),
        ("16.0", BmiClass.MODERATE_THINNESS),
        ("17.0", BmiClass.MILD_THINNESS),
        ("18.4", BmiClass.MILD_THINNESS),
        ("18.5", BmiClass.NORMAL),
        ("24.9", BmiClass.NORMAL),
        ("25.0", BmiClass.OVERWEIGHT),
        ("29.9", BmiClass.OVERWEIGHT),
        ("30.0", BmiClass.OBESITY_1),
        ("35.0", BmiClass.OBESITY_2),
        ("40.0", BmiClass.OBESITY_3),
    ],
)
def test_an_adult_bmi_falls_in_its_who_class(bmi, expected):
    assert classify_bmi(Decimal(bmi), ADULT) is expected


def test_the_class_follows_the_bmi_as_shown():
    # 18.46 is shown 18,5: the class must not say thinness next to « 18,5 ».
    assert classify_bmi(Decimal("18.46"), ADULT) is BmiClass.NORMAL


def test_the_classes_have_french_labels():
    assert BmiClass.NORMAL.label == "Corpulence normale"
    assert BmiClass.OVERWEIGHT.label == "Surpoids"
    assert BmiClass.OBESITY_1.label == "Obésité modérée (classe I)"
    assert BmiClass.SEVERE_THINNESS.label == "Maigreur sévère (grade 3)"


def test_a_child_gets_no_adult_class_since_growth_curves_apply():
    assert classify_bmi(Decimal("16.0"), TEN_YEARS_OLD) is None
    assert classify_bmi(Decimal("30.0"), SEVENTEEN) is None


def test_no_class_without_an_age():
    assert classify_bmi(Decimal("22.0"), None) is None


# --- Display -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sign", "value", "expected"),
    [
        (VitalSign.BODY_WEIGHT, "72.500", f"72,5{NBSP}kg"),
        (VitalSign.BODY_WEIGHT, "80.000", f"80{NBSP}kg"),
        (VitalSign.BODY_WEIGHT, "3.250", f"3,25{NBSP}kg"),
        (VitalSign.BODY_HEIGHT, "175.0", f"175{NBSP}cm"),
        (VitalSign.BODY_TEMPERATURE, "38.2", f"38,2{NBSP}°C"),
        (VitalSign.BODY_TEMPERATURE, "37", f"37,0{NBSP}°C"),
        (VitalSign.OXYGEN_SATURATION, "97", f"97{NBSP}%"),
        (VitalSign.HEART_RATE, "72", f"72{NBSP}bpm"),
        (VitalSign.CAPILLARY_GLUCOSE, "0.9", f"0,90{NBSP}g/L"),
        (VitalSign.BMI, "22.9", f"22,9{NBSP}kg/m²"),
        (VitalSign.HEAD_CIRCUMFERENCE, "35.5", f"35,5{NBSP}cm"),
    ],
)
def test_values_are_written_with_a_decimal_comma_and_a_no_break_space(sign, value, expected):
    assert format_value(sign, Decimal(value)) == expected


def test_the_space_before_the_unit_is_the_one_djangos_french_locale_uses():
    from django.utils.formats import get_format

    with translation.override("fr"):
        assert get_format("THOUSAND_SEPARATOR") == NBSP
        assert format_value(VitalSign.BODY_WEIGHT, Decimal("72.5")) == f"72,5{NBSP}kg"


def test_an_english_locale_gets_a_decimal_point():
    with translation.override("en"):
        assert format_value(VitalSign.BODY_WEIGHT, Decimal("72.5")) == f"72.5{NBSP}kg"


def test_blood_pressure_is_always_shown_in_mmhg():
    pressure = parse_blood_pressure("12/8")
    assert format_blood_pressure(pressure.systolic, pressure.diastolic) == f"120/80{NBSP}mmHg"


def test_a_value_can_be_written_without_its_unit():
    assert format_value(VitalSign.BODY_WEIGHT, Decimal("72.5"), with_unit=False) == "72,5"


# --- Vocabulary --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sign", "loinc", "ucum"),
    [
        (VitalSign.BODY_WEIGHT, "29463-7", "kg"),
        (VitalSign.BODY_HEIGHT, "8302-2", "cm"),
        (VitalSign.BMI, "39156-5", "kg/m2"),
        (VitalSign.SYSTOLIC_BP, "8480-6", "mm[Hg]"),
        (VitalSign.DIASTOLIC_BP, "8462-4", "mm[Hg]"),
        (VitalSign.HEART_RATE, "8867-4", "/min"),
        (VitalSign.BODY_TEMPERATURE, "8310-5", "Cel"),
        (VitalSign.OXYGEN_SATURATION, "2708-6", "%"),
        (VitalSign.CAPILLARY_GLUCOSE, "41653-7", "g/L"),
        (VitalSign.HEAD_CIRCUMFERENCE, "9843-4", "cm"),
    ],
)
def test_each_sign_is_its_loinc_code_with_a_ucum_unit(sign, loinc, ucum):
    assert sign.value == loinc
    assert sign.spec.ucum == ucum
    assert sign.spec.loinc_display


def test_oxygen_saturation_carries_the_pulse_oximetry_code_too():
    extra = VitalSign.OXYGEN_SATURATION.spec.extra_codings
    assert [c.code for c in extra] == ["59408-5"]
    assert VitalSign.OXYGEN_SATURATION.spec.fhir_profile.endswith("/oxygensat")


def test_capillary_glucose_is_a_point_of_care_test_not_a_fhir_vital_sign():
    spec = VitalSign.CAPILLARY_GLUCOSE.spec
    assert spec.category == "laboratory"
    assert spec.fhir_profile is None


def test_only_the_bmi_is_derived():
    assert [s for s in VitalSign if s.spec.derived] == [VitalSign.BMI]


def test_blood_pressures_belong_to_the_panel():
    assert BLOOD_PRESSURE_PANEL.code == "85354-9"
    assert VitalSign.SYSTOLIC_BP.spec.fhir_profile.endswith("/bp")


def test_labels_are_french():
    assert VitalSign.BODY_WEIGHT.label == "Poids"
    assert VitalSign.CAPILLARY_GLUCOSE.label == "Glycémie capillaire"
    assert str(VitalSign.HEART_RATE.spec.short_label) == "FC"
