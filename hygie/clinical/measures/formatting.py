"""Vital signs written the French way: « 72,5 kg », « 120/80 mmHg », « 38,2 °C ».

The number comes from Django's localisation (decimal comma in French, a point once an
English locale is active); the space before the unit is a no-break space (U+00A0),
the character Django's French locale itself uses between digit groups and the one
the growth charts put before their units, so a value never wraps away from its unit.
Numbers are never grouped: no vital sign reaches a thousand in its unit.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import number_format

from hygie.clinical.measures.signs import VitalSign

NBSP = "\u00a0"


def format_number(value: Decimal, decimals: int, min_decimals: int | None = None) -> str:
    """The value rounded half up to `decimals`, trailing zeros dropped down to
    `min_decimals` (all kept when it is None), with the active locale's decimal mark."""
    keep = decimals if min_decimals is None else min_decimals
    q = value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    shown = decimals
    while shown > keep and q == q.quantize(Decimal(1).scaleb(-(shown - 1))):
        shown -= 1
    return number_format(q, decimal_pos=shown, use_l10n=True)


def format_value(sign: VitalSign, value: Decimal, *, with_unit: bool = True) -> str:
    """« 72,5 kg », « 3,25 kg », « 37,0 °C », « 1,05 g/L », « 97 % »."""
    spec = sign.spec
    number = format_number(value, spec.decimals, spec.min_decimals)
    return f"{number}{NBSP}{spec.unit_label}" if with_unit else number


def format_blood_pressure(systolic: Decimal, diastolic: Decimal) -> str:
    """« 120/80 mmHg »: always in mmHg, the stored unit and the one of guidelines
    and FHIR, even when the doctor typed 12/8 (the parser says it converted)."""
    return f"{format_number(systolic, 0)}/{format_number(diastolic, 0)}{NBSP}mmHg"
