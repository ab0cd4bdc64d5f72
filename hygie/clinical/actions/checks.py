"""Input checks shared by the clinical record's forms (allergies, problems, family
history): the same rules give the same French messages everywhere. Each check
adds to an `Errors` dict (field → errors) so that a form reports every problem
at once, and returns the cleaned value."""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.db.models import TextChoices
from django.utils.translation import gettext as _

from hygie.clinical.enums import DatePrecision

# A reason for marking an entry in error: "doublon" is one; "x" is not.
REASON_MIN_LENGTH = 5

_YEAR = re.compile(r"(\d{4})")
_MONTH = re.compile(r"(\d{1,2})/(\d{4})|(\d{4})-(\d{2})")
_DAY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})|(\d{4})-(\d{2})-(\d{2})")


Errors = dict[str, list[ValidationError]]


def add_error(errors: Errors, field: str, message: str, code: str) -> None:
    errors.setdefault(field, []).append(ValidationError(message, code=code))


def clean_text(value: str) -> str:
    return " ".join((value or "").split())


def choice(
    value: str,
    choices: type[TextChoices],
    field: str,
    errors: Errors,
    *,
    required: str | None,
) -> str:
    """The code if it is one of `choices`; blank is an error when `required`
    holds the message to give, and allowed otherwise."""
    value = (value or "").strip()
    if not value:
        if required is not None:
            add_error(errors, field, required, "required")
        return ""
    if value not in choices.values:
        add_error(
            errors,
            field,
            _("« %(value)s » n'est pas une valeur possible.") % {"value": value},
            "invalid",
        )
        return ""
    return value


def parse_onset(text: str) -> tuple[dt.date, DatePrecision] | None:
    """A partial date as typed, as its first day and its precision; None when
    it is not one. Raises nothing: the caller reports."""
    text = text.strip()
    try:
        if match := _YEAR.fullmatch(text):
            return dt.date(int(match[1]), 1, 1), DatePrecision.YEAR
        if match := _MONTH.fullmatch(text):
            month, year = (match[1], match[2]) if match[1] else (match[4], match[3])
            return dt.date(int(year), int(month), 1), DatePrecision.MONTH
        if match := _DAY.fullmatch(text):
            if match[1]:
                day, month, year = match[1], match[2], match[3]
            else:
                year, month, day = match[4], match[5], match[6]
            return dt.date(int(year), int(month), int(day)), DatePrecision.DAY
    except ValueError:  # 31/02/2019, 13/2019
        return None
    return None


def truncated(day: dt.date, precision: DatePrecision) -> tuple[int, ...]:
    """The date as far as the precision goes, for comparing partial dates."""
    full = (day.year, day.month, day.day)
    return full[: {DatePrecision.YEAR: 1, DatePrecision.MONTH: 2, DatePrecision.DAY: 3}[precision]]
