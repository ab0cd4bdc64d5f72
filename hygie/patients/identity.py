"""Pure rules of patient identity: INS matricule checks and identity status."""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import nir as stdnum_nir

from .enums import (
    HIGH_TRUST_DOCUMENTS,
    MINOR_ONLY_DOCUMENTS,
    Gender,
    IdentityStatus,
    InsOid,
)

INSEE_PLACE = re.compile(r"^(?:\d{2}|2A|2B)\d{3}$")
MALE_DIGITS, FEMALE_DIGITS = "137", "248"


def clean_nir(value: str) -> str:
    """A NIR or NIA: 13 characters and a 2-digit key, 97 - (number mod 97), with the
    Corsican departments 2A and 2B. Spaces allowed in input, removed in output."""
    compact = stdnum_nir.compact(value or "")
    try:
        return str(stdnum_nir.validate(compact))
    except StdnumError as exc:
        if len(compact) != 15:
            message = _("Le NIR doit comporter 15 caractères (13 et une clé de 2 chiffres).")
        else:
            message = _("Le NIR %(value)s n'est pas valide : clé de contrôle incorrecte.") % {
                "value": stdnum_nir.format(compact)
            }
        raise ValidationError(message, code="nir") from exc


def check_nir_matches_traits(nir: str, *, sex: str, birth_date: dt.date | None) -> None:
    """Catches typos: the NIR carries the sex and the year (and usually month) of birth."""
    errors = []
    if sex == Gender.MALE and nir[0] not in MALE_DIGITS:
        errors.append(_("Le NIR commence par %(d)s : cela ne correspond pas au sexe masculin."))
    if sex == Gender.FEMALE and nir[0] not in FEMALE_DIGITS:
        errors.append(_("Le NIR commence par %(d)s : cela ne correspond pas au sexe féminin."))
    if birth_date is not None:
        if nir[1:3] != f"{birth_date.year % 100:02d}":
            errors.append(_("L'année de naissance du NIR diffère de la date de naissance."))
        month = int(nir[3:5])
        if 1 <= month <= 12 and month != birth_date.month:
            errors.append(_("Le mois de naissance du NIR diffère de la date de naissance."))
    if errors:
        raise ValidationError(
            [e % {"d": nir[0]} if "%(d)s" in e else e for e in errors], code="nir_traits"
        )


def check_birthplace(value: str) -> str:
    cleaned = (value or "").strip().upper()
    if not INSEE_PLACE.match(cleaned):
        raise ValidationError(
            _(
                "Le code INSEE du lieu de naissance comporte 5 caractères (ex. 75056, 2A004, "
                "ou 99xxx pour une naissance à l'étranger)."
            ),
            code="birthplace",
        )
    return cleaned


def check_birth_date(value: dt.date, today: dt.date) -> dt.date:
    if value > today:
        raise ValidationError(_("La date de naissance est dans le futur."), code="birth_date")
    if value.year < today.year - 130:
        raise ValidationError(_("La date de naissance est trop ancienne."), code="birth_date")
    return value


def is_high_trust(document: str, *, birth_date: dt.date | None, today: dt.date) -> bool:
    if document in HIGH_TRUST_DOCUMENTS:
        return True
    if document in MINOR_ONLY_DOCUMENTS and birth_date is not None:
        return age_on(birth_date, today) < 18
    return False


def age_on(birth_date: dt.date, today: dt.date) -> int:
    return (
        today.year
        - birth_date.year
        - ((today.month, today.day) < (birth_date.month, birth_date.day))
    )


def identity_status(*, ins_retrieved: bool, document_checked: bool) -> IdentityStatus:
    """RNIV: an INS retrieved from the national service makes an identity "récupérée";
    a high-trust document check makes it "validée"; both make it "qualifiée", the
    only status under which the INS may be used and shared."""
    if ins_retrieved and document_checked:
        return IdentityStatus.QUALIFIED
    if ins_retrieved:
        return IdentityStatus.RETRIEVED
    if document_checked:
        return IdentityStatus.VALIDATED
    return IdentityStatus.PROVISIONAL


def oid_for(declared: str) -> str:
    """The INS OID given with a matricule, checked; NIR when none is given."""
    if declared and declared not in InsOid.values:
        raise ValidationError(_("OID de l'INS inconnu : %(o)s") % {"o": declared}, code="oid")
    return declared or InsOid.NIR
