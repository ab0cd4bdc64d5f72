"""The WHO LMS tables: which one applies at which age, loaded once and checked.

WHO 2006 (child growth standards) is a daily table, day 0 to 1826: the age in
days is the row. WHO 2006 is used while the age is under 60 months (1826.25
days), as WHO Anthro does; its tables go no further (data/SOURCE.md says why
rcpchgrowth's rows to day 1856 were left out).

WHO 2007 (growth reference 5-19 years) is a monthly table from 60 months; WHO
AnthroPlus places a child at age_days / 30.4375 months and interpolates L, M and
S linearly between the two whole months around it. It stops at 120 months for
weight (WHO publishes no weight-for-age beyond 10 years: BMI-for-age replaces
it) and at 228 months for height and BMI. Head circumference has no reference
after 5 years.

So the switch is between day 1826 (WHO 2006) and day 1827 (WHO 2007, 60.03
months); WHO's two programs leave months 60 to 61 uncovered, the 2007 table
itself starts at 60, so nothing is missing here. The two references were built
to join at 5 years but do not match exactly; the small jump is measured in the
tests and in docs/decisions/0013-who-growth-references.md.
"""

from __future__ import annotations

import csv
import functools
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

from .enums import Indicator, Reference, Sex
from .errors import GrowthDataError, NoReferenceError
from .lms import Lms

DAYS_PER_MONTH = 30.4375  # WHO's month: 365.25 / 12
LAST_LYING_DAY = 730  # WHO 2006: length (lying) to day 730, height (standing) from 731
LAST_2006_DAY = 1826  # the last whole day under 60 months


@dataclass(frozen=True)
class TableSpec:
    """What a reference file must hold: its rows are checked against this on load."""

    filename: str
    age_column: str  # "age_days" (WHO 2006) or "age_months" (WHO 2007)
    first_age: int
    last_age: int
    with_position: bool  # WHO 2006 length/height and BMI: lying to day 730, then standing

    @property
    def header(self) -> list[str]:
        position = ["position"] if self.with_position else []
        return ["sex", self.age_column, *position, "l", "m", "s"]


@dataclass(frozen=True)
class ReferenceSpan:
    """The ages, in whole days, where a reference applies to an indicator."""

    reference: Reference
    first_day: int
    last_day: int

    def covers(self, age_days: int) -> bool:
        return self.first_day <= age_days <= self.last_day


def _last_day_of(months: int) -> int:
    return math.floor(months * DAYS_PER_MONTH)


_2006 = {
    Indicator.WEIGHT: "who2006_weight_for_age.csv",
    Indicator.HEIGHT: "who2006_length_height_for_age.csv",
    Indicator.BMI: "who2006_bmi_for_age.csv",
    Indicator.HEAD_CIRCUMFERENCE: "who2006_head_circumference_for_age.csv",
}
_2007 = {
    Indicator.WEIGHT: ("who2007_weight_for_age.csv", 120),
    Indicator.HEIGHT: ("who2007_height_for_age.csv", 228),
    Indicator.BMI: ("who2007_bmi_for_age.csv", 228),
}

TABLES: Mapping[tuple[Reference, Indicator], TableSpec] = {
    **{
        (Reference.WHO_2006, indicator): TableSpec(
            filename,
            "age_days",
            0,
            LAST_2006_DAY,
            with_position=indicator in (Indicator.HEIGHT, Indicator.BMI),
        )
        for indicator, filename in _2006.items()
    },
    **{
        (Reference.WHO_2007, indicator): TableSpec(filename, "age_months", 60, last, False)
        for indicator, (filename, last) in _2007.items()
    },
}


def _spans(indicator: Indicator) -> tuple[ReferenceSpan, ...]:
    spans = [ReferenceSpan(Reference.WHO_2006, 0, LAST_2006_DAY)]
    if indicator in _2007:
        last_month = _2007[indicator][1]
        spans.append(ReferenceSpan(Reference.WHO_2007, LAST_2006_DAY + 1, _last_day_of(last_month)))
    return tuple(spans)


COVERAGE: Mapping[Indicator, tuple[ReferenceSpan, ...]] = {
    indicator: _spans(indicator) for indicator in Indicator
}


def coverage(indicator: Indicator) -> tuple[ReferenceSpan, ...]:
    """The spans of age with a reference, in order; a chart shades the rest."""
    return COVERAGE[indicator]


def reference_for(indicator: Indicator, age_days: int) -> Reference | None:
    """The reference that applies at this age, or None past the last one."""
    for span in COVERAGE[indicator]:
        if span.covers(age_days):
            return span.reference
    return None


def lms_at(indicator: Indicator, sex: Sex, age_days: int) -> tuple[Reference, Lms]:
    """The reference and its LMS row for a child of this age, in whole days (>= 0).

    Raises NoReferenceError past the last reference; never extrapolates.
    """
    reference = reference_for(indicator, age_days)
    if reference is None:
        last_day = COVERAGE[indicator][-1].last_day
        limit_years = round((last_day + 1) / 365.25)
        raise NoReferenceError(indicator, sex, age_days, limit_years)
    spec = TABLES[(reference, indicator)]
    rows = _rows(reference, indicator)[sex]
    if reference is Reference.WHO_2006:
        return reference, rows[age_days - spec.first_age]
    months = age_days / DAYS_PER_MONTH
    whole = math.floor(months)
    fraction = months - whole
    low = rows[whole - spec.first_age]
    if fraction == 0:
        return reference, low
    return reference, low.towards(rows[whole - spec.first_age + 1], fraction)


def check_tables() -> None:
    """Load and check every reference file now; raises GrowthDataError on the first fault.

    For a start-up or deployment check: the lookups load their file on first use
    and would otherwise fail only when a doctor first opens a chart.
    """
    for reference, indicator in TABLES:
        _rows(reference, indicator)


@functools.cache
def _rows(reference: Reference, indicator: Indicator) -> dict[Sex, tuple[Lms, ...]]:
    spec = TABLES[(reference, indicator)]
    return read_table(
        resources.files("hygie.clinical.growth").joinpath("data", spec.filename), spec
    )


def read_table(source: Traversable, spec: TableSpec) -> dict[Sex, tuple[Lms, ...]]:
    """Parse one reference file and check it holds exactly what `spec` says.

    Every fault raises GrowthDataError naming the file and line: a wrong row would
    silently move every child placed on it.
    """
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise GrowthDataError(f"{spec.filename}: cannot be read ({error})") from error
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header != spec.header:
        raise GrowthDataError(f"{spec.filename}: header {header}, expected {spec.header}")
    rows: dict[Sex, list[Lms]] = {sex: [] for sex in Sex}
    for line_number, fields in enumerate(reader, start=2):
        where = f"{spec.filename}, line {line_number}"
        if len(fields) != len(spec.header):
            raise GrowthDataError(f"{where}: {len(fields)} fields, expected {len(spec.header)}")
        record = dict(zip(spec.header, fields, strict=True))
        try:
            sex = Sex(record["sex"])
        except ValueError:
            raise GrowthDataError(f"{where}: unknown sex {record['sex']!r}") from None
        expected_age = spec.first_age + len(rows[sex])
        if record[spec.age_column] != str(expected_age):
            raise GrowthDataError(
                f"{where}: age {record[spec.age_column]!r}, expected {expected_age}"
            )
        if spec.with_position:
            position = "lying" if expected_age <= LAST_LYING_DAY else "standing"
            if record["position"] != position:
                raise GrowthDataError(f"{where}: position {record['position']!r}, not {position}")
        rows[sex].append(_lms(where, record))
    for sex, found in rows.items():
        last = spec.first_age + len(found) - 1
        if last != spec.last_age:
            raise GrowthDataError(
                f"{spec.filename}: {sex} rows stop at age {last}, expected {spec.last_age}"
            )
    return {sex: tuple(found) for sex, found in rows.items()}


def _lms(where: str, record: Mapping[str, str]) -> Lms:
    try:
        l, m, s = (float(record[key]) for key in ("l", "m", "s"))  # noqa: E741
    except ValueError:
        raise GrowthDataError(f"{where}: L, M, S are not all numbers") from None
    if not (math.isfinite(l) and math.isfinite(m) and math.isfinite(s) and m > 0 and s > 0):
        raise GrowthDataError(f"{where}: L={l}, M={m}, S={s} (M and S must be positive)")
    return Lms(l, m, s)
