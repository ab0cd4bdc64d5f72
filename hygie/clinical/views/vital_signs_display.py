"""What the vital signs page shows, from observations already read through the
access layer: French values, the latest of each sign, the table grouped by
moment, and the chart inputs. Pure: no query, no access check."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from hygie.clinical.charts import (
    AgeAxis,
    GrowthPoint,
    PercentileCurve,
    Series,
    growth_chart,
    trend_chart,
)
from hygie.clinical.growth import (
    WHO_PERCENTILES,
    Indicator,
    NoReferenceError,
    Sex,
    assess,
    coverage,
    curves,
)
from hygie.clinical.measures import (
    BLOOD_PRESSURE_PANEL,
    Age,
    AgeGroup,
    VitalSign,
    format_blood_pressure,
    format_value,
)
from hygie.clinical.models import Observation
from hygie.patients.models import Patient

# The order of a consultation, which is also the order of the form.
ORDER = [
    VitalSign.BODY_WEIGHT.value,
    VitalSign.BODY_HEIGHT.value,
    VitalSign.BMI.value,
    BLOOD_PRESSURE_PANEL.code,
    VitalSign.HEART_RATE.value,
    VitalSign.BODY_TEMPERATURE.value,
    VitalSign.OXYGEN_SATURATION.value,
    VitalSign.CAPILLARY_GLUCOSE.value,
    VitalSign.HEAD_CIRCUMFERENCE.value,
]
CHART_WIDTH = 520  # two charts side by side in the page's 1100 px column
ADULT_BMI_BAND = (Decimal("18.5"), Decimal("25"))  # WHO's normal weight, adults only
# WHO's chart spans: 0-2 years in months, 0-5 and 0-18 years in years.
GROWTH_WINDOWS = [(730, AgeAxis.MONTHS), (1826, AgeAxis.YEARS), (6574, AgeAxis.YEARS)]
HEAD_CIRCUMFERENCE_LAST_DAY = 1826  # WHO's reference stops at 5 years
GROWTH_SIGNS = [
    (Indicator.WEIGHT, VitalSign.BODY_WEIGHT),
    (Indicator.HEIGHT, VitalSign.BODY_HEIGHT),
    (Indicator.BMI, VitalSign.BMI),
    (Indicator.HEAD_CIRCUMFERENCE, VitalSign.HEAD_CIRCUMFERENCE),
]


@dataclass(frozen=True)
class Shown:
    """One observation as the page writes it."""

    observation: Observation
    label: str
    value: str

    @property
    def effective_at(self) -> dt.datetime:
        return self.observation.effective_at


@dataclass(frozen=True)
class Moment:
    """The measures taken at one moment: one group of rows of the table."""

    effective_at: dt.datetime
    measures: list[Shown]


def _rank(observation: Observation) -> int:
    return ORDER.index(observation.code) if observation.code in ORDER else len(ORDER)


def shown(observation: Observation) -> Shown:
    if observation.is_blood_pressure:
        systolic, diastolic = observation.systolic, observation.diastolic
        value = (
            format_blood_pressure(systolic, diastolic)
            if systolic is not None and diastolic is not None
            else "—"
        )
        return Shown(observation, _("Pression artérielle"), value)
    sign = observation.sign
    if sign is None or observation.value is None:
        return Shown(observation, observation.code, "—")
    return Shown(observation, str(sign.label), format_value(sign, observation.value))


def latest(observations: Sequence[Observation]) -> list[Shown]:
    """The newest measure of each sign. `observations` come newest first (as
    access_vital_signs gives them), so the first of each code is its latest."""
    first: dict[str, Observation] = {}
    for observation in observations:
        first.setdefault(observation.code, observation)
    return [shown(o) for o in sorted(first.values(), key=_rank)]


# The table shows this many moments unless all are asked for; the charts this
# period (adults; a child's whole record is read, growth curves start at birth). A long record
# decrypted and rendered whole took ~0.5 s (docs/performance.md, chart_vitals).
MOMENTS_SHOWN = 20
CHARTED_DAYS = 2 * 365


def moments(observations: Sequence[Observation], limit: int | None = None) -> list[Moment]:
    """The measures grouped by the moment they were taken, newest first; the
    first `limit` moments only (values are decrypted only for those)."""
    groups: dict[dt.datetime, list[Observation]] = {}
    for observation in observations:
        if limit is not None and observation.effective_at not in groups and len(groups) == limit:
            break
        groups.setdefault(observation.effective_at, []).append(observation)
    return [
        Moment(when, [shown(o) for o in sorted(rows, key=_rank)]) for when, rows in groups.items()
    ]


def moment_count(observations: Sequence[Observation]) -> int:
    return len({o.effective_at for o in observations})


def _of(observations: Sequence[Observation], code: str) -> list[Observation]:
    return [o for o in observations if o.code == code]


def _series(label: str, rows: Sequence[Observation]) -> Series:
    return Series(label, [(timezone.localtime(o.effective_at), o.value) for o in rows])


def trend_charts(observations: Sequence[Observation], *, child: bool) -> list[SafeString]:
    """Weight, BMI (an adult's, with WHO's normal band) and blood pressure over
    time. A child's weight and BMI are read on the growth charts instead."""
    charts = []
    if not child:
        charts.append(
            trend_chart(
                _("Poids"),
                "kg",
                [_series(_("Poids"), _of(observations, VitalSign.BODY_WEIGHT.value))],
                width=CHART_WIDTH,
            )
        )
        charts.append(
            trend_chart(
                _("Indice de masse corporelle"),
                "kg/m²",
                [_series(_("IMC"), _of(observations, VitalSign.BMI.value))],
                reference_band=ADULT_BMI_BAND,
                width=CHART_WIDTH,
            )
        )
    pressures = [
        o
        for o in _of(observations, BLOOD_PRESSURE_PANEL.code)
        if o.systolic is not None and o.diastolic is not None
    ]
    charts.append(
        trend_chart(
            _("Pression artérielle"),
            "mmHg",
            [
                Series(
                    _("Systolique"),
                    [(timezone.localtime(o.effective_at), o.systolic) for o in pressures],
                ),
                Series(
                    _("Diastolique"),
                    [(timezone.localtime(o.effective_at), o.diastolic) for o in pressures],
                ),
            ],
            width=CHART_WIDTH,
        )
    )
    return charts


def is_child(patient: Patient, today: dt.date) -> bool:
    return Age.between(patient.birth_date, today).group is not AgeGroup.ADULT


def growth_charts(
    patient: Patient, observations: Sequence[Observation], today: dt.date
) -> list[SafeString]:
    """The child's measures over WHO's percentile curves (P3 to P97), on the
    smallest of WHO's spans that holds the child's age. None for a patient whose
    sex is not recorded as male or female: WHO has no reference for them."""
    if patient.sex not in (Sex.MALE, Sex.FEMALE):
        return []
    sex = Sex(patient.sex)
    age_days = (today - patient.birth_date).days
    last_day, axis = next(
        ((day, axis) for day, axis in GROWTH_WINDOWS if age_days <= day), GROWTH_WINDOWS[-1]
    )
    charts = []
    for indicator, sign in GROWTH_SIGNS:
        if indicator is Indicator.HEAD_CIRCUMFERENCE and age_days > HEAD_CIRCUMFERENCE_LAST_DAY:
            continue
        span = (
            min(last_day, HEAD_CIRCUMFERENCE_LAST_DAY)
            if indicator is Indicator.HEAD_CIRCUMFERENCE
            else last_day
        )
        rows = _of(observations, sign.value)
        charts.append(
            growth_chart(
                _("%(indicator)s selon l'âge") % {"indicator": indicator.label},
                str(sign.spec.unit_label),
                axis,
                _reference_curves(indicator, sex, span),
                [
                    _growth_point(indicator, sex, patient.birth_date, o)
                    for o in rows
                    # A measure dated before the birth date (the birth date was
                    # corrected since) has no place on an age axis; the table
                    # still lists it.
                    if timezone.localdate(o.effective_at) >= patient.birth_date
                ],
                child_label=_("L'enfant"),
                no_reference=_uncovered(indicator, span),
                width=CHART_WIDTH,
            )
        )
    return charts


def _reference_curves(indicator: Indicator, sex: Sex, last_day: int) -> list[PercentileCurve]:
    points = curves(indicator, sex, 0, last_day, WHO_PERCENTILES)
    return [
        PercentileCurve(line.label, [(p.age_days, round(p.values[line], 2)) for p in points])
        for line in WHO_PERCENTILES
    ]


def _uncovered(indicator: Indicator, last_day: int) -> list[tuple[float, float]]:
    """The end of the span where WHO has no curve (weight after 10 years)."""
    covered_until = coverage(indicator)[-1].last_day
    return [(covered_until + 1, last_day)] if covered_until < last_day else []


def _growth_point(
    indicator: Indicator, sex: Sex, birth_date: dt.date, observation: Observation
) -> GrowthPoint:
    value = observation.value if observation.value is not None else Decimal(0)
    age_days = (timezone.localdate(observation.effective_at) - birth_date).days
    try:
        result = assess(indicator, sex, age_days, float(value))
    except NoReferenceError:
        return GrowthPoint(age_days, value)
    return GrowthPoint(age_days, value, result.percentile_phrase, flagged=result.outside_p3_p97)
