"""AllergyIntolerance (an allergy or intolerance of a patient, decision 0019) →
FHIR R4 AllergyIntolerance, the base resource: FR Core 2.2.0 publishes no
AllergyIntolerance profile (decision 0020).

The caller obtained `allergy` through hygie.clinical.access (the read is audited
there); this module queries and audits nothing. The codes are the domain's enum
values (FHIR codes): the mapping is the identity on them. `allergy` may be a
previous version rebuilt by access_allergy_history (unsaved, same shape).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

from hygie.clinical.enums import (
    AllergyIntoleranceClinicalStatus,
    AllergyIntoleranceVerificationStatus,
)
from hygie.clinical.models import AllergyIntolerance

from .. import systems as S

# Displays of the HL7 terminology code systems (English, as they define them);
# the French label of Hygie's enum goes in `text`.
CLINICAL_STATUS_DISPLAYS = {
    AllergyIntoleranceClinicalStatus.ACTIVE: "Active",
    AllergyIntoleranceClinicalStatus.INACTIVE: "Inactive",
    AllergyIntoleranceClinicalStatus.RESOLVED: "Resolved",
}
VERIFICATION_STATUS_DISPLAYS = {
    AllergyIntoleranceVerificationStatus.UNCONFIRMED: "Unconfirmed",
    AllergyIntoleranceVerificationStatus.PRESUMED: "Presumed",
    AllergyIntoleranceVerificationStatus.CONFIRMED: "Confirmed",
    AllergyIntoleranceVerificationStatus.REFUTED: "Refuted",
    AllergyIntoleranceVerificationStatus.ENTERED_IN_ERROR: "Entered in Error",
}


def _concept(system: str, code: str, display: str, text: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}], "text": text}


def code_of(allergy: AllergyIntolerance) -> dict[str, Any]:
    """AllergyIntolerance.code: the substance as typed in `text` (always there, so
    a client without ATC still shows it) and the ATC coding when a code was
    recorded. Hygie has no ATC label list yet (decision 0019, §2): the coding has
    no display, and a substance recorded by its code alone is named by it."""
    concept: dict[str, Any] = {}
    if allergy.atc_code:
        concept["coding"] = [{"system": S.ATC_SYSTEM, "code": str(allergy.atc_code)}]
    concept["text"] = allergy.substance_text or _("Code ATC %(code)s") % {"code": allergy.atc_code}
    return concept


def _instant(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def to_fhir(allergy: AllergyIntolerance) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "AllergyIntolerance",
        "id": str(allergy.pk),
        # Also set by the API from the Entry; here so that a mapped resource alone
        # carries its version (decision 0019, §5).
        "meta": {"versionId": str(allergy.version)},
    }
    if allergy.clinical_status:
        # FHIR ait-1/ait-2, kept by the database too: none when entered in error.
        status = AllergyIntoleranceClinicalStatus(allergy.clinical_status)
        resource["clinicalStatus"] = _concept(
            S.ALLERGY_CLINICAL_STATUS_SYSTEM,
            status.value,
            CLINICAL_STATUS_DISPLAYS[status],
            str(status.label),
        )
    verification = AllergyIntoleranceVerificationStatus(allergy.verification_status)
    resource["verificationStatus"] = _concept(
        S.ALLERGY_VERIFICATION_STATUS_SYSTEM,
        verification.value,
        VERIFICATION_STATUS_DISPLAYS[verification],
        str(verification.label),
    )
    resource["type"] = allergy.type
    resource["category"] = [allergy.category]
    if allergy.criticality:
        # Blank is "not assessed": FHIR's absent element, unlike unable-to-assess.
        resource["criticality"] = allergy.criticality
    resource["code"] = code_of(allergy)
    resource["patient"] = {"reference": f"Patient/{allergy.patient_id}"}
    onset = allergy.onset_fhir
    if onset is not None:
        # A partial dateTime at the precision recorded: 2019, 2019-03 or 2019-03-12.
        resource["onsetDateTime"] = onset
    resource["recordedDate"] = _instant(allergy.recorded_at)
    if allergy.recorded_by_id is not None:
        # The recorder's place in the practice, as for an observation's performer
        # (a system job records without one).
        resource["recorder"] = {"reference": f"PractitionerRole/{allergy.recorded_by_id}"}
    reactions = []
    for stored in allergy.reactions or []:
        reaction: dict[str, Any] = {"manifestation": [{"text": stored["manifestation"]}]}
        if stored.get("severity"):
            reaction["severity"] = stored["severity"]
        reactions.append(reaction)
    if reactions:
        resource["reaction"] = reactions
    if allergy.note:
        resource["note"] = [{"text": allergy.note}]
    return resource
