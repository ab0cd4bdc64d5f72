"""What the callers hand to the charts: plain values, no model, no query.

The charts draw what they are given and judge nothing: whether a value is out of
range, which percentile a child is on, and what the reference curves are, come
from the caller (hygie.clinical.growth for the curves, the observation's own
interpretation for the flags).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from .french import Number


@dataclass(frozen=True)
class Series:
    """One measured quantity over time, e.g. weight, or systolic pressure.

    `points` are (date or datetime, value); a value of None, NaN or infinity
    marks a gap: the line breaks there and nothing is drawn for it. `flags`, when
    given, has one boolean per point: True draws the point with a vermillion
    ring and says « hors normes » in its tooltip. `max_gap_days`, when given,
    also breaks the line between two measures further apart than that, so that
    years without a measure do not read as a steady change. Points need not be
    sorted.
    """

    label: str
    points: Sequence[tuple[date, Number | None]]
    flags: Sequence[bool] = ()
    max_gap_days: float | None = None

    def __post_init__(self) -> None:
        if self.flags and len(self.flags) != len(self.points):
            raise ValueError("flags must have one entry per point")
        if self.max_gap_days is not None and not self.max_gap_days > 0:
            raise ValueError("max_gap_days must be positive")


@dataclass(frozen=True)
class PercentileCurve:
    """A reference curve: a label (« P3 », « P50 », « P97 », or « +2 DS ») and
    (age in days, value) points. The median, labelled « P50 » (or « 0 DS » on a
    z-score chart), is drawn bolder."""

    label: str
    points: Sequence[tuple[float, Number]]

    @property
    def is_median(self) -> bool:
        return " ".join(self.label.split()).upper() in ("P50", "0 DS")


@dataclass(frozen=True)
class GrowthPoint:
    """One measure of the child: age in days, value, and the percentile as the
    caller words it (« P85 », « 97e percentile »; empty when unknown). `flagged`
    draws the vermillion ring of a value the caller judges abnormal."""

    age_days: float
    value: Number
    percentile: str = ""
    flagged: bool = False


class AgeAxis(StrEnum):
    """How the age axis is labelled: in months for the 0-2 or 0-3 years charts,
    in years (months below two years) for the longer ones."""

    MONTHS = "months"
    YEARS = "years"
