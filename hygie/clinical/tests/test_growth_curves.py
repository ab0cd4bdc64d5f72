"""The reference lines a growth chart draws."""

from __future__ import annotations

import csv
import itertools
import re
from decimal import ROUND_HALF_UP, Decimal

import pytest

from hygie.clinical.growth import (
    SD_LINES,
    WHO_PERCENTILES,
    ChartLine,
    Indicator,
    Reference,
    Sex,
    chart_days,
    coverage,
    curves,
    zscore,
)

from .test_growth_zscores import PUBLISHED_INDICATOR, PUBLISHED_SD, SD_COLUMNS

ALL_AGES = (0, 6939)


@pytest.mark.parametrize("indicator", list(Indicator))
@pytest.mark.parametrize("sex", list(Sex))
@pytest.mark.parametrize("lines", [WHO_PERCENTILES, SD_LINES], ids=["percentiles", "sd"])
def test_lines_are_in_order_at_every_age(
    indicator: Indicator, sex: Sex, lines: tuple[ChartLine, ...]
) -> None:
    points = curves(indicator, sex, *ALL_AGES, lines)
    assert points
    for point in points:
        values = [point.values[line] for line in lines]
        assert all(low < high for low, high in itertools.pairwise(values)), point


@pytest.mark.parametrize("indicator", list(Indicator))
@pytest.mark.parametrize("sex", list(Sex))
def test_each_line_is_the_z_score_it_claims(indicator: Indicator, sex: Sex) -> None:
    lines = (*SD_LINES, *WHO_PERCENTILES, ChartLine.sd(-4), ChartLine.sd(4))
    for age_days, values in curves(indicator, sex, *ALL_AGES, lines):
        for line, value in values.items():
            assert zscore(indicator, sex, age_days, value) == pytest.approx(line.z, abs=1e-9)


def test_the_lines_match_who_s_printed_weekly_tables() -> None:
    # Weeks 0-13 are whole days: the -3 ... +3 SD lines, rounded as WHO rounds, are the
    # values WHO printed, for every indicator and sex.
    with PUBLISHED_SD.open(newline="") as handle:
        weekly = [row for row in csv.DictReader(handle) if row["unit"] == "week"]
    assert len(weekly) == 4 * 2 * 14
    for row in weekly:
        day = int(row["age"]) * 7
        (point,) = curves(PUBLISHED_INDICATOR[row["indicator"]], row["sex"], day, day, SD_LINES)
        for column, count in SD_COLUMNS.items():
            value = point.values[ChartLine.sd(count)]
            printed = Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
            assert printed == Decimal(row[column]), (row, column)


def test_ages_are_weekly_to_thirteen_weeks_then_monthly() -> None:
    assert chart_days(0, 200) == [
        *range(0, 92, 7),  # 0, 7 ... 91
        122,  # 4 x 30.4375 = 121.75
        152,
        183,
        200,  # the end of the range is always drawn
    ]


def test_both_sides_of_each_table_switch_are_sampled() -> None:
    days = chart_days(0, 6939)
    assert {730, 731, 1826, 1827} <= set(days)
    assert days[-1] == 6939
    assert days == sorted(set(days))
    # Monthly: no gap wider than a month after 13 weeks.
    assert max(b - a for a, b in itertools.pairwise(days)) <= 31


def test_a_range_starting_late_begins_at_its_first_day() -> None:
    assert chart_days(100, 130) == [100, 122, 130]


def test_lines_stop_where_the_reference_stops() -> None:
    weight = curves(Indicator.WEIGHT, Sex.MALE, *ALL_AGES)
    assert weight[-1].age_days == 3652  # 120 months: no WHO weight-for-age after 10 years
    head = curves(Indicator.HEAD_CIRCUMFERENCE, Sex.FEMALE, *ALL_AGES)
    assert head[-1].age_days == 1826
    assert curves(Indicator.WEIGHT, Sex.FEMALE, 4000, 5000) == []
    height = curves(Indicator.HEIGHT, Sex.FEMALE, *ALL_AGES)
    assert height[0].age_days == 0
    assert height[-1].age_days == 6939


def test_coverage_names_the_reference_of_each_span() -> None:
    spans = coverage(Indicator.WEIGHT)
    assert [(s.reference, s.first_day, s.last_day) for s in spans] == [
        (Reference.WHO_2006, 0, 1826),
        (Reference.WHO_2007, 1827, 3652),
    ]
    assert [(s.reference, s.last_day) for s in coverage(Indicator.HEAD_CIRCUMFERENCE)] == [
        (Reference.WHO_2006, 1826)
    ]
    assert coverage(Indicator.BMI)[-1].last_day == 6939


def test_the_length_to_height_step_shows_at_two_years() -> None:
    # Standing height is 0.7 cm less than lying length: the median drops from day 730
    # to day 731 instead of rising, and the chart shows the step.
    median = ChartLine.percentile(50)
    by_day = {p.age_days: p.values[median] for p in curves(Indicator.HEIGHT, Sex.MALE, 729, 732)}
    assert by_day[730] > by_day[729]
    assert by_day[731] < by_day[730] - 0.5


def test_an_empty_or_reversed_range_is_refused() -> None:
    with pytest.raises(ValueError, match=re.escape("La fin de la période précède son début.")):
        curves(Indicator.WEIGHT, Sex.MALE, 100, 99)
    with pytest.raises(ValueError, match="négatif"):
        curves(Indicator.WEIGHT, Sex.MALE, -1, 99)
    with pytest.raises(ValueError):
        curves(Indicator.WEIGHT, Sex.MALE, 0, 99, lines=())
    with pytest.raises(ValueError):
        curves(Indicator.WEIGHT, "unknown", 0, 99)


def test_a_chart_line_must_be_a_percentile_or_a_reasonable_sd() -> None:
    with pytest.raises(ValueError):
        ChartLine.percentile(0)
    with pytest.raises(ValueError):
        ChartLine.percentile(100)
    with pytest.raises(ValueError):
        ChartLine.sd(6)
    assert ChartLine.percentile(50).z == 0
    assert ChartLine.percentile(97).z == pytest.approx(1.88079, abs=1e-5)
