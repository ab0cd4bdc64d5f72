"""A child's measures over reference percentile curves, against age."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from .data import AgeAxis, GrowthPoint, PercentileCurve
from .frame import (
    MARK_RADIUS,
    SWATCH,
    Box,
    Scale,
    band_swatch,
    horizontal_axis,
    legend,
    line_swatch,
    message,
    point,
    ring_swatch,
    tick_label_width,
    value_axis,
)
from .french import format_age, format_value, to_decimal
from .svg import (
    BAND,
    GUIDE,
    HATCH,
    INK,
    MUTED,
    NO_REFERENCE,
    SERIES_STYLES,
    SMALL,
    el,
    empty_chart,
    group,
    heading,
    polyline,
    spread,
    svg_root,
    text_width,
)
from .thin import thin
from .ticks import age_ticks, value_ticks

WIDTH = 720
HEIGHT = 440
CHILD_COLOUR, _dash, CHILD_SHAPE = SERIES_STYLES[0]
LABEL_OFFSET = 9.0  # px between a child's mark and its percentile label
Rect = tuple[float, float, float, float]  # left, top, right, bottom


@dataclass(frozen=True)
class _Curve:
    label: str
    median: bool
    points: list[tuple[float, Decimal]]

    @property
    def mean(self) -> float:
        return sum(float(v) for _age, v in self.points) / len(self.points)


@dataclass(frozen=True)
class _Measure:
    age: float
    value: Decimal
    percentile: str
    flagged: bool


def growth_chart(
    title: str,
    unit: str,
    age_axis: AgeAxis | Literal["months", "years"],
    curves: Sequence[PercentileCurve],
    child_points: Sequence[GrowthPoint],
    *,
    child_label: str | None = None,
    no_reference: Sequence[tuple[float, float]] = (),
    width: int = WIDTH,
    height: int = HEIGHT,
) -> SafeString:
    """An SVG growth chart: the reference curves as labelled grey lines (the P50
    bolder), the area between the two outer curves shaded, and the child's
    measures as a line whose every mark has a tooltip « 18 mois : 11,2 kg (P85) »
    and, where there is room, its percentile written next to it.

    Ages are in days; values in `unit`. `no_reference` lists spans of age (first
    day, last day) where the reference has no curve (WHO weight-for-age stops at
    10 years): they are hatched grey and named, so that curves stopping there do
    not look like a drawing error. Curves with no drawable point are left out;
    with neither curve nor measure, the chart says « Aucune mesure ».
    """
    in_months = AgeAxis(age_axis) is AgeAxis.MONTHS
    references = sorted((c for c in (_curve(c) for c in curves) if c.points), key=lambda c: c.mean)
    child = sorted(
        (
            _Measure(float(p.age_days), value, p.percentile, p.flagged)
            for p in child_points
            if (value := to_decimal(p.value)) is not None and to_decimal(p.age_days) is not None
        ),
        key=lambda m: m.age,
    )
    if not references and not child:
        return empty_chart("growth", title, width)

    items = []
    if child:
        swatch = line_swatch(CHILD_COLOUR, None, CHILD_SHAPE, 2.5)
        items.append((child_label or _("Mesures de l'enfant"), swatch))
    if len(references) > 1:
        band_text = _("Entre %(low)s et %(high)s") % {
            "low": references[0].label,
            "high": references[-1].label,
        }
        items.append((band_text, band_swatch(edged=False)))
    if any(m.flagged for m in child):
        items.append((_("Hors normes"), ring_swatch))
    gaps = [
        (float(a), float(b))
        for a, b in no_reference
        if math.isfinite(float(a)) and math.isfinite(float(b)) and float(b) > float(a)
    ]
    if gaps:
        items.append((_("Pas de référence"), _no_reference_swatch))
    legend_markup, legend_bottom = legend(items, 8, 32, width - 8)

    top, bottom = legend_bottom + 24, height - 30
    values = [v for c in references for _age, v in c.points] + [m.value for m in child]
    low, high, y_ticks = value_ticks(min(values), max(values), max(3, int((bottom - top) // 40)))
    box = Box(
        left=16 + tick_label_width(y_ticks),
        top=top,
        right=width - 14 - max((text_width(c.label, SMALL) for c in references), default=0.0),
        bottom=bottom,
    )
    ages = [a for c in references for a, _v in c.points] + [m.age for m in child]
    ages += [a for gap in gaps for a in gap]
    start, end = min(ages), max(ages)
    if end - start < 30:
        start, end = max(0.0, start - 15), end + 15
    ticks = age_ticks(start, end, box.width, in_months=in_months)
    if ticks:  # a tick a day past the end (24 months is day 730.5) widens the axis to it
        start, end = min(start, ticks[0].at), max(end, ticks[-1].at)
    x = Scale(start, end, box.left, box.right)
    y = Scale(float(low), float(high), box.bottom, box.top)

    parts: list[str] = [heading(title, 8, 22), legend_markup]
    parts.extend(_no_reference(gap, x, box) for gap in gaps)
    if len(references) > 1:
        parts.append(_band(references[0], references[-1], x, y))
    parts.append(value_axis(box, y_ticks, y, unit))
    parts.append(horizontal_axis(box, ticks, x, width))
    parts.append(_curves(references, x, y, box))
    if child:
        parts.append(_child(child, unit, x, y, box))
    else:
        parts.append(message(box, _("Aucune mesure")))
    desc = _summary(references, child, unit, gaps)
    return svg_root("growth", width, height, title, desc, *parts)


def _no_reference(gap: tuple[float, float], x: Scale, box: Box) -> SafeString:
    """A grey, hatched span, named in the legend."""
    left, right = max(x(gap[0]), box.left), min(x(gap[1]), box.right)
    parts: list[str] = [
        el(
            "rect",
            {
                "x": left,
                "y": box.top,
                "width": max(right - left, 0.0),
                "height": box.height,
                "fill": NO_REFERENCE,
            },
        )
    ]
    parts.extend(_hatching(left, box.top, right, box.bottom, 12.0))
    return group(*parts, class_="chart-no-reference")


def _hatching(left: float, top: float, right: float, bottom: float, step: float) -> list[str]:
    """Lines at 45° across a rectangle, so a span reads on a grey printout and
    without colour."""
    lines: list[str] = []
    at = left - (bottom - top)
    while at < right:
        x1 = max(at, left)
        x2 = min(at + (bottom - top), right)
        y1, y2 = bottom - (x1 - at), bottom - (x2 - at)
        lines.append(el("line", {"x1": x1, "y1": y1, "x2": x2, "y2": y2, "stroke": HATCH}))
        at += step
    return lines


def _no_reference_swatch(x: float, y: float) -> str:
    left, top = x - SWATCH / 2, y - 6
    frame = el("rect", {"x": left, "y": top, "width": SWATCH, "height": 12, "fill": NO_REFERENCE})
    return group(frame, *_hatching(left, top, left + SWATCH, top + 12, 5.0))


def _curve(curve: PercentileCurve) -> _Curve:
    points = []
    for age, raw in curve.points:
        value = to_decimal(raw)
        if value is not None and to_decimal(age) is not None:
            points.append((float(age), value))
    return _Curve(curve.label, curve.is_median, sorted(points, key=lambda p: p[0]))


def _pixels(curve: _Curve, x: Scale, y: Scale) -> list[tuple[float, float]]:
    # Reference tables come by the day (1,856 rows up to five years): far more
    # vertices than pixels, see thin.py.
    pixels = [(x(age), y(float(value))) for age, value in curve.points]
    return thin(pixels, 2.0) if len(pixels) > x.end - x.start else pixels


def _band(lower: _Curve, upper: _Curve, x: Scale, y: Scale) -> SafeString:
    outline = _pixels(lower, x, y) + _pixels(upper, x, y)[::-1]
    return el("polygon", {"class": "chart-reference", "points": polyline(outline), "fill": BAND})


def _curves(references: list[_Curve], x: Scale, y: Scale, box: Box) -> SafeString:
    lines = []
    for curve in references:
        lines.append(
            el(
                "polyline",
                {
                    "points": polyline(_pixels(curve, x, y)),
                    "fill": "none",
                    "stroke": GUIDE,
                    "stroke-width": 2.25 if curve.median else 1,
                    "stroke-linejoin": "round",
                },
            )
        )
    # Labels at the right end of each curve, kept apart where curves converge.
    wanted = [y(float(c.points[-1][1])) + 4 for c in references]
    placed = spread(wanted, SMALL + 1, box.top + 4, box.bottom + 4)
    for curve, at in zip(references, placed, strict=True):
        lines.append(
            el(
                "text",
                {
                    "x": x(curve.points[-1][0]) + 6,
                    "y": at,
                    "font-size": SMALL,
                    "font-weight": "700" if curve.median else None,
                    "fill": INK if curve.median else MUTED,
                },
                text=curve.label,
            )
        )
    return group(*lines, class_="chart-percentiles")


def _child(child: list[_Measure], unit: str, x: Scale, y: Scale, box: Box) -> SafeString:
    pixels = [(x(m.age), y(float(m.value))) for m in child]
    parts: list[str] = []
    if len(child) > 1:
        parts.append(
            el(
                "polyline",
                {
                    "points": polyline(pixels),
                    "fill": "none",
                    "stroke": CHILD_COLOUR,
                    "stroke-width": 2.5,
                    "stroke-linejoin": "round",
                },
            )
        )
    for m, (px, py) in zip(child, pixels, strict=True):
        tooltip = _("%(age)s\u00a0: %(value)s") % {
            "age": format_age(m.age),
            "value": format_value(m.value, unit),
        }
        if m.percentile:
            tooltip += f" ({m.percentile})"
        if m.flagged:
            tooltip = _("%(measure)s (hors normes)") % {"measure": tooltip}
        parts.append(point(CHILD_SHAPE, CHILD_COLOUR, px, py, tooltip, flagged=m.flagged))
    parts.append(_percentile_labels(child, pixels, box))
    return group(*parts, class_="chart-child")


def _percentile_labels(
    child: list[_Measure], pixels: list[tuple[float, float]], box: Box
) -> SafeString:
    """Each measure's percentile written beside it, above, below, right or left,
    wherever it covers no other mark, label or stretch of the child's line; where
    none is free the tooltip still says it. The most recent measures are placed
    first: they matter most."""
    reach = MARK_RADIUS + 4
    taken: list[Rect] = [(px - reach, py - reach, px + reach, py + reach) for px, py in pixels]
    segments = list(itertools.pairwise(pixels))
    labels: list[str] = []
    for i in range(len(child) - 1, -1, -1):
        text = child[i].percentile
        if not text:
            continue
        px, py = pixels[i]
        w, h = text_width(text, SMALL) + 6, SMALL + 5
        d = LABEL_OFFSET + (4 if child[i].flagged else 0)
        # Above and below slide sideways to stay in the plot: the measure at
        # birth sits on its left edge.
        centred = min(max(px - w / 2, box.left), box.right - w)
        for left, top in (
            (centred, py - d - h),
            (centred, py + d),
            (px + d, py - h / 2),
            (px - d - w, py - h / 2),
        ):
            rect = (left, top, left + w, top + h)
            if not (box.left <= left and left + w <= box.right):
                continue
            if not (box.top <= top and top + h <= box.bottom):
                continue
            if any(_overlap(rect, other) for other in taken):
                continue
            if any(_crosses(rect, a, b) for a, b in segments):
                continue
            taken.append(rect)
            labels.append(
                group(
                    el(
                        "rect",
                        {
                            "x": left,
                            "y": top,
                            "width": w,
                            "height": h,
                            "rx": 2,
                            "fill": "#fff",
                            "fill-opacity": 0.85,
                        },
                    ),
                    el(
                        "text",
                        {
                            "x": left + w / 2,
                            "y": top + h - 4,
                            "text-anchor": "middle",
                            "font-size": SMALL,
                            "font-weight": "600",
                            "fill": INK,
                        },
                        text=text,
                    ),
                    class_="chart-percentile",
                )
            )
            break
    return group(*labels[::-1], class_="chart-percentile-labels")


def _overlap(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _crosses(rect: Rect, a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Whether segment a-b passes through the rectangle (Liang-Barsky clipping)."""
    t0, t1 = 0.0, 1.0
    dx, dy = b[0] - a[0], b[1] - a[1]
    for p, q in (
        (-dx, a[0] - rect[0]),
        (dx, rect[2] - a[0]),
        (-dy, a[1] - rect[1]),
        (dy, rect[3] - a[1]),
    ):
        if p == 0:
            if q < 0:
                return False
            continue
        t = q / p
        if p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return False
    return True


def _age_phrase(age_days: float) -> str:
    return _("la naissance") if age_days <= 0 else format_age(age_days)


def _summary(
    references: list[_Curve], child: list[_Measure], unit: str, gaps: list[tuple[float, float]]
) -> str:
    sentences = []
    if not child:
        sentences.append(_("Aucune mesure de l'enfant."))
    else:
        last = child[-1]
        value = format_value(last.value, unit)
        if last.percentile:
            value += f" ({last.percentile})"
        if len(child) == 1:
            sentences.append(
                _("Une mesure, à %(age)s\u00a0: %(value)s.")
                % {"age": _age_phrase(last.age), "value": value}
            )
        else:
            sentences.append(
                _(
                    "%(count)d mesures, de %(first)s à %(last)s ; dernière mesure à "
                    "%(age)s\u00a0: %(value)s."
                )
                % {
                    "count": len(child),
                    "first": _age_phrase(child[0].age),
                    "last": _age_phrase(last.age),
                    "age": _age_phrase(last.age),
                    "value": value,
                }
            )
    if references:
        sentences.append(
            _("Courbes de référence\u00a0: %(labels)s.")
            % {"labels": ", ".join(c.label for c in references)}
        )
    for start, end in gaps:
        sentences.append(
            _("Pas de référence de %(first)s à %(last)s.")
            % {"first": _age_phrase(start), "last": _age_phrase(end)}
        )
    return " ".join(sentences)
