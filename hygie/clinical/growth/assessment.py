"""Placing one measure against the WHO references: z-score, percentile, French wording."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from .enums import Indicator, MeasurementPosition, Reference, Sex
from .lms import percentile_of, zscore_of_percentile
from .tables import LAST_LYING_DAY, lms_at

# WHO: standing height is 0.7 cm less than recumbent length in the same child
# (WHO 2006 technical report, section 5.1); the table switches at day 731.
LYING_MINUS_STANDING_CM = 0.7

P3_Z = zscore_of_percentile(3)
P97_Z = zscore_of_percentile(97)

NBSP = "\u00a0"
MINUS = "\u2212"


def check_indicator(indicator: Indicator | str) -> Indicator:
    try:
        return Indicator(indicator)
    except ValueError:
        raise ValueError(
            _("Indicateur de croissance inconnu : « %(value)s ».") % {"value": indicator}
        ) from None


def check_sex(sex: Sex | str) -> Sex:
    """Only male and female have a WHO reference; FHIR "other" and "unknown" are refused."""
    try:
        return Sex(sex)
    except ValueError:
        raise ValueError(
            _(
                "Les références de croissance de l'OMS n'existent que pour les garçons et "
                "les filles (sexe reçu : « %(value)s »)."
            )
            % {"value": sex}
        ) from None


def check_age(age_days: int) -> int:
    """A whole number of days since birth, as WHO's daily tables count them."""
    if isinstance(age_days, bool) or not isinstance(age_days, int):
        raise ValueError(_("L'âge doit être un nombre entier de jours."))
    if age_days < 0:
        raise ValueError(_("L'âge ne peut pas être négatif (%(days)d jours).") % {"days": age_days})
    return age_days


def check_value(value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(_("La mesure doit être un nombre."))
    if not (math.isfinite(value) and value > 0):
        raise ValueError(_("La mesure doit être un nombre strictement positif."))
    return float(value)


def check_position(
    indicator: Indicator, position: MeasurementPosition | str | None
) -> MeasurementPosition | None:
    if position is None:
        return None
    if indicator is not Indicator.HEIGHT:
        raise ValueError(_("La position de mesure ne concerne que la taille."))
    try:
        return MeasurementPosition(position)
    except ValueError:
        raise ValueError(
            _("Position de mesure inconnue : « %(value)s ».") % {"value": position}
        ) from None


def standardized_height(age_days: int, height_cm: float, position: MeasurementPosition) -> float:
    """The length or height the WHO table expects at this age, from the one measured.

    WHO charts length (lying) to day 730 and height (standing) from day 731: a child
    measured standing before is 0.7 cm longer lying, one measured lying after is
    0.7 cm shorter standing. Compute a BMI from this value, as WHO Anthro does.
    """
    if position is MeasurementPosition.STANDING and age_days <= LAST_LYING_DAY:
        return height_cm + LYING_MINUS_STANDING_CM
    if position is MeasurementPosition.LYING and age_days > LAST_LYING_DAY:
        return height_cm - LYING_MINUS_STANDING_CM
    return height_cm


@dataclass(frozen=True)
class GrowthResult:
    """A measure placed on its WHO reference. `value` is as measured; `compared_value`
    is what was placed (different only after the lying/standing correction)."""

    indicator: Indicator
    sex: Sex
    age_days: int
    value: float
    position: MeasurementPosition | None
    compared_value: float
    reference: Reference
    z: float

    @property
    def percentile(self) -> float:
        return percentile_of(self.z)

    @property
    def outside_p3_p97(self) -> bool:
        """Below the 3rd or above the 97th percentile: the lines of WHO's charts."""
        return self.z < P3_Z or self.z > P97_Z

    @property
    def percentile_phrase(self) -> str:
        return percentile_phrase(self.percentile)

    @property
    def z_phrase(self) -> str:
        return zscore_phrase(self.z)

    @property
    def phrase(self) -> str:
        """« 97e percentile (z = +1,9) »."""
        return _("%(percentile)s (%(z)s)") % {
            "percentile": self.percentile_phrase,
            "z": self.z_phrase,
        }


def assess(
    indicator: Indicator | str,
    sex: Sex | str,
    age_days: int,
    value: float,
    *,
    position: MeasurementPosition | str | None = None,
) -> GrowthResult:
    """Place a measure (kg, cm, kg/m², cm) taken at `age_days` on its WHO reference.

    `position`, for height only, applies WHO's 0.7 cm lying/standing correction;
    without it the measure is taken to be lying to day 730 and standing after.
    Raises ValueError (French message) on invalid input and NoReferenceError when
    WHO has no reference at that age.
    """
    indicator = check_indicator(indicator)
    sex = check_sex(sex)
    age_days = check_age(age_days)
    value = check_value(value)
    checked_position = check_position(indicator, position)
    compared = value
    if checked_position is not None:
        compared = standardized_height(age_days, value, checked_position)
    reference, lms = lms_at(indicator, sex, age_days)
    return GrowthResult(
        indicator=indicator,
        sex=sex,
        age_days=age_days,
        value=value,
        position=checked_position,
        compared_value=compared,
        reference=reference,
        z=lms.zscore(compared, restricted=indicator.uses_restricted_lms),
    )


def zscore(
    indicator: Indicator | str,
    sex: Sex | str,
    age_days: int,
    value: float,
    *,
    position: MeasurementPosition | str | None = None,
) -> float:
    """The WHO z-score of a measure; see `assess` for the arguments and errors."""
    return assess(indicator, sex, age_days, value, position=position).z


def percentile_phrase(percentile: float) -> str:
    """« 50e percentile », « 2,9e percentile », « < 0,1e percentile ».

    Whole ranks between the 3rd and the 97th; outside them one decimal, cut toward
    the extreme so the phrase never looks inside P3-P97 when the measure is not
    (2.96 reads 2,9e, not 3e); beyond 0.1 and 99.9 only the bound.
    """
    if not 0 <= percentile <= 100:
        raise ValueError(f"a percentile is between 0 and 100, not {percentile}")
    if percentile < 0.1:
        return _("<\u00a00,1e percentile")
    if percentile > 99.9:
        return _(">\u00a099,9e percentile")
    # repr: the shortest decimal that is this float, so 99.9 stays 99.9 and not
    # 99.900000000000006 (which a ceiling would turn into 100.0).
    exact = Decimal(repr(float(percentile)))
    if percentile < 3:
        rank = exact.quantize(Decimal("0.1"), rounding=ROUND_FLOOR)
    elif percentile > 97:
        rank = exact.quantize(Decimal("0.1"), rounding=ROUND_CEILING)
    else:
        rank = exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return _("%(rank)se percentile") % {"rank": _french_decimal(rank)}


def zscore_phrase(z: float) -> str:
    """« z = +2,3 », « z = 0,0 »: one decimal, a sign (a true minus, U+2212), a decimal comma."""
    rounded = Decimal(repr(float(z))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    number = _french_decimal(abs(rounded))
    if rounded > 0:
        number = "+" + number
    elif rounded < 0:
        number = MINUS + number
    return _("z\u00a0=\u00a0%(value)s") % {"value": number}


def _french_decimal(value: Decimal) -> str:
    return format(value, "f").replace(".", ",")
