"""Reading vital signs as French practices type them.

« 72,5 », « 72.5 », « 72,5 kg », « 1,75 m », « 1m75 », « 12/8 », « 120/80 »,
« 38,2 », « 1,05 g/L », « 5,8 mmol/L ». The value comes out in the sign's canonical
unit, rounded half up to its precision, with a French note whenever a unit was
converted so the form can echo what was understood. Whether the value is plausible
is a separate question (`plausibility.py`): parsing only refuses text that is not a
measure at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import NoReturn

from django.utils.translation import gettext as _

from hygie.clinical.measures.formatting import (
    NBSP,
    format_blood_pressure,
    format_number,
    format_value,
)
from hygie.clinical.measures.signs import VitalSign, quantum

# Glucose, C6H12O6: 180.16 g/mol, so 1 mmol/L = 0.18016 g/L (1 g/L = 5.551 mmol/L).
GLUCOSE_G_PER_MMOL = Decimal("0.18016")

# Below these a number typed without unit cannot be in the canonical unit (no one is
# 3 cm tall, a cuff cannot measure a systolic under 30 mmHg) and is read in the other
# unit French practice uses: metres, centimetres of mercury. The ranges do not overlap
# (no one is 3 m tall, a manometer stops at 300 mmHg), so the rule never guesses.
BARE_HEIGHT_IN_METRES_BELOW = Decimal(3)
BARE_PRESSURE_IN_CMHG_BELOW = Decimal(30)

_MAX_INPUT = 40
_NUMBER = r"[0-9]+(?:[.,][0-9]+)?"
# A unit holds no digit nor decimal mark: « 72,5,3 » and « 1e3 » are not numbers.
_VALUE = re.compile(rf"(?P<number>{_NUMBER})\s*(?P<unit>[^0-9.,]*)")
_METRES_AND_CENTIMETRES = re.compile(r"(?P<m>[0-9])\s*m\s*(?P<cm>[0-9]{2})")
_PRESSURE = re.compile(rf"(?P<sys>{_NUMBER})\s*/\s*(?P<dia>{_NUMBER})\s*(?P<unit>[^0-9.,/]*)")

# Units accepted after the number, lower case and without spaces, with the factor
# to the canonical unit and the way the unit is written back in a note.
_UNITS: dict[VitalSign, dict[str, tuple[Decimal, str]]] = {
    VitalSign.BODY_WEIGHT: {
        "kg": (Decimal(1), "kg"),
        "kgs": (Decimal(1), "kg"),
        "g": (Decimal("0.001"), "g"),
    },
    VitalSign.BODY_HEIGHT: {"cm": (Decimal(1), "cm"), "m": (Decimal(100), "m")},
    VitalSign.HEART_RATE: {
        unit: (Decimal(1), "bpm")
        for unit in ("bpm", "/min", "/mn", "b/min", "batt/min", "battements/min", "pulsations/min")
    },
    VitalSign.BODY_TEMPERATURE: {unit: (Decimal(1), "°C") for unit in ("°c", "°", "c")},
    VitalSign.OXYGEN_SATURATION: {"%": (Decimal(1), "%")},
    VitalSign.CAPILLARY_GLUCOSE: {
        "g/l": (Decimal(1), "g/L"),
        "mg/dl": (Decimal("0.01"), "mg/dL"),
        "mmol/l": (GLUCOSE_G_PER_MMOL, "mmol/L"),
        "mmol": (GLUCOSE_G_PER_MMOL, "mmol/L"),
    },
    VitalSign.HEAD_CIRCUMFERENCE: {"cm": (Decimal(1), "cm")},
}
_ACCEPTED_UNITS = {
    VitalSign.BODY_WEIGHT: "kg, g",
    VitalSign.BODY_HEIGHT: "cm, m",
    VitalSign.HEART_RATE: "bpm, /min",
    VitalSign.BODY_TEMPERATURE: "°C",
    VitalSign.OXYGEN_SATURATION: "%",
    VitalSign.CAPILLARY_GLUCOSE: "g/L, mg/dL, mmol/L",
    VitalSign.HEAD_CIRCUMFERENCE: "cm",
}
PARSABLE_SIGNS = frozenset(_UNITS)


class InvalidMeasure(ValueError):
    """Text that is not a measure of the sign; the message, in the active language,
    says what is wrong and gives an example of what is expected."""


@dataclass(frozen=True)
class Measure:
    sign: VitalSign
    value: Decimal  # in the sign's canonical unit, at its precision
    note: str | None = None  # « 1,75 m converti en 175 cm »


@dataclass(frozen=True)
class BloodPressure:
    systolic: Decimal  # mmHg
    diastolic: Decimal  # mmHg
    note: str | None = None  # « 12/8 cmHg converti en 120/80 mmHg »


def parse_measure(sign: VitalSign, text: str) -> Measure:
    """Reads one value typed for `sign`. Blood pressure has `parse_blood_pressure`;
    the BMI is never typed (`compute_bmi`): asking for them is a programming error."""
    if sign not in PARSABLE_SIGNS:
        raise ValueError(f"{sign.name} is not typed as a single value")
    cleaned = _clean(text)
    if not cleaned:
        raise InvalidMeasure(
            _("%(label)s : aucune valeur saisie ; saisissez par exemple %(example)s.")
            % _explained(sign)
        )
    if sign is VitalSign.BODY_HEIGHT and (
        match := _METRES_AND_CENTIMETRES.fullmatch(cleaned.lower())
    ):
        # « 1m75 », as French speaks heights.
        value = Decimal(match["m"]) * 100 + Decimal(match["cm"])
        return Measure(sign, _rounded(sign, value))
    match = _VALUE.fullmatch(cleaned) if len(cleaned) <= _MAX_INPUT else None
    if match is None:
        _refuse_number(sign, text)
    number = _decimal(match["number"])
    unit = match["unit"].replace(" ", "").lower()
    if not unit:
        return _bare(sign, number)
    known = _UNITS[sign].get(unit)
    if known is None:
        raise InvalidMeasure(
            _(
                "%(label)s : unité « %(unit)s » non reconnue ; saisissez par exemple "
                "%(example)s (unités acceptées : %(units)s)."
            )
            % {**_explained(sign), "unit": _shown(match["unit"]), "units": _ACCEPTED_UNITS[sign]}
        )
    factor, unit_label = known
    value = _rounded(sign, number * factor)
    if factor == 1:
        return Measure(sign, value)
    typed = f"{_typed(number)}{NBSP}{unit_label}"
    note = _("%(typed)s converti en %(value)s") % {
        "typed": typed,
        "value": format_value(sign, value),
    }
    return Measure(sign, value, note)


def parse_blood_pressure(text: str) -> BloodPressure:
    """Reads « 120/80 » (mmHg) or « 12/8 » (cmHg, as French doctors say it), with or
    without the unit. Without a unit, a systolic under 30 means cmHg and both values
    are multiplied by 10; a systolic under 30 with a diastolic of 30 or more mixes the
    two units and is refused rather than guessed."""
    cleaned = _clean(text)
    label = _("Pression artérielle")
    expected = _(
        "saisissez la systolique et la diastolique séparées par « / », par exemple 120/80 ou 12/8"
    )
    if not cleaned:
        raise InvalidMeasure(
            _("%(label)s : aucune valeur saisie ; %(expected)s.")
            % {"label": label, "expected": expected}
        )
    match = _PRESSURE.fullmatch(cleaned) if len(cleaned) <= _MAX_INPUT else None
    if match is None:
        raise InvalidMeasure(
            _("%(label)s : « %(text)s » n'est pas une tension ; %(expected)s.")
            % {"label": label, "text": _shown(text), "expected": expected}
        )
    systolic, diastolic = _decimal(match["sys"]), _decimal(match["dia"])
    unit = match["unit"].replace(" ", "").lower()
    if unit not in ("", "mmhg", "cmhg"):
        raise InvalidMeasure(
            _("%(label)s : unité « %(unit)s » non reconnue ; saisissez 120/80 mmHg ou 12/8 cmHg.")
            % {"label": label, "unit": _shown(match["unit"])}
        )
    in_cmhg = unit == "cmhg"
    if not unit and systolic < BARE_PRESSURE_IN_CMHG_BELOW:
        if diastolic >= BARE_PRESSURE_IN_CMHG_BELOW:
            raise InvalidMeasure(
                _(
                    "%(label)s : « %(text)s » mélange centimètres et millimètres de mercure ; "
                    "saisissez 120/80 (mmHg) ou 12/8 (cmHg)."
                )
                % {"label": label, "text": _shown(text)}
            )
        in_cmhg = True
    if not in_cmhg:
        return BloodPressure(
            _rounded(VitalSign.SYSTOLIC_BP, systolic), _rounded(VitalSign.DIASTOLIC_BP, diastolic)
        )
    sys_mmhg = _rounded(VitalSign.SYSTOLIC_BP, systolic * 10)
    dia_mmhg = _rounded(VitalSign.DIASTOLIC_BP, diastolic * 10)
    typed = f"{_typed(systolic)}/{_typed(diastolic)}"
    in_cm = f"{typed}{NBSP}cmHg"
    in_mm = format_blood_pressure(sys_mmhg, dia_mmhg)
    if unit:
        note = _("%(typed)s converti en %(value)s") % {"typed": in_cm, "value": in_mm}
    else:
        note = _("%(typed)s compris comme %(inferred)s, soit %(value)s") % {
            "typed": typed,
            "inferred": in_cm,
            "value": in_mm,
        }
    return BloodPressure(sys_mmhg, dia_mmhg, note)


def _bare(sign: VitalSign, number: Decimal) -> Measure:
    if sign is VitalSign.BODY_HEIGHT and number < BARE_HEIGHT_IN_METRES_BELOW:
        value = _rounded(sign, number * 100)
        note = _("%(typed)s compris comme %(inferred)s, soit %(value)s") % {
            "typed": _typed(number),
            "inferred": f"{_typed(number)}{NBSP}m",
            "value": format_value(sign, value),
        }
        return Measure(sign, value, note)
    return Measure(sign, _rounded(sign, number))


def _refuse_number(sign: VitalSign, text: str) -> NoReturn:
    stripped = _clean(text)
    if stripped[:1] in ("-", "\u2212"):
        message = _(
            "%(label)s : une valeur négative n'est pas possible ; "
            "saisissez par exemple %(example)s."
        )
        raise InvalidMeasure(message % _explained(sign))
    raise InvalidMeasure(
        _("%(label)s : « %(text)s » n'est pas un nombre ; saisissez par exemple %(example)s.")
        % {**_explained(sign), "text": _shown(text)}
    )


def _clean(text: str) -> str:
    # \s covers the no-break spaces a copy from a document brings along.
    return re.sub(r"\s+", " ", text).strip()


def _shown(text: str) -> str:
    """The user's text quoted back, shortened so a pasted paragraph stays readable."""
    cleaned = _clean(text)
    return cleaned if len(cleaned) <= _MAX_INPUT else cleaned[:_MAX_INPUT] + "…"


def _decimal(number: str) -> Decimal:
    return Decimal(number.replace(",", "."))


def _typed(number: Decimal) -> str:
    """The number as typed, written back with the locale's decimal mark."""
    exponent = number.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return format_number(number, places)


def _rounded(sign: VitalSign, value: Decimal) -> Decimal:
    return value.quantize(quantum(sign), rounding=ROUND_HALF_UP)


def _explained(sign: VitalSign) -> dict[str, object]:
    return {"label": sign.label, "example": format_value(sign, sign.spec.example, with_unit=False)}
