"""French wording of numbers, dates and ages for the charts.

Every number that reaches the SVG as text is written here, from a Decimal, by our
code: nothing the caller passes is copied into the picture as a number string.
Spaces that must not break (between a number and its unit, before « : ») are
no-break spaces, as French typography wants; thousands are grouped with a narrow
no-break space.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TypeAlias

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext, pgettext_lazy

Number: TypeAlias = Decimal | int | float

NBSP = "\u00a0"
NNBSP = "\u202f"  # narrow no-break space: thousands separator
MINUS = "\u2212"

# WHO growth standards count a month as 30.4375 days and a year as 365.25; ages
# on the growth charts are converted the same way so that ticks fall where the
# reference tables put them.
DAYS_PER_MONTH = 30.4375
DAYS_PER_YEAR = 365.25

# Abbreviations as the Imprimerie nationale and CLDR write them (« janv. », not
# « jan. »): the same list as Django's MONTHS_AP would not give that in French.
MONTHS_SHORT: tuple[Promise, ...] = (
    pgettext_lazy("mois abrégé", "janv."),
    pgettext_lazy("mois abrégé", "févr."),
    pgettext_lazy("mois abrégé", "mars"),
    pgettext_lazy("mois abrégé", "avr."),
    pgettext_lazy("mois abrégé", "mai"),
    pgettext_lazy("mois abrégé", "juin"),
    pgettext_lazy("mois abrégé", "juil."),
    pgettext_lazy("mois abrégé", "août"),
    pgettext_lazy("mois abrégé", "sept."),
    pgettext_lazy("mois abrégé", "oct."),
    pgettext_lazy("mois abrégé", "nov."),
    pgettext_lazy("mois abrégé", "déc."),
)
MONTHS_LONG: tuple[Promise, ...] = (
    pgettext_lazy("mois", "janvier"),
    pgettext_lazy("mois", "février"),
    pgettext_lazy("mois", "mars"),
    pgettext_lazy("mois", "avril"),
    pgettext_lazy("mois", "mai"),
    pgettext_lazy("mois", "juin"),
    pgettext_lazy("mois", "juillet"),
    pgettext_lazy("mois", "août"),
    pgettext_lazy("mois", "septembre"),
    pgettext_lazy("mois", "octobre"),
    pgettext_lazy("mois", "novembre"),
    pgettext_lazy("mois", "décembre"),
)


def to_decimal(value: Number) -> Decimal | None:
    """The value as a finite Decimal, or None when it cannot be drawn (NaN,
    infinity, or too large to become a float coordinate)."""
    try:
        # str() of a float is its shortest round-trip form: 72.5, not 72.5000000001.
        d = value if isinstance(value, Decimal) else Decimal(str(value))
        if not d.is_finite() or not abs(float(d)) < 1e300:
            return None
    except (InvalidOperation, ValueError, TypeError, OverflowError):
        return None
    return d


def decimal_places(step: Decimal) -> int:
    """How many decimals a tick step needs: 2,5 → 1, 0,25 → 2, 10 → 0."""
    exponent = step.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def format_number(value: Decimal, places: int, *, trim: bool = False) -> str:
    """« 1 234,5 »: decimal comma, grouped thousands, a real minus sign.
    With trim, trailing zeros go (72,0 → 72) so a tooltip shows what was measured."""
    quantum = Decimal(1).scaleb(-places)
    q = value.quantize(quantum, rounding=ROUND_HALF_UP)
    text = format(abs(q), "f")
    whole, _dot, frac = text.partition(".")
    if trim:
        frac = frac.rstrip("0")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    out = NNBSP.join(groups) + ("," + frac if frac else "")
    return (MINUS + out) if q < 0 else out


def format_value(value: Decimal, unit: str) -> str:
    """« 72,5 kg »: the value as the caller gave it (a weighed 3,455 kg keeps its
    grams), trailing zeros dropped, at most three decimals: round a computed
    value such as a BMI before charting it. No unit when unit is ""."""
    number = format_number(value, min(3, decimal_places(value)), trim=True)
    return f"{number}{NBSP}{unit}" if unit else number


def day_of_month(day: int) -> str:
    # French writes the first day of a month as an ordinal: « 1er mars ».
    return pgettext("premier jour du mois", "1er") if day == 1 else str(day)


def local(moment: date, zone: tzinfo | None = None) -> date:
    """A datetime in the practice's time zone (a measure taken at 23 h 30 in Paris
    belongs to that day, not to the next one in UTC); a date, or a naive
    datetime, as it is. `zone` saves looking the current zone up for each of
    thousands of points."""
    if isinstance(moment, datetime) and timezone.is_aware(moment):
        return moment.astimezone(zone or timezone.get_current_timezone())
    return moment


def format_date(moment: date) -> str:
    """« 12 mars 2025 », with the time for a datetime: « 12 mars 2025, 14 h 05 »."""
    d = local(moment)
    text = _("%(day)s %(month)s %(year)s") % {
        "day": day_of_month(d.day),
        "month": MONTHS_LONG[d.month - 1],
        "year": d.year,
    }
    if isinstance(d, datetime):
        text += _(", %(hour)d h %(minute)02d") % {"hour": d.hour, "minute": d.minute}
    return text


def numeric_date(moment: date) -> str:
    """« 12/03/2025 », with the time for a datetime: « 12/03/2025 à 14 h 05 »: the
    short form of point tooltips, as French medical records write dates."""
    d = local(moment)
    text = f"{d.day:02d}/{d.month:02d}/{d.year}"
    if isinstance(d, datetime):
        text += _(" à %(hour)d h %(minute)02d") % {"hour": d.hour, "minute": d.minute}
    return text


def day_position(moment: date, zone: tzinfo | None = None) -> float:
    """Where a moment sits on a time axis, in days: the date's ordinal, plus the
    fraction of the day for a datetime (several blood pressures in one day stay
    in order). Local time, as for every date the charts write."""
    d = local(moment, zone)
    if isinstance(d, datetime):
        return d.toordinal() + (d.hour * 3600 + d.minute * 60 + d.second) / 86400
    return float(d.toordinal())


def short_month(month: int, year: int | None = None) -> str:
    """« mars » or « janv. 2025 »."""
    name = str(MONTHS_SHORT[month - 1])
    return f"{name} {year}" if year is not None else name


def short_day(d: date, with_year: bool) -> str:
    """« 12 mars » or « 12 mars 2025 »."""
    text = f"{day_of_month(d.day)} {MONTHS_SHORT[d.month - 1]}"
    return f"{text} {d.year}" if with_year else text


def whole_months(age_days: float) -> int:
    # The small epsilon keeps 730 days (exactly 24 months by WHO's count) from
    # flooring to 23 through float rounding.
    return int(age_days / DAYS_PER_MONTH + 1e-9)


def format_age(age_days: float) -> str:
    """An age as a paediatrician says it: « 12 jours », « 18 mois », « 7 ans 3 mois »."""
    if age_days <= 0:
        return _("naissance")
    months = whole_months(age_days)
    if months < 1:
        days = int(age_days)
        return ngettext("%(n)d jour", "%(n)d jours", days) % {"n": days}
    if months < 24:
        return ngettext("%(n)d mois", "%(n)d mois", months) % {"n": months}
    years, rest = divmod(months, 12)
    text = ngettext("%(n)d an", "%(n)d ans", years) % {"n": years}
    if rest:
        text += " " + ngettext("%(n)d mois", "%(n)d mois", rest) % {"n": rest}
    return text


def age_tick_label(months: int, *, in_months: bool) -> str | None:
    """Axis label for a tick at a whole number of months. In months (the 0-2 or
    0-3 years charts): « naissance », « 6 mois », « 30 mois ». In years: months
    below two years (« 18 mois »), years from two years on (« 2 ans »), and None
    for a tick between two birthdays after two years (a light line, no label)."""
    if months == 0:
        return _("naissance")
    if in_months or months < 24:
        return ngettext("%(n)d mois", "%(n)d mois", months) % {"n": months}
    if months % 12:
        return None
    return ngettext("%(n)d an", "%(n)d ans", months // 12) % {"n": months // 12}
