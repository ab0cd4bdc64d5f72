"""Identity input, validated the same way for the web form, the CSV import and the API."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from .enums import Gender, InsOid
from .identity import (
    check_birth_date,
    check_birthplace,
    check_nir_matches_traits,
    clean_nir,
    oid_for,
)

PHONE = re.compile(r"^\+?[0-9 .-]{6,20}$")
NAME = re.compile(r"^[^\W\d_]+(?:[ '\-][^\W\d_]+)*$")


@dataclass(frozen=True)
class IdentityData:
    birth_family_name: str
    birth_given_names: str
    birth_date: dt.date
    sex: str
    birthplace_insee: str = ""
    used_family_name: str = ""
    used_given_name: str = ""
    nir: str = ""
    ins_oid: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""


def _name(value: str, field: str, errors: dict[str, list[str]], required: bool) -> str:
    cleaned = " ".join((value or "").split())
    if not cleaned:
        if required:
            errors.setdefault(field, []).append(_("Ce champ est obligatoire."))
        return ""
    if len(cleaned) > 100 or not NAME.match(cleaned):
        errors.setdefault(field, []).append(
            _("Lettres, espaces, tirets et apostrophes uniquement (100 caractères au plus).")
        )
    return cleaned.upper() if field.endswith("family_name") else cleaned


def check_identity(data: IdentityData, today: dt.date) -> IdentityData:
    """Returns the cleaned identity or raises ValidationError with a message per field."""
    errors: dict[str, list[str]] = {}
    family = _name(data.birth_family_name, "birth_family_name", errors, required=True)
    given = _name(data.birth_given_names, "birth_given_names", errors, required=True)
    used_family = _name(data.used_family_name, "used_family_name", errors, required=False)
    used_given = _name(data.used_given_name, "used_given_name", errors, required=False)
    if data.sex not in Gender.values:
        errors.setdefault("sex", []).append(_("Sexe attendu : féminin, masculin ou inconnu."))
    try:
        birth_date = check_birth_date(data.birth_date, today)
    except ValidationError as exc:
        errors.setdefault("birth_date", []).extend(exc.messages)
        birth_date = data.birth_date
    birthplace = ""
    if data.birthplace_insee:
        try:
            birthplace = check_birthplace(data.birthplace_insee)
        except ValidationError as exc:
            errors.setdefault("birthplace_insee", []).extend(exc.messages)
    nir, oid = "", ""
    if data.nir:
        try:
            nir = clean_nir(data.nir)
            oid = oid_for(data.ins_oid)
            if oid != InsOid.NIA:
                check_nir_matches_traits(nir, sex=data.sex, birth_date=birth_date)
        except ValidationError as exc:
            errors.setdefault("nir", []).extend(exc.messages)
    elif data.ins_oid:
        errors.setdefault("nir", []).append(_("L'OID est donné sans matricule INS."))
    phone = " ".join((data.phone or "").split())
    if phone and not PHONE.match(phone):
        errors.setdefault("phone", []).append(_("Numéro de téléphone invalide."))
    email = (data.email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.setdefault("email", []).append(_("Adresse e-mail invalide."))
    address = " ".join((data.address or "").split())
    if len(address) > 300:
        errors.setdefault("address", []).append(_("Adresse trop longue (300 caractères au plus)."))
    if errors:
        raise ValidationError(errors)
    return replace(
        data,
        birth_family_name=family,
        birth_given_names=given,
        used_family_name=used_family,
        used_given_name=used_given,
        birth_date=birth_date,
        birthplace_insee=birthplace,
        nir=nir,
        ins_oid=oid,
        phone=phone,
        email=email.lower(),
        address=address,
    )
