"""Vital signs over calendar time: weight, BMI, blood pressure (two series)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .data import Series
from .frame import (
    Box,
    Scale,
    band_swatch,
    horizontal_axis,
    legend,
    line_swatch,
    point,
    ring_swatch,
    tick_label_width,
    value_axis,
)
from .french import (
    Number,
    day_position,
    format_date,
    format_number,
    format_value,
    numeric_date,
    to_decimal,
)
from .svg import (
    BAND,
    GUIDE,
    INK,
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
from .ticks import date_ticks, value_ticks

WIDTH = 720
HEIGHT = 300
# Every measure gets its own mark (and tooltip) while there are at least this
# many pixels of width per measure; beyond, the line alone carries the series,
# and only flagged, isolated and last measures are marked (see README).
PX_PER_MARK = 6.0
THIN_BUCKET = 2.0  # px: a polyline keeps at most two vertices per 2 px column
FLAG_BUCKET = 4.0  # px: in a dense series, one flagged mark per 4 px column


@dataclass(frozen=True)
class _Measure:
    at: float  # days on the time axis, see french.day_position
    moment: date
    value: Decimal
    flagged: bool


@dataclass(frozen=True)
class _Line:
    label: str
    colour: str
    dash: str | None
    shape: str
    runs: list[list[_Measure]]

    @property
    def measures(self) -> list[_Measure]:
        return [m for run in self.runs for m in run]


def _runs(series: Series) -> list[list[_Measure]]:
    """The drawable measures in time order, cut at gaps: a missing value, or
    more than max_gap_days between two measures."""
    flags = list(series.flags) or [False] * len(series.points)
    zone = timezone.get_current_timezone()
    positions = [day_position(moment, zone) for moment, _value in series.points]
    order = sorted(range(len(series.points)), key=positions.__getitem__)
    runs: list[list[_Measure]] = []
    run: list[_Measure] = []
    gap = series.max_gap_days
    for i in order:
        moment, raw = series.points[i]
        value = to_decimal(raw) if raw is not None else None
        at = positions[i]
        if run and (value is None or (gap is not None and at - run[-1].at > gap)):
            runs.append(run)
            run = []
        if value is not None:
            run.append(_Measure(at, moment, value, bool(flags[i])))
    if run:
        runs.append(run)
    return runs


def trend_chart(
    title: str,
    unit: str,
    series: Sequence[Series],
    reference_band: tuple[Number, Number] | None = None,
    *,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> SafeString:
    """An SVG line chart of up to three series over time, with an optional shaded
    reference band (low, high) in the unit of the values.

    Values are written as given (at most three decimals: round computed values
    such as a BMI first). With no drawable measure at all, the chart is a short
    frame saying « Aucune mesure ». Raises ValueError for more than three series:
    a fourth colour would no longer be told apart by colour-blind readers.
    """
    if len(series) > len(SERIES_STYLES):
        raise ValueError(f"at most {len(SERIES_STYLES)} series on one chart")
    lines = [
        _Line(s.label, colour, dash, shape, _runs(s))
        for s, (colour, dash, shape) in zip(series, SERIES_STYLES, strict=False)
    ]
    measures = [m for line in lines for m in line.measures]
    if not measures:
        return empty_chart("trend", title, width)
    band = _band(reference_band)

    items = [(ln.label, line_swatch(ln.colour, ln.dash, ln.shape)) for ln in lines if ln.runs]
    if band:
        band_text = _("Valeurs de référence (%(low)s à %(high)s)") % {
            "low": format_value(band[0], ""),
            "high": format_value(band[1], unit),
        }
        items.append((band_text, band_swatch(edged=True)))
    if any(m.flagged for m in measures):
        items.append((_("Hors normes"), ring_swatch))
    # A lone series is already named by the title: no legend that repeats it.
    legend_markup, legend_bottom = legend(items if len(items) > 1 else [], 8, 32, width - 8)

    top, bottom = legend_bottom + 24, height - 30
    values = [m.value for m in measures] + list(band or ())
    low, high, y_ticks = value_ticks(min(values), max(values), max(3, int((bottom - top) // 45)))
    end_labels = [format_value(ln.measures[-1].value, "") for ln in lines if ln.runs]
    box = Box(
        left=16 + tick_label_width(y_ticks),
        top=top,
        right=width - 14 - max(text_width(t, SMALL) for t in end_labels),
        bottom=bottom,
    )
    start, end = min(m.at for m in measures), max(m.at for m in measures)
    # A little air at both ends, so the first and last marks clear the edges; a
    # single day is shown as a week around it.
    pad = 3.0 if end - start < 1 else (end - start) * 0.03
    x = Scale(start - pad, end + pad, box.left, box.right)
    y = Scale(float(low), float(high), box.bottom, box.top)

    parts: list[str] = [heading(title, 8, 22), legend_markup]
    if band:
        parts.append(_band_markup(box, y, band))
    parts.append(value_axis(box, y_ticks, y, unit))
    parts.append(horizontal_axis(box, date_ticks(x.low, x.high, box.width), x, width))
    several = sum(1 for ln in lines if ln.runs) > 1
    marks: list[str] = []
    for line in lines:
        # Density is per series: two series' marks sit at different heights.
        dense = len(line.measures) > box.width / PX_PER_MARK
        parts.append(_line_markup(line, x, y, thin_stroke=dense))
        for m in _marked(line, x, dense):
            tooltip = _tooltip(m, unit, line.label if several else None)
            marks.append(
                point(
                    line.shape, line.colour, x(m.at), y(float(m.value)), tooltip, flagged=m.flagged
                )
            )
    parts.extend(marks)
    parts.append(_end_labels(lines, end_labels, x, y, box))
    return svg_root("trend", width, height, title, _summary(lines, band, unit), *parts)


def _tooltip(m: _Measure, unit: str, series: str | None) -> str:
    """« 12/03/2025 : 72,5 kg », named after its series when there are several."""
    text = _("%(date)s\u00a0: %(value)s") % {
        "date": numeric_date(m.moment),
        "value": format_value(m.value, unit),
    }
    if series is not None:
        text = _("%(series)s, %(measure)s") % {"series": series, "measure": text}
    if m.flagged:
        text = _("%(measure)s (hors normes)") % {"measure": text}
    return text


def _band(reference_band: tuple[Number, Number] | None) -> tuple[Decimal, Decimal] | None:
    if reference_band is None:
        return None
    low, high = (to_decimal(v) for v in reference_band)
    if low is None or high is None:
        raise ValueError("reference_band needs two finite numbers")
    return (min(low, high), max(low, high))


def _band_markup(box: Box, y: Scale, band: tuple[Decimal, Decimal]) -> SafeString:
    top, bottom = y(float(band[1])), y(float(band[0]))
    edges = [
        el(
            "line",
            {
                "x1": box.left,
                "y1": at,
                "x2": box.right,
                "y2": at,
                "stroke": GUIDE,
                "stroke-width": 0.75,
                "stroke-dasharray": "4 3",
            },
        )
        for at in (top, bottom)
    ]
    area = el(
        "rect",
        {
            "x": box.left,
            "y": top,
            "width": box.width,
            "height": max(bottom - top, 0.0),
            "fill": BAND,
        },
    )
    return group(area, *edges, class_="chart-reference")


def _line_markup(line: _Line, x: Scale, y: Scale, *, thin_stroke: bool) -> SafeString:
    paths = []
    for run in line.runs:
        if len(run) < 2:
            continue
        pixels = [(x(m.at), y(float(m.value))) for m in run]
        if len(pixels) > x.end - x.start:
            pixels = thin(pixels, THIN_BUCKET)
        paths.append(
            el(
                "polyline",
                {
                    "points": polyline(pixels),
                    "fill": "none",
                    "stroke": line.colour,
                    # Hundreds of zigzags at 2 px merge into a blot; thinner
                    # they still read as a band with its peaks.
                    "stroke-width": 1.25 if thin_stroke else 2,
                    "stroke-dasharray": line.dash,
                    "stroke-linejoin": "round",
                    "stroke-linecap": "round",
                },
            )
        )
    return group(*paths, class_="chart-series")


def _marked(line: _Line, x: Scale, dense: bool) -> list[_Measure]:
    """Measures drawn with a mark and a tooltip: all of them, unless the chart is
    too dense to tell them apart; then the flagged ones (one per few pixels),
    measures standing alone between gaps, and the last one."""
    if not dense:
        return line.measures
    chosen: list[_Measure] = []
    flagged_columns: set[int] = set()
    for run in line.runs:
        for m in run:
            column = int(x(m.at) // FLAG_BUCKET)
            if m.flagged and column not in flagged_columns:
                flagged_columns.add(column)
                chosen.append(m)
            elif len(run) == 1:
                chosen.append(m)
    last = line.measures[-1]
    if not chosen or chosen[-1] is not last:
        chosen.append(last)
    return chosen


def _end_labels(lines: list[_Line], labels: list[str], x: Scale, y: Scale, box: Box) -> SafeString:
    """The last value of each series written next to its last mark, the figure a
    reader looks for first; spread apart when two series end close together."""
    ends = [ln.measures[-1] for ln in lines if ln.runs]
    wanted = [y(float(m.value)) + 4 for m in ends]
    placed = spread(wanted, SMALL + 2, box.top + 4, box.bottom + 4)
    texts = [
        el(
            "text",
            {"x": x(m.at) + 10, "y": at, "font-size": SMALL, "font-weight": "600", "fill": INK},
            text=label,
        )
        for m, at, label in zip(ends, placed, labels, strict=True)
    ]
    return group(*texts, class_="chart-last-values")


def _summary(lines: list[_Line], band: tuple[Decimal, Decimal] | None, unit: str) -> str:
    """The text a screen reader gives for the whole chart: per series, the count,
    the period, the last value and its change, the extremes."""
    sentences = []
    for line in lines:
        measures = line.measures
        if not measures:
            sentences.append(_("%(series)s\u00a0: aucune mesure.") % {"series": line.label})
            continue
        last = measures[-1]
        if len(measures) == 1:
            sentences.append(
                _("%(series)s\u00a0: une mesure, %(value)s le %(date)s.")
                % {
                    "series": line.label,
                    "value": format_value(last.value, unit),
                    "date": format_date(last.moment),
                }
            )
            continue
        change = last.value - measures[-2].value
        if change > 0:
            trend = _("en hausse de %(delta)s") % {"delta": format_value(change, unit)}
        elif change < 0:
            trend = _("en baisse de %(delta)s") % {"delta": format_value(-change, unit)}
        else:
            trend = _("inchangée")
        values = [m.value for m in measures]
        sentences.append(
            _(
                "%(series)s\u00a0: %(count)s mesures du %(first)s au %(last)s ; dernière valeur "
                "%(value)s le %(date)s, %(trend)s par rapport à la précédente ; minimum "
                "%(min)s, maximum %(max)s."
            )
            % {
                "series": line.label,
                "count": format_number(Decimal(len(measures)), 0),
                "first": format_date(measures[0].moment),
                "last": format_date(last.moment),
                "value": format_value(last.value, unit),
                "date": format_date(last.moment),
                "trend": trend,
                "min": format_value(min(values), unit),
                "max": format_value(max(values), unit),
            }
        )
        flagged = sum(1 for m in measures if m.flagged)
        if flagged:
            sentences.append(
                ngettext("%(n)d valeur hors normes.", "%(n)d valeurs hors normes.", flagged)
                % {"n": flagged}
            )
    if band:
        sentences.append(
            _("Valeurs de référence\u00a0: de %(low)s à %(high)s.")
            % {"low": format_value(band[0], unit), "high": format_value(band[1], unit)}
        )
    return " ".join(sentences)
