"""What can go wrong when placing a measure: no reference at that age, or broken data."""

from __future__ import annotations

from django.utils.translation import gettext as _

from .enums import Indicator, Sex


class NoReferenceError(LookupError):
    """WHO publishes no reference for this indicator at this age.

    Not a ValueError: the input is valid, the reference simply stops (weight-for-age
    at 10 years, head circumference at 5, length/height and BMI at 19). Callers show
    the measure without a z-score; nothing is extrapolated.
    """

    def __init__(self, indicator: Indicator, sex: Sex, age_days: int, limit_years: int) -> None:
        self.indicator = indicator
        self.sex = sex
        self.age_days = age_days
        self.limit_years = limit_years
        super().__init__(
            _("Pas de référence OMS pour %(indicator)s après %(years)d ans.")
            % {"indicator": indicator.phrase, "years": limit_years}
        )


class GrowthDataError(RuntimeError):
    """A reference file is missing or malformed: a deployment fault, never a patient's.

    Operator-facing, so in English like the settings errors.
    """
