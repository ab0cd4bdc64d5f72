"""Vital-sign trends: what is drawn where, and what the reader is told."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hygie.clinical.charts import Series, trend_chart

from .charts_support import (
    NS,
    axis_labels,
    axis_values,
    find_class,
    marks,
    parse,
    polylines,
    texts,
)

NBSP = "\u00a0"
WEIGHTS = [
    (date(2024, 1, 15), 74.0),
    (date(2024, 4, 2), 73.2),
    (date(2024, 9, 20), 75.8),
    (date(2025, 1, 6), 71.9),
    (date(2025, 3, 12), 72.5),
]


def weight_chart(points=WEIGHTS, **kwargs):
    return parse(trend_chart("Poids", "kg", [Series("Poids", points)], **kwargs))


def desc(root):
    return root.find(f"{NS}desc").text


def test_it_says_aucune_mesure_when_there_is_no_measure():
    for series in ([], [Series("Poids", [])], [Series("Poids", [(date(2025, 1, 1), None)])]):
        root = parse(trend_chart("Poids", "kg", series))
        assert "Aucune mesure" in texts(root)
        assert root.find(f"{NS}title").text == "Poids"
        assert desc(root) == "Poids\u00a0: aucune mesure."
        assert marks(root) == []


def test_a_single_measure_is_marked_in_the_middle_with_its_date_and_value():
    root = weight_chart([(date(2025, 3, 12), 72.5)])
    (mark,) = marks(root)
    assert mark.tooltip == f"12/03/2025{NBSP}: 72,5{NBSP}kg"
    ticks = axis_values(root)
    assert min(ticks) < 72.5 < max(ticks)
    # Centred in time: a week around the day, the day itself labelled.
    assert "12 mars" in axis_labels(root)
    assert polylines(root, "chart-series") == []


def test_the_highest_value_is_drawn_highest_and_the_latest_rightmost():
    drawn = marks(weight_chart())
    by_value = sorted(range(len(WEIGHTS)), key=lambda i: WEIGHTS[i][1])
    assert sorted(range(len(drawn)), key=lambda i: -drawn[i].y) == by_value
    assert [m.x for m in drawn] == sorted(m.x for m in drawn)
    assert drawn[0].tooltip.startswith("15/01/2024")


def test_the_value_axis_covers_every_measure_and_the_reference_band():
    root = weight_chart(reference_band=(60, 70))
    ticks = axis_values(root)
    assert min(ticks) <= 60 and max(ticks) >= 75.8
    (band,) = find_class(root, "chart-reference")
    top, bottom = sorted(float(e.get("y1")) for e in band if e.tag == f"{NS}line")
    assert all(m.y < bottom for m in marks(root))  # every weight is above 60 kg...
    assert any(m.y < top for m in marks(root))  # ...and above 70 kg
    assert "Valeurs de référence (60 à 70\u00a0kg)" in texts(root)


def test_axis_values_are_round_and_written_with_a_decimal_comma():
    points = [(date(2025, 1, 1) + timedelta(days=30 * i), 0.82 + 0.05 * i) for i in range(10)]
    root = parse(trend_chart("Glycémie", "g/L", [Series("Glycémie", points)]))
    labels = axis_labels(root, "chart-axis-y")
    assert labels[-1] == "g/L"
    assert labels[:-1] == ["0,8", "1,0", "1,2", "1,4"]
    assert marks(root)[-1].tooltip == f"28/09/2025{NBSP}: 1,27{NBSP}g/L"


def test_equal_values_give_a_flat_line_in_the_middle_of_a_sane_axis():
    points = [(date(2025, 1, 1) + timedelta(days=60 * i), 172) for i in range(6)]
    root = parse(trend_chart("Taille", "cm", [Series("Taille", points)]))
    (line,) = polylines(root, "chart-series")
    assert len({y for _x, y in line}) == 1
    ticks = axis_values(root)
    assert min(ticks) < 172 < max(ticks)
    assert max(ticks) - min(ticks) <= 50  # not a 0 to 1,000 axis
    assert "inchangée" in desc(root)


def test_the_time_axis_speaks_french_from_a_few_days_to_twenty_years():
    start = date(2025, 3, 10)
    few_days = [(start + timedelta(days=d), 3.2 + d / 100) for d in range(4)]
    assert "11 mars" in axis_labels(weight_chart(few_days))
    a_year = [(date(2024, 6, 1) + timedelta(days=30 * i), 70 + i / 10) for i in range(13)]
    labels = axis_labels(weight_chart(a_year))
    assert "janv. 2025" in labels
    twenty_years = [(date(2005 + y, 6, 1), 60 + y / 2) for y in range(21)]
    labels = axis_labels(weight_chart(twenty_years))
    assert "2010" in labels and "2020" in labels
    assert all(label.isdigit() for label in labels)


def test_the_tooltip_gives_the_local_time_of_a_datetime():
    taken = datetime(2025, 3, 12, 22, 30, tzinfo=ZoneInfo("UTC"))  # 23 h 30 in Paris
    (mark,) = marks(weight_chart([(taken, 72.5)]))
    assert mark.tooltip == f"12/03/2025 à 23 h 30{NBSP}: 72,5{NBSP}kg"


def test_flagged_measures_are_ringed_and_say_so_in_words():
    flags = [False, False, True, False, False]
    root = parse(trend_chart("Poids", "kg", [Series("Poids", WEIGHTS, flags)]))
    drawn = marks(root)
    assert [m.ringed for m in drawn] == flags
    assert drawn[2].tooltip == f"20/09/2024{NBSP}: 75,8{NBSP}kg (hors normes)"
    assert "Hors normes" in texts(root)
    assert "1 valeur hors normes." in desc(root)


def test_blood_pressure_shows_two_series_told_apart_without_colour():
    days = [date(2025, 1, 6) + timedelta(days=7 * i) for i in range(6)]
    systolic = Series("Systolique", [(d, 130 + i) for i, d in enumerate(days)])
    diastolic = Series("Diastolique", [(d, 80 + i) for i, d in enumerate(days)])
    root = parse(trend_chart("Pression artérielle", "mmHg", [systolic, diastolic]))
    lines = list(root.iter(f"{NS}polyline"))
    assert len(lines) == 2
    assert lines[0].get("stroke-dasharray") != lines[1].get("stroke-dasharray")
    drawn = marks(root)
    assert {m.shape for m in drawn[:6]} == {"circle"} and {m.shape for m in drawn[6:]} == {"rect"}
    assert drawn[0].tooltip == f"Systolique, 06/01/2025{NBSP}: 130{NBSP}mmHg"
    assert all(s.y < d.y for s, d in zip(drawn[:6], drawn[6:], strict=True))
    assert {"Systolique", "Diastolique", "135", "85"} <= set(texts(root))
    assert "Systolique\u00a0: 6 mesures" in desc(root)
    assert "Diastolique\u00a0: 6 mesures" in desc(root)


def test_the_summary_gives_the_period_the_last_value_and_its_change():
    assert desc(weight_chart()) == (
        "Poids\u00a0: 5 mesures du 15 janvier 2024 au 12 mars 2025 ; dernière valeur "
        "72,5\u00a0kg le 12 mars 2025, en hausse de 0,6\u00a0kg par rapport à la précédente ; "
        "minimum 71,9\u00a0kg, maximum 75,8\u00a0kg."
    )


def test_unsorted_measures_are_drawn_in_time_order():
    assert marks(weight_chart(list(reversed(WEIGHTS)))) == marks(weight_chart())


def test_a_missing_value_or_a_long_silence_breaks_the_line():
    with_hole = [*WEIGHTS[:2], (date(2024, 6, 1), None), *WEIGHTS[2:]]
    root = weight_chart(with_hole)
    assert [len(line) for line in polylines(root, "chart-series")] == [2, 3]
    assert len(marks(root)) == 5
    series = Series("Poids", WEIGHTS, max_gap_days=150)
    root = parse(trend_chart("Poids", "kg", [series]))
    # 78 days, then 171: cut; then 108, 65: joined.
    assert [len(line) for line in polylines(root, "chart-series")] == [2, 3]


def test_two_thousand_measures_give_a_small_chart_with_every_peak():
    start = datetime(2022, 3, 1, 7, 30, tzinfo=ZoneInfo("Europe/Paris"))
    points = [(start + timedelta(hours=12 * i), 120 + (i * 37) % 23) for i in range(2000)]
    points[1234] = (points[1234][0], 190)
    flags = [i == 1234 for i in range(2000)]
    svg = trend_chart("Automesure", "mmHg", [Series("Systolique", points, flags)])
    assert len(svg.encode()) < 30_000
    root = parse(svg)
    (line,) = polylines(root, "chart-series")
    width = float(root.get("viewBox").split()[2])
    assert len(line) <= width
    # The spike survives thinning, is marked, and the line reaches it.
    drawn = marks(root)
    (spike,) = [m for m in drawn if m.ringed]
    assert min(y for _x, y in line) == pytest.approx(spike.y, abs=0.01)
    assert "190\u00a0mmHg (hors normes)" in spike.tooltip
    assert len(drawn) == 2  # the flagged measure and the last one
    assert "2\u202f000 mesures" in desc(root)


def test_more_than_three_series_or_misaligned_flags_are_refused():
    one = Series("A", WEIGHTS)
    with pytest.raises(ValueError, match="at most 3"):
        trend_chart("Poids", "kg", [one, one, one, one])
    with pytest.raises(ValueError, match="one entry per point"):
        Series("Poids", WEIGHTS, flags=[True])
