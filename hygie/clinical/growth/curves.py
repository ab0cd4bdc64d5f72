"""The reference lines a growth chart draws: values at chosen percentiles or SDs by age."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

from django.utils.translation import gettext as _

from .assessment import MINUS, check_age, check_indicator, check_sex
from .enums import Indicator, Sex
from .lms import zscore_of_percentile
from .tables import DAYS_PER_MONTH, LAST_2006_DAY, LAST_LYING_DAY, coverage, lms_at

WEEKLY_UNTIL_DAY = 91  # 13 weeks: WHO's own weekly tables stop there


class LineKind(StrEnum):
    PERCENTILE = "percentile"
    SD = "sd"


@dataclass(frozen=True)
class ChartLine:
    """A line of a growth chart: a percentile (0 < rank < 100) or a number of SDs."""

    kind: LineKind
    rank: float
    z: float = field(init=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind is LineKind.PERCENTILE:
            z = zscore_of_percentile(self.rank)
        elif -5 <= self.rank <= 5:
            z = float(self.rank)
        else:
            raise ValueError(f"SD lines go from -5 to +5, not {self.rank}")
        object.__setattr__(self, "z", z)

    @classmethod
    def percentile(cls, rank: float) -> ChartLine:
        return cls(LineKind.PERCENTILE, rank)

    @classmethod
    def sd(cls, count: int) -> ChartLine:
        return cls(LineKind.SD, count)

    @property
    def label(self) -> str:
        """« P3 », « P50 », « 0 DS », « +3 DS » (DS: déviation standard; a true minus, U+2212)."""
        number = format(Decimal(str(self.rank)).normalize(), "f").replace(".", ",")
        if self.kind is LineKind.PERCENTILE:
            return _("P%(rank)s") % {"rank": number}
        if self.rank > 0:
            number = "+" + number
        elif self.rank < 0:
            number = MINUS + number.lstrip("-")
        return _("%(count)s\u00a0DS") % {"count": number}


# The percentiles of WHO's charts, and the SD lines of its z-score charts.
WHO_PERCENTILES = tuple(ChartLine.percentile(rank) for rank in (3, 15, 50, 85, 97))
SD_LINES = tuple(ChartLine.sd(count) for count in range(-3, 4))


class CurvePoint(NamedTuple):
    age_days: int
    values: dict[ChartLine, float]


def chart_days(first_day: int, last_day: int) -> list[int]:
    """The ages to sample between two days, both included: weekly to 13 weeks, then
    every WHO month (rounded to the day), plus both sides of each table switch so a
    line shows the lying/standing step at 2 years and the 2006/2007 join at 5."""
    days = {day for day in range(0, WEEKLY_UNTIL_DAY + 1, 7)}
    month = 3
    while (day := round(month * DAYS_PER_MONTH)) <= last_day:
        days.add(day)
        month += 1
    days |= {
        first_day,
        last_day,
        LAST_LYING_DAY,
        LAST_LYING_DAY + 1,
        LAST_2006_DAY,
        LAST_2006_DAY + 1,
    }
    return sorted(day for day in days if first_day <= day <= last_day)


def curves(
    indicator: Indicator | str,
    sex: Sex | str,
    first_day: int,
    last_day: int,
    lines: Iterable[ChartLine] = WHO_PERCENTILES,
) -> list[CurvePoint]:
    """The value of each line at each sampled age between two days (both included).

    Only ages that have a reference are returned (none at all for weight after 10
    years): a chart draws no line where WHO has none, and `coverage()` gives the
    spans to shade. Weight and BMI beyond ±3 SD follow WHO's restricted tails.
    """
    indicator = check_indicator(indicator)
    sex = check_sex(sex)
    first_day = check_age(first_day)
    last_day = check_age(last_day)
    if last_day < first_day:
        raise ValueError(_("La fin de la période précède son début."))
    chosen: Sequence[ChartLine] = tuple(lines)
    if not chosen:
        raise ValueError("no line to draw")
    restricted = indicator.uses_restricted_lms
    covered = coverage(indicator)
    points = []
    for day in chart_days(first_day, last_day):
        if not any(span.covers(day) for span in covered):
            continue
        _reference, lms = lms_at(indicator, sex, day)
        values = {line: lms.value(line.z, restricted=restricted) for line in chosen}
        points.append(CurvePoint(day, values))
    return points
