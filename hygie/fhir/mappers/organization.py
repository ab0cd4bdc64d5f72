"""Practice (domain) → FR Core 2.2.0 Organization. Decision 0009, §2.

The caller obtained `practice` through the access layer; this module reads no
database and audits nothing.
"""

from __future__ import annotations

from typing import Any

from hygie.practices.models import Practice

from .. import systems as S

# A practice is the place where its members give care. FINESS numbers come in two
# kinds: the legal entity (FINEJ, e.g. the SISA or association that runs a health
# centre) and the site where care is given (FINEG, "entité géographique"). Hygie
# models the site, not the legal entity, so the number a practice enters is sent
# as FINEG.
FINESS_TYPE = "FINEG"


def to_fhir(practice: Practice) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Organization",
        "id": str(practice.pk),
        "meta": {
            "profile": [S.fr_core_profile("fr-core-organization")],
            "lastUpdated": practice.updated_at.isoformat(),
        },
        # Hygie never closes a practice: a read-only practice (incident mode) still
        # exists and still gives care.
        "active": True,
        "name": practice.name,
    }
    if practice.finess:
        resource["identifier"] = [
            {
                "system": S.FINESS_SYSTEM,
                "value": practice.finess,
                "type": {"coding": [{"system": S.FR_CORE_IDENTIFIER_TYPE, "code": FINESS_TYPE}]},
            }
        ]
    return resource
