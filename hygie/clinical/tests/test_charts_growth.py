"""Growth charts: reference curves, the child's measures, and their percentiles."""

from __future__ import annotations

import pytest

from hygie.clinical.charts import AgeAxis, GrowthPoint, PercentileCurve, growth_chart
from hygie.clinical.charts.french import DAYS_PER_MONTH, DAYS_PER_YEAR

from .charts_support import (
    NS,
    axis_labels,
    axis_values,
    find_class,
    marks,
    parse,
    polylines,
    tag,
    texts,
)

NBSP = "\u00a0"
SPREAD = {"P3": -2, "P15": -1, "P50": 0, "P85": 1, "P97": 2}


def curves(last_day: float = 730.5, step: float = 10.0) -> list[PercentileCurve]:
    """Made-up weight curves, widening with age, one point every `step` days."""
    ages = [i * step for i in range(int(last_day / step) + 1)]
    return [
        PercentileCurve(
            label, [(a, round(3.3 + 0.012 * a + k * (0.4 + 0.001 * a), 3)) for a in ages]
        )
        for label, k in SPREAD.items()
    ]


CHILD = [
    GrowthPoint(0, 3.4, "P50"),
    GrowthPoint(4 * DAYS_PER_MONTH, 7.1, "P62"),
    GrowthPoint(9 * DAYS_PER_MONTH, 9.0, "P70"),
    GrowthPoint(18 * DAYS_PER_MONTH, 11.2, "P85"),
]


def infant(child=CHILD, axis=AgeAxis.MONTHS, **kwargs):
    return parse(growth_chart("Poids selon l'âge", "kg", axis, curves(), child, **kwargs))


def desc(root):
    return root.find(f"{NS}desc").text


def test_each_reference_curve_is_drawn_and_labelled_the_median_bolder():
    root = infant()
    (group,) = find_class(root, "chart-percentiles")
    lines = [e for e in group if tag(e) == "polyline"]
    labels = [e for e in group if tag(e) == "text"]
    assert [e.text for e in labels] == ["P3", "P15", "P50", "P85", "P97"]
    widths = [float(e.get("stroke-width")) for e in lines]
    assert widths[2] > max(widths[:2] + widths[3:])
    assert labels[2].get("font-weight") == "700"
    # Labelled at their right end, lowest curve lowest.
    ys = [float(e.get("y")) for e in labels]
    assert ys == sorted(ys, reverse=True)


def test_the_area_between_the_outer_curves_is_shaded_and_named():
    root = infant()
    (band,) = find_class(root, "chart-reference")
    assert tag(band) == "polygon"
    assert "Entre P3 et P97" in texts(root)


def test_each_measure_has_a_tooltip_with_age_value_and_percentile():
    drawn = marks(infant())
    assert [m.tooltip for m in drawn] == [
        f"naissance{NBSP}: 3,4{NBSP}kg (P50)",
        f"4 mois{NBSP}: 7,1{NBSP}kg (P62)",
        f"9 mois{NBSP}: 9{NBSP}kg (P70)",
        f"18 mois{NBSP}: 11,2{NBSP}kg (P85)",
    ]


def test_the_heaviest_measure_is_drawn_highest_and_the_oldest_rightmost():
    drawn = marks(infant())
    assert [m.y for m in drawn] == sorted((m.y for m in drawn), reverse=True)
    assert [m.x for m in drawn] == sorted(m.x for m in drawn)
    (line,) = polylines(infant(), "chart-child")
    assert [(round(x, 1), round(y, 1)) for x, y in line] == [
        (round(m.x, 1), round(m.y, 1)) for m in drawn
    ]


def test_spaced_measures_show_their_percentile_beside_them():
    root = infant()
    shown = [e.text for g in find_class(root, "chart-percentile") for e in g if tag(e) == "text"]
    assert shown == ["P50", "P62", "P70", "P85"]


def test_crowded_measures_keep_their_percentile_in_the_tooltip_without_overlap():
    crowded = [GrowthPoint(300 + 3 * i, 8.6 + 0.01 * i, f"P{60 + i}") for i in range(20)]
    root = infant(crowded)
    assert len(marks(root)) == 20
    assert all(m.tooltip.endswith(f"(P{60 + i})") for i, m in enumerate(marks(root)))
    boxes = []
    for g in find_class(root, "chart-percentile"):
        rect = next(e for e in g if tag(e) == "rect")
        x, y = float(rect.get("x")), float(rect.get("y"))
        boxes.append((x, y, x + float(rect.get("width")), y + float(rect.get("height"))))
    assert 0 < len(boxes) < 20
    # The latest measure is the one that matters most: it always has its label.
    assert "P79" in texts(root)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3])


def test_the_age_axis_counts_months_on_a_two_year_chart():
    labels = axis_labels(infant())
    assert labels[0] == "naissance"
    assert "6 mois" in labels and "24 mois" in labels
    assert not [label for label in labels if "an" in label.split()]


def test_the_age_axis_counts_years_on_a_long_chart():
    years = [
        PercentileCurve(label, [(y * DAYS_PER_YEAR, 15 + y / 2 + k) for y in range(2, 19)])
        for label, k in SPREAD.items()
    ]
    child = [GrowthPoint(y * DAYS_PER_YEAR, 15.5 + y / 2, "P60") for y in (2, 5, 9)]
    root = parse(growth_chart("IMC", "kg/m²", AgeAxis.YEARS, years, child))
    labels = axis_labels(root)
    assert labels[0] == "2 ans" and "10 ans" in labels and labels[-1] == "18 ans"
    assert marks(root)[-1].tooltip == f"9 ans{NBSP}: 20{NBSP}kg/m² (P60)"


def test_a_chart_in_years_says_months_before_two_years():
    root = infant(axis="years")
    labels = axis_labels(root)
    assert "18 mois" in labels or "12 mois" in labels
    assert "2 ans" in labels


def test_the_value_axis_covers_curves_and_measures():
    high = [*CHILD, GrowthPoint(20 * DAYS_PER_MONTH, 19.5, "> P99", flagged=True)]
    root = infant(high)
    ticks = axis_values(root)
    assert min(ticks) <= 3.3 - 0.8 and max(ticks) >= 19.5
    assert marks(root)[-1].ringed
    assert "Hors normes" in texts(root)


def test_curves_without_measures_say_aucune_mesure():
    root = infant([])
    assert "Aucune mesure" in texts(root)
    assert len(polylines(root, "chart-percentiles")) == 5
    assert marks(root) == []
    assert desc(root).startswith("Aucune mesure de l'enfant.")


def test_nothing_at_all_gives_the_empty_chart():
    root = parse(growth_chart("Poids selon l'âge", "kg", AgeAxis.MONTHS, [], []))
    assert "Aucune mesure" in texts(root)
    assert desc(root) == f"Poids selon l'âge{NBSP}: aucune mesure."


def test_a_single_measure_without_curves_is_drawn():
    root = parse(growth_chart("Poids", "kg", "months", [], [GrowthPoint(45, 4.9, "P40")]))
    (mark,) = marks(root)
    assert mark.tooltip == f"1 mois{NBSP}: 4,9{NBSP}kg (P40)"
    assert desc(root) == f"Une mesure, à 1 mois{NBSP}: 4,9{NBSP}kg (P40)."


def test_the_summary_gives_the_last_measure_and_its_percentile():
    assert desc(infant()) == (
        f"4 mesures, de la naissance à 18 mois ; dernière mesure à 18 mois{NBSP}: "
        f"11,2{NBSP}kg (P85). Courbes de référence{NBSP}: P3, P15, P50, P85, P97."
    )


def test_daily_reference_tables_are_thinned_to_the_width():
    root = parse(growth_chart("Poids", "kg", AgeAxis.MONTHS, curves(step=1.0), CHILD))
    width = float(root.get("viewBox").split()[2])
    assert all(len(line) <= width for line in polylines(root, "chart-percentiles"))


def test_ages_without_reference_are_hatched_and_named():
    child = [*CHILD, GrowthPoint(30 * DAYS_PER_MONTH, 13.0)]
    root = parse(
        growth_chart(
            "Poids",
            "kg",
            AgeAxis.MONTHS,
            curves(),
            child,
            no_reference=[(730.5, 36 * DAYS_PER_MONTH)],
        )
    )
    (span,) = find_class(root, "chart-no-reference")
    area = next(e for e in span if tag(e) == "rect")
    last_curve_x = max(x for line in polylines(root, "chart-percentiles") for x, _y in line)
    assert float(area.get("x")) == pytest.approx(last_curve_x, abs=1)  # day 730 vs 730.5
    assert "36 mois" in axis_labels(root)
    assert "Pas de référence" in texts(root)
    assert desc(root).endswith("Pas de référence de 2 ans à 3 ans.")
    # The measure past the reference has no percentile to show, and says none.
    assert marks(root)[-1].tooltip == f"2 ans 6 mois{NBSP}: 13{NBSP}kg"


def test_the_median_of_a_z_score_chart_is_bolder_too():
    lines = [
        PercentileCurve(label, [(0, 3.3 + k), (365, 9.6 + k)])
        for label, k in (("\u22122\u00a0DS", -1), ("0\u00a0DS", 0), ("+2\u00a0DS", 1))
    ]
    root = parse(growth_chart("Poids", "kg", AgeAxis.MONTHS, lines, CHILD[:2]))
    (group,) = find_class(root, "chart-percentiles")
    widths = [float(e.get("stroke-width")) for e in group if tag(e) == "polyline"]
    assert widths[1] > widths[0] == widths[2]
