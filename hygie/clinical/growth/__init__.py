"""WHO growth references: place a child's measure and draw the reference lines.

Pure computation, no database. WHO child growth standards 2006 from birth to
60 months (day 1826), WHO growth reference 2007 from then to 19 years (weight to
10 years); head circumference stops at 5 years. Outside these ages there is no
reference (`NoReferenceError`), never an extrapolation. Why WHO and how the data
was obtained: docs/decisions/0013-who-growth-references.md and data/SOURCE.md.

    >>> result = assess(Indicator.WEIGHT, Sex.FEMALE, 1522, 17.0)
    >>> round(result.z, 2), result.percentile_phrase
    (0.24, '59e percentile')

The tables load on first use; call `check_tables()` at start-up to fail early.
"""

from .assessment import (
    GrowthResult,
    assess,
    percentile_phrase,
    standardized_height,
    zscore,
    zscore_phrase,
)
from .curves import SD_LINES, WHO_PERCENTILES, ChartLine, CurvePoint, LineKind, chart_days, curves
from .enums import Indicator, MeasurementPosition, Reference, Sex
from .errors import GrowthDataError, NoReferenceError
from .lms import percentile_of, zscore_of_percentile
from .tables import ReferenceSpan, check_tables, coverage, reference_for

__all__ = [
    "SD_LINES",
    "WHO_PERCENTILES",
    "ChartLine",
    "CurvePoint",
    "GrowthDataError",
    "GrowthResult",
    "Indicator",
    "LineKind",
    "MeasurementPosition",
    "NoReferenceError",
    "Reference",
    "ReferenceSpan",
    "Sex",
    "assess",
    "chart_days",
    "check_tables",
    "coverage",
    "curves",
    "percentile_of",
    "percentile_phrase",
    "reference_for",
    "standardized_height",
    "zscore",
    "zscore_of_percentile",
    "zscore_phrase",
]
