"""Checks on identifiers of health professionals."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import luhn
from stdnum.exceptions import ValidationError as StdnumError


def check_rpps(value: str) -> str:
    """An RPPS number: 11 digits whose last is a Luhn check digit. Returns it cleaned."""
    cleaned = "".join(value.split())
    if len(cleaned) != 11 or not cleaned.isdigit():
        raise ValidationError(_("Le numéro RPPS doit comporter 11 chiffres."), code="rpps_format")
    try:
        luhn.validate(cleaned)
    except StdnumError as exc:
        raise ValidationError(
            _("Le numéro RPPS %(value)s a une clé de contrôle incorrecte.") % {"value": cleaned},
            code="rpps_checksum",
        ) from exc
    return cleaned
