"""The charts are markup built from callers' text: it must stay text, the SVG must
stay within what Hygie's CSP allows, and the same data must give the same bytes."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

import pytest

from hygie.clinical.charts import (
    AgeAxis,
    GrowthPoint,
    PercentileCurve,
    Series,
    growth_chart,
    trend_chart,
)
from hygie.clinical.charts.preview import EXAMPLES

from .charts_support import NS, marks, parse, texts, tooltip, violations

HOSTILE = [
    "<script>alert(1)</script>",
    '" onload="alert(1)',
    "' onmouseover='x",
    "]]><!ENTITY x SYSTEM 'file:///etc/passwd'>",
    "&amp; &lt; &#x3C;",
    "<image href='https://evil.example/x.png'/>",
]


def hostile_trend(text: str) -> str:
    return trend_chart(
        text,
        text,
        [Series(text, [(date(2025, 3, 12), 72.5), (date(2025, 4, 12), 73)], [True, False])],
        reference_band=(70, 75),
    )


def hostile_growth(text: str) -> str:
    curves = [
        PercentileCurve(text, [(0, 3.0), (365, 9.0)]),
        PercentileCurve("P50", [(0, 3.5), (365, 10.0)]),
    ]
    child = [GrowthPoint(30, 4.5, text), GrowthPoint(200, 8.0, text, flagged=True)]
    return growth_chart(text, text, AgeAxis.MONTHS, curves, child, child_label=text)


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_chart_is_well_formed_svg_within_the_allowlist(name):
    svg = EXAMPLES[name]()
    root = parse(svg)
    assert root.tag == f"{NS}svg"
    assert root.get("role") == "img"
    assert violations(svg) == []


@pytest.mark.parametrize("text", HOSTILE)
def test_a_hostile_label_stays_text_in_a_trend_chart(text):
    svg = hostile_trend(text)
    assert "<script" not in svg and "<image" not in svg and "<!ENTITY" not in svg
    assert violations(svg) == []
    root = parse(svg)
    # The text comes back exactly as given: escaped once, not dropped, not doubled.
    assert text in texts(root)  # heading and legend
    assert tooltip(root) == text
    point_titles = [e.text or "" for e in root.iter(f"{NS}title")]
    assert f"12/03/2025\u00a0: 72,5\u00a0{text} (hors normes)" in point_titles


@pytest.mark.parametrize("text", HOSTILE)
def test_a_hostile_label_stays_text_in_a_growth_chart(text):
    svg = growth_chart(
        text, text, AgeAxis.MONTHS, [PercentileCurve(text, [(0, 3.0), (365, 9.0)])], []
    )
    assert violations(svg) == []
    svg = hostile_growth(text)
    assert "<script" not in svg and "<image" not in svg
    assert violations(svg) == []
    root = parse(svg)
    shown = texts(root)
    assert shown.count(text) >= 3  # heading, legend, curve label (and percentile labels)
    point_titles = [e.text or "" for e in root.iter(f"{NS}title")]
    assert sum(text in t for t in point_titles) >= 3  # chart title and both measures


def test_a_hostile_label_adds_no_attribute():
    root = parse(hostile_trend('" onload="alert(1)'))
    names = {name for e in root.iter() for name in e.attrib}
    assert not [n for n in names if n.startswith("on")]
    assert "style" not in names


def test_the_chart_is_named_and_described_for_assistive_technology():
    root = parse(trend_chart("Poids", "kg", [Series("Poids", [(date(2025, 3, 12), 72.5)])]))
    title, desc = root.find(f"{NS}title"), root.find(f"{NS}desc")
    assert title is not None and desc is not None
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert title.text == "Poids"
    assert desc.text == "Poids\u00a0: une mesure, 72,5\u00a0kg le 12 mars 2025."


def test_the_same_data_gives_the_same_bytes():
    assert hostile_trend("Poids") == hostile_trend("Poids")
    assert hostile_growth("P3") == hostile_growth("P3")
    for make in EXAMPLES.values():
        assert make() == make()


def test_two_different_charts_do_not_share_element_ids():
    a = parse(trend_chart("Poids", "kg", [Series("Poids", [(date(2025, 1, 1), 70)])]))
    b = parse(trend_chart("Poids", "kg", [Series("Poids", [(date(2025, 1, 1), 71)])]))
    ids_a = {e.get("id") for e in a.iter() if e.get("id")}
    ids_b = {e.get("id") for e in b.iter() if e.get("id")}
    assert ids_a and ids_b and not ids_a & ids_b


def test_values_that_cannot_be_drawn_are_left_out_not_written_out():
    points = [
        (date(2025, 1, 1), 70.0),
        (date(2025, 2, 1), math.nan),
        (date(2025, 3, 1), math.inf),
        (date(2025, 4, 1), Decimal("NaN")),
        (date(2025, 5, 1), 1e308),
        (date(2025, 6, 1), 71.0),
    ]
    svg = trend_chart("Poids", "kg", [Series("Poids", points)])
    assert violations(svg) == []
    values = " ".join(v for e in parse(svg).iter() for v in e.attrib.values()).lower()
    assert "nan" not in values and "inf" not in values and "e+" not in values
    assert len(marks(parse(svg))) == 2
