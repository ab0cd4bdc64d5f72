"""Z-scores against WHO's own published values, WHO's restricted tails, and the ranges.

Pure computation: no database. The expected numbers come from WHO publications and
WHO's own software tests, or are worked out by hand from a table row quoted here.
"""

from __future__ import annotations

import csv
import math
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from hygie.clinical import growth
from hygie.clinical.growth import (
    Indicator,
    MeasurementPosition,
    NoReferenceError,
    Reference,
    Sex,
    assess,
    reference_for,
    zscore,
)
from hygie.clinical.growth.lms import Lms
from hygie.clinical.growth.tables import LAST_2006_DAY, LAST_LYING_DAY

PUBLISHED_SD = Path(growth.__file__).parent / "data" / "who2006_published_sd.csv"
SD_COLUMNS = {"SD3neg": -3, "SD2neg": -2, "SD1neg": -1, "SD0": 0, "SD1": 1, "SD2": 2, "SD3": 3}
PUBLISHED_INDICATOR = {
    "weight_for_age": Indicator.WEIGHT,
    "length_height_for_age": Indicator.HEIGHT,
    "bmi_for_age": Indicator.BMI,
    "head_circumference_for_age": Indicator.HEAD_CIRCUMFERENCE,
}
# WHO prints its SD tables to 0.1 kg, 0.1 cm, 0.1 kg/m2.
HALF_PRINTED_STEP = 0.05


def published_rows() -> list[dict[str, str]]:
    with PUBLISHED_SD.open(newline="") as handle:
        return list(csv.DictReader(handle))


def published_age_days(row: dict[str, str]) -> float:
    return int(row["age"]) * (7 if row["unit"] == "week" else 30.4375)


# --- WHO's published SD tables ------------------------------------------------


def test_the_lms_maths_prints_every_published_sd_value_exactly() -> None:
    # 604 rows x 7 lines: the value at z computed from the row's own L, M, S, rounded
    # as WHO rounds, is the value WHO printed. Wrong powers, a wrong sign or a
    # restricted tail applied inside +/-3 would change some of the 4,228 values.
    compared = 0
    for row in published_rows():
        indicator = PUBLISHED_INDICATOR[row["indicator"]]
        lms = Lms(float(row["l"]), float(row["m"]), float(row["s"]))
        for column, z in SD_COLUMNS.items():
            value = lms.value(z, restricted=indicator.uses_restricted_lms)
            printed = Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
            assert printed == Decimal(row[column]), (row, column, value)
            compared += 1
    assert compared == 4228


def test_a_value_on_a_published_sd_line_gets_that_z_score() -> None:
    # For each indicator and sex, weekly to 13 weeks and monthly to 5 years, at -3 ... +3
    # SD: zscore() through the daily tables. The value at -2 SD gives z = -2 up to
    # WHO's rounding to 0.1: z of (printed - 0.05) and (printed + 0.05) bracket -2.
    # A monthly age falls between two days (1 month = 30.4375 days): the bracket is
    # then taken over both days around it. 24 months is day 730.5, printed twice:
    # lying, half a day past the last lying row (730), and standing, half a day
    # before the first standing row (731); 60 months is day 1826.25, a quarter day
    # past the last WHO 2006 row. Those few hours of growth, < 0.01 SD, are allowed
    # for these rows only.
    checked = 0
    for row in published_rows():
        indicator = PUBLISHED_INDICATOR[row["indicator"]]
        days = published_age_days(row)
        around = {math.floor(days), math.ceil(days)}
        margin = 0.0
        if row["position"] and days == LAST_LYING_DAY + 0.5:
            around = {LAST_LYING_DAY if row["position"] == "lying" else LAST_LYING_DAY + 1}
            margin = 0.01
        elif days > LAST_2006_DAY:
            around = {LAST_2006_DAY}
            margin = 0.01
        for column, z in SD_COLUMNS.items():
            printed = float(row[column])
            low = min(zscore(indicator, row["sex"], d, printed - HALF_PRINTED_STEP) for d in around)
            high = max(
                zscore(indicator, row["sex"], d, printed + HALF_PRINTED_STEP) for d in around
            )
            assert low - margin <= z <= high + margin, (row, column)
            checked += 1
    assert checked == 4228


@pytest.mark.parametrize(
    ("indicator", "sex", "week", "printed_minus_2_sd", "printed_plus_2_sd"),
    [
        # WHO simplified field tables, 0-13 weeks (rows of who2006_published_sd.csv).
        (Indicator.WEIGHT, Sex.MALE, 0, 2.5, 4.4),
        (Indicator.WEIGHT, Sex.FEMALE, 13, 4.5, 7.5),
        (Indicator.HEIGHT, Sex.MALE, 0, 46.1, 53.7),
        (Indicator.HEIGHT, Sex.FEMALE, 8, 52.5, 60.6),
        (Indicator.BMI, Sex.MALE, 4, 12.3, 17.6),
        (Indicator.HEAD_CIRCUMFERENCE, Sex.FEMALE, 13, 37.0, 42.0),
    ],
)
def test_the_printed_two_sd_values_give_z_of_about_two(
    indicator: Indicator,
    sex: Sex,
    week: int,
    printed_minus_2_sd: float,
    printed_plus_2_sd: float,
) -> None:
    # Off by at most WHO's rounding to 0.1: the worst row is the newborn boy, whose
    # -2 SD weight 2.459 kg is printed 2.5, and 0.041 kg is 0.10 SD there (z = -1.90).
    # The exhaustive bracket test above is the tight one.
    assert zscore(indicator, sex, week * 7, printed_minus_2_sd) == pytest.approx(-2, abs=0.11)
    assert zscore(indicator, sex, week * 7, printed_plus_2_sd) == pytest.approx(2, abs=0.11)


# --- WHO's software: the values its own tests expect -----------------------------


def test_it_gives_who_anthro_s_weight_for_age_example() -> None:
    # WHO anthro R package, tests/testthat/test-zscore-weight-for-age.R: a girl of
    # 1522 days weighing 17 kg has z = 0.24 (2 decimals).
    assert round(zscore(Indicator.WEIGHT, Sex.FEMALE, 1522, 17), 2) == 0.24


def test_it_gives_who_anthro_s_length_for_age_example() -> None:
    # WHO anthro, test-zscore-length-for-age.R: a boy of 44 days, 50 cm; WHO's test
    # spells the formula out with the day-44 row, L = 1, M = 56.4833, S = 0.03492.
    expected = (50 / 56.4833 - 1) / 0.03492  # -3.2870
    assert zscore(Indicator.HEIGHT, Sex.MALE, 44, 50) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(
    ("age_days", "height", "weight", "z_weight", "z_bmi", "z_height"),
    [
        # WHO anthroplus R package, tests/testthat/test-zscores.R, "computes correct
        # value for age ~ 60 months": girls of 60.32 and 60.911701 months (days 1836
        # and 1854 here), WHO 2007 interpolated between months 60 and 61.
        (1836, 113.8, 18.7, 0.21, -0.58, 0.96),
        (1854, 113.6, 20.5, 0.79, 0.42, 0.85),
    ],
)
def test_it_gives_who_anthroplus_s_examples_just_after_five_years(
    age_days: int, height: float, weight: float, z_weight: float, z_bmi: float, z_height: float
) -> None:
    bmi = weight / (height / 100) ** 2
    # WHO rounds to 2 decimals; the ages in days differ from WHO's months by < 0.001.
    tolerance = 0.005 + 0.001
    assert zscore(Indicator.WEIGHT, Sex.FEMALE, age_days, weight) == pytest.approx(
        z_weight, abs=tolerance
    )
    assert zscore(Indicator.BMI, Sex.FEMALE, age_days, bmi) == pytest.approx(z_bmi, abs=tolerance)
    assert zscore(Indicator.HEIGHT, Sex.FEMALE, age_days, height) == pytest.approx(
        z_height, abs=tolerance
    )


# --- LMS by hand ------------------------------------------------------------------


def test_height_is_a_plain_normal_score_of_its_row() -> None:
    # WHO 2007 boys' height, 96 months (day 2922, exactly 96 x 30.4375): L = 1,
    # M = 127.2651, S = 0.04438. z = (120 / 127.2651 - 1) / 0.04438 = -1.28631.
    assert zscore(Indicator.HEIGHT, Sex.MALE, 2922, 120) == pytest.approx(-1.28631, abs=1e-5)
    # Not restricted even far out: (150 / 127.2651 - 1) / 0.04438 = 4.02528.
    assert zscore(Indicator.HEIGHT, Sex.MALE, 2922, 150) == pytest.approx(4.02528, abs=1e-5)


def test_head_circumference_is_a_plain_normal_score_of_its_row() -> None:
    # WHO 2006 girls' head circumference, day 365: L = 1, M = 44.894, S = 0.03027.
    # z = (47 / 44.894 - 1) / 0.03027 = 1.54974.
    z = zscore(Indicator.HEAD_CIRCUMFERENCE, Sex.FEMALE, 365, 47)
    assert z == pytest.approx(1.54974, abs=1e-5)


def test_weight_uses_the_box_cox_power_of_its_row() -> None:
    # WHO 2007 boys' weight, 96 months: L = -0.5482, M = 25.4163, S = 0.14344.
    # z = ((30 / 25.4163)^-0.5482 - 1) / (-0.5482 x 0.14344) = 1.10495.
    assert zscore(Indicator.WEIGHT, Sex.MALE, 2922, 30) == pytest.approx(1.10495, abs=1e-5)


def test_between_two_months_l_m_s_are_interpolated_linearly() -> None:
    # WHO AnthroPlus: day 1963 is 1963 / 30.4375 = 64.49281 months. Boys' height rows:
    # month 64 (M 111.8636, S 0.04187), month 65 (M 112.3895, S 0.04195), so
    # M = 111.8636 + 0.49281 x 0.5259 = 112.12277, S = 0.04187 + 0.49281 x 0.00008 = 0.0419094.
    # The value at z = 1 is then M x (1 + S) = 116.82177.
    assert zscore(Indicator.HEIGHT, Sex.MALE, 1963, 112.12277) == pytest.approx(0, abs=1e-5)
    assert zscore(Indicator.HEIGHT, Sex.MALE, 1963, 116.82177) == pytest.approx(1, abs=1e-5)


# --- restricted tails (WHO 2006 technical report, chapter 7) ---------------------


def test_a_very_heavy_newborn_is_placed_on_the_restricted_tail() -> None:
    # Boys' weight at birth: L = 0.3487, M = 3.3464, S = 0.14602.
    # SD2 = M (1 + 2 L S)^(1/L) = 4.41935, SD3 = 5.03064.
    # Restricted: z = 3 + (6.0 - SD3) / (SD3 - SD2) = 4.58577 (pygrowup 0.8.2: 4.59).
    # The plain LMS curve would say 4.43473: the test fails if the tail is not restricted.
    z = zscore(Indicator.WEIGHT, Sex.MALE, 0, 6.0)
    assert z == pytest.approx(4.58577, abs=1e-5)


def test_a_very_light_newborn_is_placed_on_the_restricted_tail() -> None:
    # Same row: SD-2 = 2.45931, SD-3 = 2.08031.
    # z = -3 + (1.5 - SD-3) / (SD-2 - SD-3) = -4.53114 (pygrowup: -4.53; plain LMS -4.79343).
    assert zscore(Indicator.WEIGHT, Sex.MALE, 0, 1.5) == pytest.approx(-4.53114, abs=1e-5)


def test_who_2007_weight_and_bmi_are_restricted_too() -> None:
    # Boys' weight, 96 months: SD2 = 34.72687, SD3 = 41.52079; 60 kg gives
    # 3 + (60 - 41.52079) / 6.79392 = 5.71996 (plain LMS: 4.77589).
    assert zscore(Indicator.WEIGHT, Sex.MALE, 2922, 60) == pytest.approx(5.71996, abs=1e-5)
    # SD-2 = 19.47150, SD-3 = 17.27109; 15 kg gives -3 + (15 - 17.27109) / 2.20041 = -4.03212.
    assert zscore(Indicator.WEIGHT, Sex.MALE, 2922, 15) == pytest.approx(-4.03212, abs=1e-5)
    # Girls' BMI, 96 months: L = -1.388, M = 15.681, S = 0.11291; SD2 = 20.56079,
    # SD3 = 24.78079; BMI 30 gives 3 + (30 - 24.78079) / 4.22000 = 4.23678 (plain 3.78778).
    assert zscore(Indicator.BMI, Sex.FEMALE, 2922, 30) == pytest.approx(4.23678, abs=1e-5)


def test_the_restricted_z_score_is_continuous_and_increasing_across_three_sd() -> None:
    lms = Lms(0.3487, 3.3464, 0.14602)
    for z in (-3, 3):
        at_line = lms.value(z, restricted=True)
        below = lms.zscore(at_line - 1e-9, restricted=True)
        above = lms.zscore(at_line + 1e-9, restricted=True)
        assert below < above
        assert below == pytest.approx(z, abs=1e-6)
        assert above == pytest.approx(z, abs=1e-6)


# --- the switch to WHO 2007 at five years -------------------------------------


def test_who_2006_applies_to_day_1826_and_who_2007_from_day_1827() -> None:
    for indicator in (Indicator.WEIGHT, Indicator.HEIGHT, Indicator.BMI):
        assert reference_for(indicator, 1826) is Reference.WHO_2006
        assert reference_for(indicator, 1827) is Reference.WHO_2007
    assert assess(Indicator.HEIGHT, Sex.MALE, 1827, 110).reference is Reference.WHO_2007


@pytest.mark.parametrize("indicator", [Indicator.WEIGHT, Indicator.HEIGHT, Indicator.BMI])
@pytest.mark.parametrize("sex", list(Sex))
def test_the_switch_to_who_2007_moves_a_z_score_by_less_than_a_fifth_of_a_sd(
    indicator: Indicator, sex: Sex
) -> None:
    # WHO built the 2007 reference to join the 2006 standards at 5 years, but the
    # two do not meet exactly: the same measure on day 1826 (WHO 2006) and day 1827
    # (WHO 2007) differs in z by up to 0.15 (boys' BMI at -2 SD; 0.05-0.10 elsewhere,
    # see docs/decisions/0013). Within one reference a day changes z by < 0.01, so the
    # step is WHO's, not an error of ours; a wrong month or table would be far larger.
    for z in (-2, 0, 2):
        _reference, lms = growth.tables.lms_at(indicator, sex, 1826)
        value = lms.value(z, restricted=indicator.uses_restricted_lms)
        assert zscore(indicator, sex, 1825, value) == pytest.approx(z, abs=0.01)
        assert zscore(indicator, sex, 1826, value) == pytest.approx(z, abs=1e-9)
        assert zscore(indicator, sex, 1827, value) == pytest.approx(z, abs=0.16)
        assert zscore(indicator, sex, 1828, value) == pytest.approx(z, abs=0.17)


# --- no reference: refused, never extrapolated -------------------------------------


@pytest.mark.parametrize(
    ("indicator", "last_day", "message"),
    [
        (Indicator.WEIGHT, 3652, "Pas de référence OMS pour le poids après 10 ans."),
        (
            Indicator.HEAD_CIRCUMFERENCE,
            1826,
            "Pas de référence OMS pour le périmètre crânien après 5 ans.",
        ),
        (Indicator.HEIGHT, 6939, "Pas de référence OMS pour la taille après 19 ans."),
        (Indicator.BMI, 6939, "Pas de référence OMS pour l'IMC après 19 ans."),
    ],
)
def test_a_measure_past_the_last_reference_is_refused(
    indicator: Indicator, last_day: int, message: str
) -> None:
    value = {Indicator.WEIGHT: 30.0, Indicator.HEAD_CIRCUMFERENCE: 50.0}.get(indicator, 20.0)
    if indicator is Indicator.HEIGHT:
        value = 170.0
    assess(indicator, Sex.FEMALE, last_day, value)  # the last day still has one
    assert reference_for(indicator, last_day + 1) is None
    with pytest.raises(NoReferenceError) as refused:
        zscore(indicator, Sex.FEMALE, last_day + 1, value)
    assert str(refused.value) == message
    assert refused.value.age_days == last_day + 1
    with pytest.raises(NoReferenceError):
        zscore(indicator, Sex.FEMALE, 20_000, value)


def test_no_reference_is_not_a_value_error() -> None:
    # Callers catch ValueError for bad input; a valid age past a reference is different.
    assert not issubclass(NoReferenceError, ValueError)


# --- input checks ---------------------------------------------------------------


def test_a_negative_age_is_refused_in_french() -> None:
    with pytest.raises(ValueError, match=r"L'âge ne peut pas être négatif \(-1 jours\)\."):
        zscore(Indicator.WEIGHT, Sex.MALE, -1, 3.3)


@pytest.mark.parametrize("age", [1.5, True, "10"])
def test_an_age_that_is_not_a_whole_number_of_days_is_refused(age: object) -> None:
    with pytest.raises(ValueError, match=re.escape("L'âge doit être un nombre entier de jours.")):
        zscore(Indicator.WEIGHT, Sex.MALE, age, 3.3)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [0, -3.3, math.nan, math.inf])
def test_a_measure_that_is_not_positive_is_refused(value: float) -> None:
    with pytest.raises(
        ValueError, match=re.escape("La mesure doit être un nombre strictement positif.")
    ):
        zscore(Indicator.WEIGHT, Sex.MALE, 10, value)


@pytest.mark.parametrize("sex", ["other", "unknown", "M", ""])
def test_a_sex_without_who_reference_is_refused(sex: str) -> None:
    with pytest.raises(ValueError, match="n'existent que pour les garçons et les filles"):
        zscore(Indicator.WEIGHT, sex, 10, 3.3)


def test_an_unknown_indicator_is_refused() -> None:
    with pytest.raises(ValueError, match=re.escape("Indicateur de croissance inconnu : « arm ».")):
        zscore("arm", Sex.MALE, 10, 12.0)


def test_fhir_codes_are_accepted_as_strings() -> None:
    assert zscore("weight", "male", 0, 6.0) == zscore(Indicator.WEIGHT, Sex.MALE, 0, 6.0)


# --- lying and standing (WHO 2006 technical report, section 5.1) -----------------


def test_a_toddler_measured_standing_is_placed_as_if_lying() -> None:
    # Before day 731 WHO wants length: a standing height is 0.7 cm short of it.
    measured = assess(Indicator.HEIGHT, Sex.FEMALE, 500, 75.0, position="standing")
    assert measured.compared_value == pytest.approx(75.7)
    assert measured.z == pytest.approx(zscore(Indicator.HEIGHT, Sex.FEMALE, 500, 75.7))
    assert measured.value == 75.0


def test_a_child_measured_lying_after_two_years_is_placed_as_if_standing() -> None:
    measured = assess(Indicator.HEIGHT, Sex.MALE, 1000, 90.0, position=MeasurementPosition.LYING)
    assert measured.compared_value == pytest.approx(89.3)
    assert measured.z == pytest.approx(zscore(Indicator.HEIGHT, Sex.MALE, 1000, 89.3))


def test_the_expected_position_changes_nothing() -> None:
    lying = assess(Indicator.HEIGHT, Sex.MALE, 730, 85.0, position=MeasurementPosition.LYING)
    standing = assess(Indicator.HEIGHT, Sex.MALE, 731, 85.0, position="standing")
    assert lying.compared_value == 85.0
    assert standing.compared_value == 85.0


def test_a_position_only_applies_to_height() -> None:
    with pytest.raises(
        ValueError, match=re.escape("La position de mesure ne concerne que la taille.")
    ):
        assess(Indicator.WEIGHT, Sex.MALE, 10, 3.3, position="lying")
    with pytest.raises(ValueError, match="Position de mesure inconnue"):
        assess(Indicator.HEIGHT, Sex.MALE, 10, 50.0, position="sitting")
