"""Body mass index, and the WHO class of an adult's.

The BMI is always computed from a weight and a height taken together, never typed:
a typed BMI could contradict the measures it claims to summarise.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from hygie.clinical.measures.age import Age, AgeGroup


class BmiClass(models.TextChoices):
    """WHO classes of adult BMI, with the French names of the HAS recommendations."""

    SEVERE_THINNESS = "thinness-3", _("Maigreur sévère (grade 3)")
    MODERATE_THINNESS = "thinness-2", _("Maigreur modérée (grade 2)")
    MILD_THINNESS = "thinness-1", _("Maigreur légère (grade 1)")
    NORMAL = "normal", _("Corpulence normale")
    OVERWEIGHT = "overweight", _("Surpoids")
    OBESITY_1 = "obesity-1", _("Obésité modérée (classe I)")
    OBESITY_2 = "obesity-2", _("Obésité sévère (classe II)")
    OBESITY_3 = "obesity-3", _("Obésité massive (classe III)")


# Lower bound of each class, highest first; a BMI belongs to the first class whose
# bound it reaches (18,5 is normal, 18,4 is thinness).
_LOWER_BOUNDS = (
    (Decimal("40"), BmiClass.OBESITY_3),
    (Decimal("35"), BmiClass.OBESITY_2),
    (Decimal("30"), BmiClass.OBESITY_1),
    (Decimal("25"), BmiClass.OVERWEIGHT),
    (Decimal("18.5"), BmiClass.NORMAL),
    (Decimal("17"), BmiClass.MILD_THINNESS),
    (Decimal("16"), BmiClass.MODERATE_THINNESS),
)


def compute_bmi(weight_kg: Decimal, height_cm: Decimal) -> Decimal:
    """kg / m², rounded half up to one decimal (22,86 → 22,9).

    Preconditions: both measures positive (checked for plausibility first).
    """
    if weight_kg <= 0 or height_cm <= 0:
        raise ValueError("weight and height must be positive")
    metres = height_cm / 100
    return (weight_kg / (metres * metres)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def classify_bmi(bmi: Decimal, age: Age | None) -> BmiClass | None:
    """The WHO class of an adult (18 years or more) for the BMI as shown, one decimal.

    None for a child or adolescent, and when the age is unknown: under 18 the BMI is
    read on the growth curves by age and sex (the IOTF / WHO references of
    hygie.clinical.growth), adult thresholds would call a healthy 10-year-old thin.
    """
    if age is None or age.group is not AgeGroup.ADULT:
        return None
    shown = bmi.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    for bound, bmi_class in _LOWER_BOUNDS:
        if shown >= bound:
            return bmi_class
    return BmiClass.SEVERE_THINNESS
