"""French numbers, dates and ages on the axes, ticks that never collide, thinning."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from decimal import Decimal

import pytest

from hygie.clinical.charts.french import (
    DAYS_PER_MONTH,
    format_age,
    format_date,
    format_number,
    numeric_date,
)
from hygie.clinical.charts.svg import SMALL, text_width
from hygie.clinical.charts.thin import thin
from hygie.clinical.charts.ticks import age_ticks, date_ticks, value_ticks

NNBSP = "\u202f"


@pytest.mark.parametrize(
    ("value", "places", "written"),
    [
        (Decimal("72.5"), 1, "72,5"),
        (Decimal("1234.5"), 1, f"1{NNBSP}234,5"),
        (Decimal("-3.25"), 2, "\u22123,25"),
        (Decimal("-0.001"), 1, "0,0"),
        (Decimal("0.045"), 2, "0,05"),
        (Decimal("1000000"), 0, f"1{NNBSP}000{NNBSP}000"),
    ],
)
def test_numbers_are_written_the_french_way(value, places, written):
    assert format_number(value, places) == written


def test_trailing_zeros_go_when_asked():
    assert format_number(Decimal("72.0"), 1, trim=True) == "72"
    assert format_number(Decimal("72.50"), 2, trim=True) == "72,5"


def test_dates_are_written_the_french_way():
    assert numeric_date(date(2025, 3, 1)) == "01/03/2025"
    assert format_date(date(2025, 3, 1)) == "1er mars 2025"
    assert format_date(datetime(2025, 12, 24, 9, 5)) == "24 décembre 2025, 9 h 05"  # noqa: DTZ001


@pytest.mark.parametrize(
    ("days", "said"),
    [
        (0, "naissance"),
        (12, "12 jours"),
        (45, "1 mois"),
        (18 * DAYS_PER_MONTH, "18 mois"),
        (730.5, "2 ans"),
        (7 * 365.25 + 100, "7 ans 3 mois"),
    ],
)
def test_ages_are_said_as_a_paediatrician_says_them(days, said):
    assert format_age(days) == said


def test_value_ticks_are_round_exact_and_cover_the_range():
    low, high, ticks = value_ticks(Decimal("71.9"), Decimal("75.8"), 5)
    assert low <= Decimal("71.9") and high >= Decimal("75.8")
    assert [t.label for t in ticks] == ["71", "72", "73", "74", "75", "76"]
    _low, _high, ticks = value_ticks(Decimal("0.1") + Decimal("0.2"), Decimal("1.3"), 4)
    assert [t.label for t in ticks] == ["0,25", "0,50", "0,75", "1,00", "1,25", "1,50"]


def test_value_ticks_around_a_single_value_or_zero():
    low, high, _ticks = value_ticks(Decimal(172), Decimal(172))
    assert low < 172 < high
    low, high, _ticks = value_ticks(Decimal(0), Decimal(0))
    assert low < 0 < high


@pytest.mark.parametrize("span_days", [1, 3, 10, 45, 100, 400, 1000, 3000, 7305, 36525])
@pytest.mark.parametrize("width", [300, 640])
def test_date_ticks_are_few_and_their_labels_never_touch(span_days, width):
    start = date(2005, 2, 14).toordinal()
    ticks = date_ticks(start, start + span_days, width)
    labelled = [t for t in ticks if t.label]
    assert 2 <= len(labelled) <= 16
    scale = width / span_days
    for a, b in itertools.pairwise(labelled):
        gap = (b.at - a.at) * scale
        assert gap >= (text_width(a.label or "", SMALL) + text_width(b.label or "", SMALL)) / 2


def test_date_ticks_name_the_year_once_then_on_each_january():
    start, end = date(2024, 10, 1).toordinal(), date(2025, 9, 30).toordinal()
    labels = [t.label for t in date_ticks(start, end, 640)]
    assert labels[0] == "nov. 2024"  # every two months, from January
    assert "janv. 2025" in labels
    assert sum("2025" in (label or "") for label in labels) == 1


@pytest.mark.parametrize(
    ("end_days", "in_months", "expected"),
    [
        (730.5, True, ["naissance", "6 mois", "12 mois", "18 mois", "24 mois"]),
        (1096, True, ["naissance", "6 mois", "12 mois", "18 mois", "24 mois", "30 mois"]),
        (18 * 365.25, False, ["naissance", "2 ans", "10 ans", "18 ans"]),
    ],
)
def test_age_ticks_in_months_or_years(end_days, in_months, expected):
    labels = [t.label for t in age_ticks(0, end_days, 640, in_months=in_months)]
    assert set(expected) <= set(labels)
    if in_months:
        assert not [label for label in labels if label and "an" in label.split()]


def test_thinning_bounds_the_vertices_and_keeps_every_peak():
    points = [(i * 0.3, 100 + (i * 37) % 23) for i in range(2000)]
    points[1500] = (points[1500][0], 5.0)  # a spike upwards (y grows downwards)
    points[700] = (points[700][0], 300.0)
    kept = thin(points, 2.0)
    assert len(kept) <= 2 * (600 / 2) + 2
    assert kept[0] == points[0] and kept[-1] == points[-1]
    assert (points[1500] in kept) and (points[700] in kept)
    assert [x for x, _y in kept] == sorted(x for x, _y in kept)
    assert thin(points[:2], 2.0) == points[:2]
