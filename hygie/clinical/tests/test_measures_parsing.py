"""Vital signs typed the French way are read into their canonical unit, or refused
with a French message that says what is wrong and what to type instead."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hygie.clinical.measures import (
    InvalidMeasure,
    VitalSign,
    parse_blood_pressure,
    parse_measure,
)

NBSP = "\u00a0"


@pytest.mark.parametrize("text", ["72,5", "72.5", " 72,5 kg", "72,5kg", "72,5\u00a0kg", "72,5 KG"])
def test_a_weight_is_read_with_comma_or_point_and_an_optional_unit(text):
    measure = parse_measure(VitalSign.BODY_WEIGHT, text)
    assert measure.value == Decimal("72.5")
    assert measure.note is None


def test_a_newborn_weight_in_grams_is_converted_to_kilograms_and_says_so():
    measure = parse_measure(VitalSign.BODY_WEIGHT, "3250 g")
    assert measure.value == Decimal("3.250")
    assert measure.note == f"3250{NBSP}g converti en 3,25{NBSP}kg"


@pytest.mark.parametrize("text", ["175", "175 cm", "1,75 m", "1.75m", "1m75", "1 m 75"])
def test_a_height_is_stored_in_centimetres_whatever_the_french_way_of_typing_it(text):
    assert parse_measure(VitalSign.BODY_HEIGHT, text).value == Decimal("175")


def test_a_height_typed_in_metres_says_it_was_converted():
    assert parse_measure(VitalSign.BODY_HEIGHT, "1,75 m").note == (
        f"1,75{NBSP}m converti en 175{NBSP}cm"
    )


def test_a_bare_height_under_three_is_read_as_metres_since_no_one_is_three_cm_tall():
    measure = parse_measure(VitalSign.BODY_HEIGHT, "1,62")
    assert measure.value == Decimal("162")
    assert measure.note == f"1,62 compris comme 1,62{NBSP}m, soit 162{NBSP}cm"


def test_a_bare_newborn_length_stays_in_centimetres():
    assert parse_measure(VitalSign.BODY_HEIGHT, "49,5").value == Decimal("49.5")


@pytest.mark.parametrize("text", ["38,2", "38.2", "38,2 °C", "38,2°", "38,2 ° C"])
def test_a_temperature_is_read_in_celsius(text):
    assert parse_measure(VitalSign.BODY_TEMPERATURE, text).value == Decimal("38.2")


def test_extra_decimals_are_rounded_half_up_to_the_precision_kept():
    assert parse_measure(VitalSign.BODY_TEMPERATURE, "38,25").value == Decimal("38.3")
    assert parse_measure(VitalSign.HEART_RATE, "72,5").value == Decimal("73")


@pytest.mark.parametrize("text", ["72", "72 bpm", "72/min", "72 /mn", "72 batt/min"])
def test_a_heart_rate_accepts_the_usual_french_units(text):
    assert parse_measure(VitalSign.HEART_RATE, text).value == Decimal("72")


@pytest.mark.parametrize("text", ["97", "97 %", "97%"])
def test_an_oxygen_saturation_is_a_percentage(text):
    assert parse_measure(VitalSign.OXYGEN_SATURATION, text).value == Decimal("97")


def test_a_glucose_in_grams_per_litre_is_stored_as_typed():
    measure = parse_measure(VitalSign.CAPILLARY_GLUCOSE, "1,05 g/L")
    assert measure.value == Decimal("1.05")
    assert measure.note is None


def test_a_bare_glucose_is_in_grams_per_litre_the_french_habit():
    assert parse_measure(VitalSign.CAPILLARY_GLUCOSE, "0,9").value == Decimal("0.90")


def test_a_glucose_in_mmol_per_litre_is_converted_with_the_molar_mass_of_glucose():
    # 5.8 mmol/L * 180.16 g/mol = 1.044928 g/L
    measure = parse_measure(VitalSign.CAPILLARY_GLUCOSE, "5,8 mmol/L")
    assert measure.value == Decimal("1.04")
    assert measure.note == f"5,8{NBSP}mmol/L converti en 1,04{NBSP}g/L"


def test_one_gram_per_litre_is_5_551_mmol_per_litre():
    assert parse_measure(VitalSign.CAPILLARY_GLUCOSE, "5,551 mmol/L").value == Decimal("1.00")


def test_a_glucose_in_mg_per_decilitre_is_converted_exactly():
    assert parse_measure(VitalSign.CAPILLARY_GLUCOSE, "105 mg/dL").value == Decimal("1.05")


def test_a_head_circumference_is_read_in_centimetres():
    assert parse_measure(VitalSign.HEAD_CIRCUMFERENCE, "35,5 cm").value == Decimal("35.5")


def test_text_that_is_not_a_number_is_refused_with_an_example():
    with pytest.raises(InvalidMeasure) as refused:
        parse_measure(VitalSign.BODY_WEIGHT, "abc")
    assert str(refused.value) == (
        "Poids : « abc » n'est pas un nombre ; saisissez par exemple 72,5."
    )


def test_an_invalid_measure_is_a_value_error():
    assert issubclass(InvalidMeasure, ValueError)


def test_an_empty_field_is_refused_as_missing():
    with pytest.raises(InvalidMeasure, match="Température : aucune valeur saisie"):
        parse_measure(VitalSign.BODY_TEMPERATURE, "  ")


def test_an_unknown_unit_is_refused_with_the_units_accepted():
    with pytest.raises(InvalidMeasure) as refused:
        parse_measure(VitalSign.BODY_WEIGHT, "160 lb")
    assert "unité « lb » non reconnue" in str(refused.value)
    assert "kg, g" in str(refused.value)


def test_fahrenheit_is_not_accepted():
    with pytest.raises(InvalidMeasure, match="°C"):
        parse_measure(VitalSign.BODY_TEMPERATURE, "100,4 °F")


def test_a_negative_value_is_refused_as_such():
    with pytest.raises(InvalidMeasure, match="une valeur négative n'est pas possible"):
        parse_measure(VitalSign.BODY_TEMPERATURE, "-3")


@pytest.mark.parametrize("text", ["72,5,3", "7 2", "٧٢", "72..5", "1e3", "0x48", "NaN"])
def test_anything_but_plain_decimal_digits_is_refused(text):
    with pytest.raises(InvalidMeasure):
        parse_measure(VitalSign.BODY_WEIGHT, text)


def test_a_pasted_paragraph_is_refused_and_quoted_back_shortened():
    text = "72 " + "x" * 200
    with pytest.raises(InvalidMeasure) as refused:
        parse_measure(VitalSign.BODY_WEIGHT, text)
    assert "…" in str(refused.value)
    assert len(str(refused.value)) < 150


def test_the_bmi_and_blood_pressure_are_not_typed_as_single_values():
    for sign in (VitalSign.BMI, VitalSign.SYSTOLIC_BP, VitalSign.DIASTOLIC_BP):
        with pytest.raises(ValueError, match="not typed"):
            parse_measure(sign, "25")


# --- Blood pressure --------------------------------------------------------------------


def test_a_blood_pressure_in_mmhg_is_kept():
    pressure = parse_blood_pressure("120/80")
    assert (pressure.systolic, pressure.diastolic) == (Decimal(120), Decimal(80))
    assert pressure.note is None


def test_a_french_blood_pressure_in_cmhg_is_multiplied_by_ten_and_says_so():
    pressure = parse_blood_pressure("12/8")
    assert (pressure.systolic, pressure.diastolic) == (Decimal(120), Decimal(80))
    assert pressure.note == f"12/8 compris comme 12/8{NBSP}cmHg, soit 120/80{NBSP}mmHg"


def test_a_cmhg_pressure_may_have_decimals():
    pressure = parse_blood_pressure("13,5/8,5")
    assert (pressure.systolic, pressure.diastolic) == (Decimal(135), Decimal(85))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("120 / 80 mmHg", (120, 80)),
        ("120/80 mm Hg", (120, 80)),
        ("12/8 cmHg", (120, 80)),
        # An explicit unit is obeyed even where the bare rule would read cmHg.
        ("25/15 mmHg", (25, 15)),
    ],
)
def test_an_explicit_unit_decides(text, expected):
    pressure = parse_blood_pressure(text)
    assert (pressure.systolic, pressure.diastolic) == tuple(Decimal(v) for v in expected)


def test_a_typed_cmhg_unit_says_it_was_converted():
    assert parse_blood_pressure("12/8 cmHg").note == (
        f"12/8{NBSP}cmHg converti en 120/80{NBSP}mmHg"
    )


def test_a_pressure_mixing_cmhg_and_mmhg_is_refused_rather_than_guessed():
    with pytest.raises(InvalidMeasure) as refused:
        parse_blood_pressure("12/80")
    assert str(refused.value) == (
        "Pression artérielle : « 12/80 » mélange centimètres et millimètres de mercure ; "
        "saisissez 120/80 (mmHg) ou 12/8 (cmHg)."
    )


def test_a_low_mmhg_diastolic_is_not_a_parsing_error():
    # « 120/8 »: the systolic says mmHg; the diastolic is for plausibility to question.
    pressure = parse_blood_pressure("120/8")
    assert (pressure.systolic, pressure.diastolic) == (Decimal(120), Decimal(8))


@pytest.mark.parametrize("text", ["120", "120-80", "120/", "/80", "haute", "120/80/60"])
def test_a_pressure_needs_two_values_separated_by_a_slash(text):
    with pytest.raises(InvalidMeasure, match="séparées par « / »"):
        parse_blood_pressure(text)


def test_an_unknown_pressure_unit_is_refused():
    with pytest.raises(InvalidMeasure, match="unité « kPa » non reconnue"):
        parse_blood_pressure("16/10 kPa")
