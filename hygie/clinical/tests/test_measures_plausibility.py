"""Impossible values are refused, rare ones need the doctor's confirmation, and a
real patient — however extreme — is never refused. Bounds depend on age."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from hygie.clinical.measures import (
    Age,
    AgeGroup,
    Verdict,
    VitalSign,
    bounds_for,
    check_blood_pressure,
    check_measure,
)

MEASURED_ON = date(2025, 3, 12)
NEWBORN = Age.between(date(2025, 3, 2), MEASURED_ON)  # 10 days
INFANT = Age.between(date(2024, 9, 12), MEASURED_ON)  # 6 months
TODDLER = Age.between(date(2022, 3, 12), MEASURED_ON)  # 3 years
SCHOOL_CHILD = Age.between(date(2016, 3, 12), MEASURED_ON)  # 9 years
ADOLESCENT = Age.between(date(2010, 3, 13), MEASURED_ON)  # 17 years, 364 days
ADULT = Age.between(date(1970, 6, 1), MEASURED_ON)


def verdict(sign, value, age=ADULT):
    return check_measure(sign, Decimal(value), age).verdict


# --- Age ---------------------------------------------------------------------------


def test_age_groups_follow_the_paediatric_bands():
    assert NEWBORN.group is AgeGroup.NEWBORN
    assert Age.between(date(2025, 2, 12), MEASURED_ON).group is AgeGroup.INFANT  # 28 days
    assert INFANT.group is AgeGroup.INFANT
    assert TODDLER.group is AgeGroup.YOUNG_CHILD
    assert SCHOOL_CHILD.group is AgeGroup.CHILD
    assert ADOLESCENT.group is AgeGroup.ADOLESCENT
    assert Age.between(date(2007, 3, 12), MEASURED_ON).group is AgeGroup.ADULT  # 18 today


def test_a_birthday_on_29_february_is_reached_on_1_march_in_other_years():
    born = date(2008, 2, 29)
    assert Age.between(born, date(2026, 2, 28)).years == 17
    assert Age.between(born, date(2026, 3, 1)).years == 18


def test_a_measure_before_birth_is_an_error():
    with pytest.raises(ValueError, match="précède la date de naissance"):
        Age.between(date(2025, 3, 12), date(2025, 3, 11))


# --- Single signs ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sign", "value"),
    [
        (VitalSign.BODY_WEIGHT, "72.5"),
        (VitalSign.BODY_HEIGHT, "175"),
        (VitalSign.HEART_RATE, "72"),
        (VitalSign.BODY_TEMPERATURE, "37.0"),
        (VitalSign.OXYGEN_SATURATION, "98"),
        (VitalSign.CAPILLARY_GLUCOSE, "1.05"),
        (VitalSign.HEAD_CIRCUMFERENCE, "57"),
        (VitalSign.BMI, "22.9"),
    ],
)
def test_an_ordinary_adult_value_is_ok(sign, value):
    result = check_measure(sign, Decimal(value), ADULT)
    assert result.verdict is Verdict.OK
    assert result.reasons == ()


def test_an_impossible_weight_is_refused_with_the_reason_in_french():
    result = check_measure(VitalSign.BODY_WEIGHT, Decimal("0"), ADULT)
    assert result.verdict is Verdict.REFUSED
    assert result.message == (
        "Poids : 0\u00a0kg est une valeur impossible chez un adulte "
        "(possible de 4\u00a0kg à 650\u00a0kg) ; vérifiez la saisie."
    )


def test_the_heaviest_documented_patients_are_not_refused():
    assert verdict(VitalSign.BODY_WEIGHT, "450") is Verdict.CONFIRM
    assert verdict(VitalSign.BODY_WEIGHT, "700") is Verdict.REFUSED


def test_a_newborn_weight_is_judged_against_newborns():
    assert verdict(VitalSign.BODY_WEIGHT, "3.250", NEWBORN) is Verdict.OK
    assert verdict(VitalSign.BODY_WEIGHT, "0.6", NEWBORN) is Verdict.CONFIRM  # very preterm
    assert verdict(VitalSign.BODY_WEIGHT, "0.1", NEWBORN) is Verdict.REFUSED
    # « 32,5 » typed for 3,25 kg: impossible at ten days, ordinary at 40.
    assert verdict(VitalSign.BODY_WEIGHT, "32.5", NEWBORN) is Verdict.REFUSED
    assert verdict(VitalSign.BODY_WEIGHT, "32.5", ADULT) is Verdict.OK


def test_the_reason_names_the_age_group():
    result = check_measure(VitalSign.BODY_WEIGHT, Decimal("0.6"), NEWBORN)
    assert "chez un nouveau-né" in result.message
    assert "confirmez-la si elle est juste" in result.message


def test_a_resting_heart_rate_differs_between_a_baby_and_an_adult():
    assert verdict(VitalSign.HEART_RATE, "160", INFANT) is Verdict.OK
    assert verdict(VitalSign.HEART_RATE, "160", ADULT) is Verdict.CONFIRM
    assert verdict(VitalSign.HEART_RATE, "45", ADULT) is Verdict.OK
    assert verdict(VitalSign.HEART_RATE, "45", INFANT) is Verdict.CONFIRM


def test_an_athletes_bradycardia_is_confirmed_not_refused():
    assert verdict(VitalSign.HEART_RATE, "36") is Verdict.CONFIRM


def test_a_heart_rate_no_practice_device_can_show_is_refused():
    assert verdict(VitalSign.HEART_RATE, "720") is Verdict.REFUSED
    assert verdict(VitalSign.HEART_RATE, "0") is Verdict.REFUSED


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("34.9", Verdict.CONFIRM),
        ("35.0", Verdict.OK),
        ("41.0", Verdict.OK),
        ("41.1", Verdict.CONFIRM),
        ("28", Verdict.CONFIRM),  # deep accidental hypothermia: real
        ("382", Verdict.REFUSED),  # « 38,2 » without its comma
        ("5", Verdict.REFUSED),
    ],
)
def test_temperature_bounds(value, expected):
    assert verdict(VitalSign.BODY_TEMPERATURE, value) is expected


def test_a_low_but_real_oxygen_saturation_needs_confirmation_not_refusal():
    assert verdict(VitalSign.OXYGEN_SATURATION, "70") is Verdict.CONFIRM
    assert verdict(VitalSign.OXYGEN_SATURATION, "88") is Verdict.OK  # COPD target range


def test_an_oxygen_saturation_over_100_percent_is_refused():
    assert verdict(VitalSign.OXYGEN_SATURATION, "101") is Verdict.REFUSED
    assert verdict(VitalSign.OXYGEN_SATURATION, "0") is Verdict.REFUSED


def test_a_glucose_that_looks_like_mmol_per_litre_asks_to_check_the_unit():
    result = check_measure(VitalSign.CAPILLARY_GLUCOSE, Decimal("5.80"), ADULT)
    assert result.verdict is Verdict.CONFIRM
    assert "précisez l'unité (5,8 mmol/L)" in result.message


def test_a_glucose_in_mg_per_decilitre_typed_without_unit_is_refused():
    # « 105 » bare is read in g/L: no glucometer reads 105 g/L.
    assert verdict(VitalSign.CAPILLARY_GLUCOSE, "105") is Verdict.REFUSED


def test_a_severe_hypoglycaemia_is_confirmed():
    assert verdict(VitalSign.CAPILLARY_GLUCOSE, "0.25") is Verdict.CONFIRM


def test_a_height_of_an_adult_with_dwarfism_is_confirmed_not_refused():
    assert verdict(VitalSign.BODY_HEIGHT, "112") is Verdict.CONFIRM
    assert verdict(VitalSign.BODY_HEIGHT, "17.5") is Verdict.REFUSED  # metres typed as cm ÷ 10


def test_a_head_circumference_depends_on_age():
    assert verdict(VitalSign.HEAD_CIRCUMFERENCE, "35", NEWBORN) is Verdict.OK
    assert verdict(VitalSign.HEAD_CIRCUMFERENCE, "35", ADULT) is Verdict.CONFIRM


def test_without_a_birth_date_only_values_impossible_at_every_age_are_refused():
    assert verdict(VitalSign.BODY_WEIGHT, "0.3", None) is Verdict.CONFIRM
    assert verdict(VitalSign.BODY_WEIGHT, "0.1", None) is Verdict.REFUSED
    assert "chez" not in check_measure(VitalSign.BODY_WEIGHT, Decimal("0.1")).message


def test_unknown_age_bounds_are_the_widest_of_all_groups():
    widest = bounds_for(VitalSign.HEART_RATE, None)
    for group_age in (NEWBORN, INFANT, TODDLER, SCHOOL_CHILD, ADOLESCENT, ADULT):
        bounds = bounds_for(VitalSign.HEART_RATE, group_age)
        assert widest.likely_min <= bounds.likely_min
        assert widest.likely_max >= bounds.likely_max


@pytest.mark.parametrize("sign", list(VitalSign))
@pytest.mark.parametrize("age", [NEWBORN, INFANT, TODDLER, SCHOOL_CHILD, ADOLESCENT, ADULT])
def test_every_likely_range_lies_inside_the_possible_range(sign, age):
    bounds = bounds_for(sign, age)
    assert bounds.possible_min <= bounds.likely_min < bounds.likely_max <= bounds.possible_max


# --- Blood pressure ----------------------------------------------------------------


def test_an_ordinary_blood_pressure_is_ok():
    assert check_blood_pressure(Decimal(120), Decimal(80), ADULT).verdict is Verdict.OK


def test_a_systolic_below_the_diastolic_is_refused():
    result = check_blood_pressure(Decimal(80), Decimal(120), ADULT)
    assert result.verdict is Verdict.REFUSED
    assert (
        "la systolique (80\u00a0mmHg) doit être supérieure à la diastolique (120\u00a0mmHg)"
        in result.message
    )


def test_equal_pressures_are_refused():
    assert check_blood_pressure(Decimal(90), Decimal(90), ADULT).verdict is Verdict.REFUSED


def test_a_hypertensive_crisis_is_confirmed_not_refused():
    result = check_blood_pressure(Decimal(240), Decimal(140), ADULT)
    assert result.verdict is Verdict.CONFIRM
    assert len(result.reasons) == 2  # both pressures are unusual


def test_a_diastolic_heard_down_to_zero_is_confirmed_not_refused():
    assert check_blood_pressure(Decimal(150), Decimal(0), ADULT).verdict is Verdict.CONFIRM


def test_a_mmhg_systolic_with_a_cmhg_diastolic_suggests_the_unit():
    result = check_blood_pressure(Decimal(120), Decimal(8), ADULT)
    assert result.verdict is Verdict.CONFIRM
    assert "saisissez les deux valeurs en cmHg (12/8)" in result.message


def test_a_childs_blood_pressure_is_judged_against_children():
    assert check_blood_pressure(Decimal(95), Decimal(55), TODDLER).verdict is Verdict.OK
    assert check_blood_pressure(Decimal(150), Decimal(95), TODDLER).verdict is Verdict.CONFIRM


def test_the_worst_verdict_wins_and_every_reason_is_kept():
    result = check_blood_pressure(Decimal(400), Decimal(500), ADULT)
    assert result.verdict is Verdict.REFUSED
    assert len(result.reasons) == 3
