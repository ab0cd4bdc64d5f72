"""A practice member → FR Core 2.2.0 Practitioner. Decision 0009, §2.

The resource id is the user's id: a person is one Practitioner whatever the
practices they work in (each membership is a PractitionerRole). A member without
a health professional identity (an assistant, an office manager) is a
Practitioner too in FHIR's sense, with a name and nothing else.

Only the professional identity leaves Hygie: RPPS, name, profession. Never the
e-mail address (it is a login), nor anything else about the person. The caller
obtained `membership` through the access layer; this module audits nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hygie.accounts.models import User
from hygie.core import clock
from hygie.practices.models import Membership, Practitioner

from .. import systems as S


def practitioner_of(user: User) -> Practitioner | None:
    try:
        return user.practitioner
    except Practitioner.DoesNotExist:
        return None


def _identifiers(rpps: str) -> list[dict[str, Any]]:
    # FR Core says idNatPs "ne doit être ni construit ni interprété"; Hygie holds
    # only the RPPS, and TRE_G08 defines the "8" prefix (decision 0009, §2).
    return [
        {
            "use": "official",
            "system": S.IDNPS_SYSTEM,
            "value": S.IDNPS_RPPS_PREFIX + rpps,
            "type": {"coding": [{"system": S.FR_CORE_IDENTIFIER_TYPE, "code": "IDNPS"}]},
        },
        {
            "use": "official",
            "system": S.RPPS_SYSTEM,
            "value": rpps,
            "type": {"coding": [{"system": S.FR_CORE_IDENTIFIER_TYPE, "code": "RPPS"}]},
        },
    ]


def _name(user: User) -> dict[str, Any]:
    name: dict[str, Any] = {}
    if user.last_name:
        name["family"] = user.last_name.upper()
    if user.first_name:
        name["given"] = [user.first_name]
    return name


def to_fhir(user: User, membership: Membership, *, today: dt.date | None = None) -> dict[str, Any]:
    """`membership` is the user's place in the practice that asks: the Practitioner
    is active there while the membership is current and the account active."""
    if membership.user_id != user.pk:
        raise ValueError("the membership belongs to another user")
    today = today or clock.today()
    resource: dict[str, Any] = {
        "resourceType": "Practitioner",
        "id": str(user.pk),
        "meta": {"profile": [S.fr_core_profile("fr-core-practitioner")]},
        "active": user.is_active and membership.is_current(today),
    }
    practitioner = practitioner_of(user)
    if practitioner is not None:
        resource["identifier"] = _identifiers(practitioner.rpps)
    name = _name(user)
    if name:
        resource["name"] = [name]
    if practitioner is not None:
        # The exercicePro slice. Profession values are TRE_G15 codes already
        # (practices.enums). Its category (civil, military, student: TRE_R09) is
        # not known to Hygie and is left out, not guessed.
        profession = {"system": S.PROFESSION_SYSTEM, "code": practitioner.profession}
        resource["qualification"] = [{"code": {"coding": [profession]}}]
    return resource
