"""Is a vital sign believable? Refused, to be confirmed, or fine.

Two ranges per sign and age group. Outside the *possible* range the value cannot be
a measure of a living patient with the instruments of a practice (a cuff graduated
to 300 mmHg, a glucometer, a scale) and is refused. Outside the *likely* range it is
rare but real (SpO2 70 %, 34,5 °C, an athlete's 38 bpm) or a typo of the right order
of magnitude, and the doctor must confirm it. The possible ranges are deliberately
wide — never refuse a real patient — and the likely ones only catch what deserves a
second look; growth curves do the fine check for children. Sources and reasoning:
docs/decisions/0014-vital-signs-and-uploads.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hygie.clinical.measures.age import Age, AgeGroup
from hygie.clinical.measures.formatting import format_value
from hygie.clinical.measures.signs import VitalSign


class Verdict(StrEnum):
    OK = "ok"
    CONFIRM = "confirm"
    REFUSED = "refused"


_SEVERITY = {Verdict.OK: 0, Verdict.CONFIRM: 1, Verdict.REFUSED: 2}


@dataclass(frozen=True)
class Plausibility:
    verdict: Verdict
    reasons: tuple[str, ...] = ()  # French, one sentence each; empty when OK

    @property
    def message(self) -> str:
        return " ".join(self.reasons)


@dataclass(frozen=True)
class Bounds:
    """Inclusive ranges, in the sign's canonical unit."""

    possible_min: Decimal
    likely_min: Decimal
    likely_max: Decimal
    possible_max: Decimal


def _b(possible_min: str, likely_min: str, likely_max: str, possible_max: str) -> Bounds:
    return Bounds(*(Decimal(v) for v in (possible_min, likely_min, likely_max, possible_max)))


_GROUPS = tuple(AgeGroup)


def _by_age(*bounds: Bounds) -> dict[AgeGroup, Bounds]:
    """One Bounds per AgeGroup, newborn first; a single one applies to every age."""
    if len(bounds) == 1:
        return dict.fromkeys(_GROUPS, bounds[0])
    # strict: a row missing from the table fails at import, not on a patient.
    return dict(zip(_GROUPS, bounds, strict=True))


#                 possible min, likely min, likely max, possible max
BOUNDS: dict[VitalSign, dict[AgeGroup, Bounds]] = {
    VitalSign.BODY_WEIGHT: _by_age(  # kg
        _b("0.2", "1.0", "6.0", "12"),  # newborn: smallest survivors ~0.25 kg
        _b("0.3", "2.0", "14", "30"),  # infant
        _b("2", "6", "35", "100"),  # 1-5 years
        _b("5", "12", "90", "250"),  # 6-11 years
        _b("10", "25", "160", "400"),  # 12-17 years
        _b("4", "30", "250", "650"),  # adult: heaviest documented ~635 kg
    ),
    VitalSign.BODY_HEIGHT: _by_age(  # cm
        _b("20", "40", "60", "70"),
        _b("25", "45", "85", "100"),
        _b("35", "65", "130", "150"),
        _b("50", "95", "175", "200"),
        _b("50", "125", "205", "250"),
        _b("50", "120", "220", "275"),  # shortest adult 54.6 cm, tallest 272 cm
    ),
    VitalSign.HEAD_CIRCUMFERENCE: _by_age(  # cm
        _b("15", "28", "40", "100"),
        _b("15", "32", "50", "100"),
        _b("15", "42", "56", "100"),
        _b("15", "46", "60", "100"),
        _b("15", "48", "62", "100"),
        _b("15", "50", "64", "100"),
    ),
    VitalSign.HEART_RATE: _by_age(  # /min; PALS ranges, widened
        _b("10", "80", "210", "350"),
        _b("10", "70", "200", "350"),
        _b("10", "60", "170", "350"),
        _b("10", "50", "150", "350"),
        _b("10", "40", "150", "350"),
        _b("10", "40", "150", "350"),
    ),
    VitalSign.SYSTOLIC_BP: _by_age(  # mmHg; a cuff is graduated to 300
        _b("20", "45", "100", "300"),
        _b("20", "55", "120", "300"),
        _b("20", "65", "130", "300"),
        _b("20", "75", "145", "300"),
        _b("20", "80", "170", "300"),
        _b("20", "70", "220", "300"),
    ),
    VitalSign.DIASTOLIC_BP: _by_age(  # mmHg; Korotkoff sounds can persist to 0
        _b("0", "20", "70", "250"),
        _b("0", "25", "80", "250"),
        _b("0", "30", "90", "250"),
        _b("0", "35", "95", "250"),
        _b("0", "40", "110", "250"),
        _b("0", "40", "130", "250"),
    ),
    # Survivors of 11.8 °C (accidental hypothermia) and 46.5 °C (heat stroke) exist.
    VitalSign.BODY_TEMPERATURE: _by_age(_b("10", "35.0", "41.0", "47")),
    # Oximeters are calibrated from 70 %; lower readings are shown and can be real.
    VitalSign.OXYGEN_SATURATION: _by_age(_b("1", "85", "100", "100")),
    # g/L; glucometers read 0.10-0.20 to 6.00 g/L, the highest lab value on record
    # is 26.6 g/L (147.6 mmol/L).
    VitalSign.CAPILLARY_GLUCOSE: _by_age(_b("0.10", "0.40", "4.00", "30")),
    VitalSign.BMI: _by_age(_b("5", "10", "60", "250")),
}

# What most often explains a value outside the likely range, said in the message.
_HINTS = {
    (VitalSign.CAPILLARY_GLUCOSE, "high"): gettext_lazy(
        "Si elle est en mmol/L, précisez l'unité (5,8 mmol/L)."
    ),
    (VitalSign.DIASTOLIC_BP, "low"): gettext_lazy(
        "Si la tension est en cmHg, saisissez les deux valeurs en cmHg (12/8)."
    ),
}


def bounds_for(sign: VitalSign, age: Age | None) -> Bounds:
    """The bounds of the patient's age group; without an age, the widest of all
    groups, so that no real patient is refused for want of a birth date."""
    table = BOUNDS[sign]
    if age is not None:
        return table[age.group]
    every = table.values()
    return Bounds(
        min(b.possible_min for b in every),
        min(b.likely_min for b in every),
        max(b.likely_max for b in every),
        max(b.possible_max for b in every),
    )


def check_measure(sign: VitalSign, value: Decimal, age: Age | None = None) -> Plausibility:
    """`value` is in the sign's canonical unit, as `parse_measure` returns it."""
    bounds = bounds_for(sign, age)
    who = f" {age.group.phrase}" if age is not None else ""
    args = {"label": sign.label, "value": format_value(sign, value), "who": who}
    if not bounds.possible_min <= value <= bounds.possible_max:
        message = _(
            "%(label)s : %(value)s est une valeur impossible%(who)s (possible de %(low)s "
            "à %(high)s) ; vérifiez la saisie."
        ) % {
            **args,
            "low": format_value(sign, bounds.possible_min),
            "high": format_value(sign, bounds.possible_max),
        }
        return Plausibility(Verdict.REFUSED, (message,))
    if not bounds.likely_min <= value <= bounds.likely_max:
        message = _(
            "%(label)s : %(value)s est une valeur inhabituelle%(who)s (habituellement de "
            "%(low)s à %(high)s) ; confirmez-la si elle est juste."
        ) % {
            **args,
            "low": format_value(sign, bounds.likely_min),
            "high": format_value(sign, bounds.likely_max),
        }
        hint = _HINTS.get((sign, "low" if value < bounds.likely_min else "high"))
        return Plausibility(Verdict.CONFIRM, (message, str(hint)) if hint else (message,))
    return Plausibility(Verdict.OK)


def check_blood_pressure(
    systolic: Decimal, diastolic: Decimal, age: Age | None = None
) -> Plausibility:
    """Both pressures in mmHg. The systolic must exceed the diastolic: a pulse
    pressure of zero or less is a typo or swapped values, never a patient."""
    results = [
        check_measure(VitalSign.SYSTOLIC_BP, systolic, age),
        check_measure(VitalSign.DIASTOLIC_BP, diastolic, age),
    ]
    if systolic <= diastolic:
        message = _(
            "Pression artérielle : la systolique (%(systolic)s) doit être supérieure à la "
            "diastolique (%(diastolic)s) ; vérifiez la saisie."
        ) % {
            "systolic": format_value(VitalSign.SYSTOLIC_BP, systolic),
            "diastolic": format_value(VitalSign.DIASTOLIC_BP, diastolic),
        }
        results.append(Plausibility(Verdict.REFUSED, (message,)))
    return combine(*results)


def combine(*results: Plausibility) -> Plausibility:
    """The most severe verdict, with every reason given."""
    verdict = max((r.verdict for r in results), key=_SEVERITY.__getitem__, default=Verdict.OK)
    return Plausibility(verdict, tuple(reason for r in results for reason in r.reasons))
