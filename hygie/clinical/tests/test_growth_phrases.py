"""How a placed measure reads in French: percentile rank, z-score, outside P3-P97."""

from __future__ import annotations

import pytest

from hygie.clinical.growth import (
    SD_LINES,
    WHO_PERCENTILES,
    ChartLine,
    Indicator,
    Sex,
    assess,
    percentile_phrase,
    zscore_of_percentile,
    zscore_phrase,
)

NBSP = "\u00a0"
MINUS = "\u2212"


@pytest.mark.parametrize(
    ("percentile", "phrase"),
    [
        (50.0, "50e percentile"),
        (50.5, "51e percentile"),  # half up, not to even
        (3.0, "3e percentile"),
        (97.0, "97e percentile"),
        (96.6, "97e percentile"),
        (15.2, "15e percentile"),
        # Outside P3-P97: one decimal, cut toward the extreme, never rounded back inside.
        (2.96, "2,9e percentile"),
        (0.45, "0,4e percentile"),
        (0.1, "0,1e percentile"),
        (97.04, "97,1e percentile"),
        (99.9, "99,9e percentile"),
        (99.85, "99,9e percentile"),
        # Extremes: only the bound.
        (0.0999, f"<{NBSP}0,1e percentile"),
        (0.0, f"<{NBSP}0,1e percentile"),
        (99.95, f">{NBSP}99,9e percentile"),
        (100.0, f">{NBSP}99,9e percentile"),
    ],
)
def test_a_percentile_reads_as_a_french_rank(percentile: float, phrase: str) -> None:
    assert percentile_phrase(percentile) == phrase


def test_a_percentile_outside_zero_to_hundred_is_a_bug() -> None:
    with pytest.raises(ValueError):
        percentile_phrase(-1)
    with pytest.raises(ValueError):
        percentile_phrase(100.5)


@pytest.mark.parametrize(
    ("z", "phrase"),
    [
        (2.34, f"z{NBSP}={NBSP}+2,3"),
        (2.25, f"z{NBSP}={NBSP}+2,3"),
        (0.15, f"z{NBSP}={NBSP}+0,2"),  # half up on the decimal written, not on 0.1499...
        (-0.44, f"z{NBSP}={NBSP}{MINUS}0,4"),
        (-3.96, f"z{NBSP}={NBSP}{MINUS}4,0"),
        (0.04, f"z{NBSP}={NBSP}0,0"),
        (-0.04, f"z{NBSP}={NBSP}0,0"),
        (12.46, f"z{NBSP}={NBSP}+12,5"),
    ],
)
def test_a_z_score_reads_with_a_sign_and_a_decimal_comma(z: float, phrase: str) -> None:
    assert zscore_phrase(z) == phrase


def test_a_median_child_reads_fiftieth_percentile_and_is_inside() -> None:
    # Boys' weight at birth: M = 3.3464 kg.
    result = assess(Indicator.WEIGHT, Sex.MALE, 0, 3.3464)
    assert result.z == pytest.approx(0, abs=1e-12)
    assert result.percentile == pytest.approx(50)
    assert result.phrase == f"50e percentile (z{NBSP}={NBSP}0,0)"
    assert not result.outside_p3_p97


def test_a_very_heavy_newborn_reads_beyond_the_99_9th_percentile() -> None:
    result = assess(Indicator.WEIGHT, Sex.MALE, 0, 6.0)
    assert result.percentile_phrase == f">{NBSP}99,9e percentile"
    assert result.z_phrase == f"z{NBSP}={NBSP}+4,6"
    assert result.outside_p3_p97


def test_the_third_and_ninety_seventh_percentiles_are_the_bounds() -> None:
    # Boys' height, 96 months: L = 1, so the value at z is M (1 + S z) exactly.
    m, s = 127.2651, 0.04438
    for percentile, outside_beyond in ((3, -1), (97, +1)):
        z = zscore_of_percentile(percentile)
        on_line = assess(Indicator.HEIGHT, Sex.MALE, 2922, m * (1 + s * z))
        beyond = assess(Indicator.HEIGHT, Sex.MALE, 2922, m * (1 + s * (z + outside_beyond * 0.01)))
        inside = assess(Indicator.HEIGHT, Sex.MALE, 2922, m * (1 + s * (z - outside_beyond * 0.01)))
        assert not inside.outside_p3_p97
        assert beyond.outside_p3_p97
        assert on_line.percentile == pytest.approx(percentile)
    low = assess(Indicator.HEIGHT, Sex.MALE, 2922, m * (1 + s * -1.9))
    assert low.outside_p3_p97
    assert low.percentile_phrase == "2,8e percentile"


def test_chart_lines_have_french_labels() -> None:
    assert [line.label for line in WHO_PERCENTILES] == ["P3", "P15", "P50", "P85", "P97"]
    assert [line.label for line in SD_LINES] == [
        f"{MINUS}3{NBSP}DS",
        f"{MINUS}2{NBSP}DS",
        f"{MINUS}1{NBSP}DS",
        f"0{NBSP}DS",
        f"+1{NBSP}DS",
        f"+2{NBSP}DS",
        f"+3{NBSP}DS",
    ]
    assert ChartLine.percentile(0.4).label == "P0,4"
    assert ChartLine.percentile(99.6).label == "P99,6"
