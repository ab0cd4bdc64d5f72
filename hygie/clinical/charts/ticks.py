"""Axis ticks: round values, calendar dates, children's ages.

Each function picks the finest step whose labels do not collide at the given
plot width, so a chart over three days, three years or three centuries reads
the same way.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import TypeAlias

from .french import (
    DAYS_PER_MONTH,
    age_tick_label,
    decimal_places,
    format_number,
    short_day,
    short_month,
)
from .svg import FONT_SIZE, text_width

LABEL_GAP = 10.0  # px of white between two tick labels
LAST_DAY = date.max.toordinal()
TickGen: TypeAlias = Callable[[float, float], Iterator[tuple[int, date]]]


@dataclass(frozen=True)
class Tick:
    at: float  # in the axis's own unit: a value, a day ordinal, an age in days
    label: str | None  # None: a light grid line without label


def value_ticks(low: Decimal, high: Decimal, count: int = 5) -> tuple[Decimal, Decimal, list[Tick]]:
    """About `count` round ticks (1, 2, 2,5 or 5 times a power of ten) covering [low, high];
    returns the axis bounds (on ticks) and the ticks. Exact in Decimal, so the
    labels read 72,5 and never 72,49999."""
    if high < low:
        low, high = high, low
    if high == low:
        # One value, or all equal: a band around it, so the line sits mid-height.
        pad = abs(high) / 10 if high else Decimal(1)
        low, high = low - pad, high + pad
    raw = (high - low) / count
    magnitude = Decimal(1).scaleb(raw.adjusted())
    step = magnitude * 10
    for factor in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5)):
        if magnitude * factor >= raw:
            step = magnitude * factor
            break
    first = (low / step).to_integral_value(rounding=ROUND_FLOOR) * step
    last = (high / step).to_integral_value(rounding=ROUND_CEILING) * step
    places = decimal_places(step)
    ticks = []
    value = first
    while value <= last:
        ticks.append(Tick(float(value), format_number(value, places)))
        value += step
    return first, last, ticks


def _fits(ticks: list[Tick], px_per_unit: float) -> bool:
    labelled = [t for t in ticks if t.label]
    for a, b in itertools.pairwise(labelled):
        room = (b.at - a.at) * px_per_unit
        if room < (text_width(a.label or "") + text_width(b.label or "")) / 2 + LABEL_GAP:
            return False
    return bool(labelled)


def _day_ticks(step: int) -> TickGen:
    def gen(start: float, end: float) -> Iterator[tuple[int, date]]:
        # Weeks start on Monday: ordinal 1 (1 January of year 1) was a Monday.
        n = math.ceil((math.ceil(start) - 1) / step) * step + 1
        while n < 1:
            n += step
        while n <= min(end, LAST_DAY):
            yield n, date.fromordinal(n)
            n += step

    return gen


def _month_ticks(step: int) -> TickGen:
    def gen(start: float, end: float) -> Iterator[tuple[int, date]]:
        d = date.fromordinal(min(max(1, math.ceil(start)), LAST_DAY))
        index = d.year * 12 + d.month - 1 + (0 if d.day == 1 else 1)
        index = math.ceil(index / step) * step
        while index < 10000 * 12:
            tick = date(index // 12, index % 12 + 1, 1)
            if tick.toordinal() > end:
                break
            yield tick.toordinal(), tick
            index += step

    return gen


def _year_ticks(step: int) -> TickGen:
    def gen(start: float, end: float) -> Iterator[tuple[int, date]]:
        d = date.fromordinal(min(max(1, math.ceil(start)), LAST_DAY))
        year = d.year + (0 if (d.month, d.day) == (1, 1) else 1)
        year = max(step, math.ceil(year / step) * step)
        while year <= 9999 and date(year, 1, 1).toordinal() <= end:
            yield date(year, 1, 1).toordinal(), date(year, 1, 1)
            year += step

    return gen


# (about how many days a step spans, calendar unit, step in that unit)
_DATE_STEPS: list[tuple[float, str, int]] = [
    (1, "day", 1),
    (2, "day", 2),
    (7, "day", 7),
    (14, "day", 14),
    (30.4, "month", 1),
    (61, "month", 2),
    (91, "month", 3),
    (183, "month", 6),
    *[(365.25 * y, "year", y) for y in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)],
]


def date_ticks(start: float, end: float, plot_width: float) -> list[Tick]:
    """Ticks for a time axis from day ordinal `start` to `end`: days (« 12 mars »),
    months (« mars », the year written on the first tick and on each January:
    « janv. 2025 ») or years (« 2025 »)."""
    px_per_day = plot_width / max(end - start, 1e-9)
    ticks: list[Tick] = []
    for days, unit, step in _DATE_STEPS:
        if days * px_per_day < 2 * FONT_SIZE:
            continue  # far too dense to try: a century by the day is 36 525 ticks
        gen = {"day": _day_ticks, "month": _month_ticks, "year": _year_ticks}[unit](step)
        ticks = []
        previous_year: int | None = None
        for at, d in gen(start, end):
            new_year = d.year != previous_year
            if unit == "day":
                label = short_day(d, with_year=new_year)
            elif unit == "month":
                label = short_month(d.month, d.year if new_year else None)
            else:
                label = str(d.year)
            previous_year = d.year
            ticks.append(Tick(at, label))
        if _fits(ticks, px_per_day):
            return ticks
    return ticks


def age_ticks(
    start_days: float, end_days: float, plot_width: float, *, in_months: bool
) -> list[Tick]:
    """Ticks for a child's age, at whole months as WHO counts them. In months:
    « naissance », « 6 mois », « 30 mois ». In years: « 18 mois » below two
    years, « 2 ans », « 3 ans » after; a step finer than a year past two years
    gives unlabelled lines between birthdays, at most one between two labels."""
    px_per_day = plot_width / max(end_days - start_days, 1e-9)
    steps = (1, 2, 3, 6, 12, 24, 60) if in_months else (1, 2, 3, 6, 12, 24, 36, 60, 120)
    ticks: list[Tick] = []
    for step in steps:
        if step * DAYS_PER_MONTH * px_per_day < 2 * FONT_SIZE:
            continue
        # Tables go by whole days, and 24 months is day 730.5: a tick up to a day
        # past either end still belongs to the chart.
        first = math.ceil((start_days - 1) / DAYS_PER_MONTH / step) * step
        ticks = []
        months = max(first, 0)
        while months * DAYS_PER_MONTH <= end_days + 1:
            label = age_tick_label(months, in_months=in_months)
            ticks.append(Tick(months * DAYS_PER_MONTH, label))
            months += step
        unlabelled_run = longest_run = 0
        for tick in ticks:
            unlabelled_run = 0 if tick.label else unlabelled_run + 1
            longest_run = max(longest_run, unlabelled_run)
        if longest_run <= 1 and _fits(ticks, px_per_day):
            return ticks
    return ticks
