"""Patient (domain) → FR Core 2.2.0 Patient. Decision 0009, §1.

The INS matricule leaves Hygie only for a qualified identity (FR Core, and RNIV
EXI 12): the resource then claims the FR Core Patient INS profile. Every other
identity is an FR Core Patient without INS. The caller obtained `patient` through
the access layer; this module reads no database and audits nothing.
"""

from __future__ import annotations

from typing import Any

from hygie.patients.enums import IdentityDocument, IdentityStatus
from hygie.patients.models import Patient

from .. import systems as S

# Hygie's identity documents → FR Core validation modes. A residence permit has a
# code (CS) that the INS profile's required binding does not allow: it is then
# left out rather than sent wrong (decision 0009, §1.4).
VALIDATION_MODES = {
    IdentityDocument.NATIONAL_ID: "CN",
    IdentityDocument.PASSPORT: "PA",
    IdentityDocument.BIRTH_CERTIFICATE: "AN",
    IdentityDocument.FAMILY_BOOK: "LE",
    IdentityDocument.RESIDENCE_PERMIT: "CS",
}
INS_PROFILE_MODES = frozenset({"CN", "PA", "AN", "LE"})


def _coding(system: str, code: str) -> dict[str, Any]:
    return {"system": system, "code": code}


def _reliability(patient: Patient, qualified: bool) -> dict[str, Any] | None:
    parts: list[dict[str, Any]] = []
    # FR Core 2.2.0 has PROV and VALI only; "récupérée" has no code: none is sent.
    status = {
        IdentityStatus.PROVISIONAL: "PROV",
        IdentityStatus.VALIDATED: "VALI",
        IdentityStatus.QUALIFIED: "VALI",
    }.get(IdentityStatus(patient.identity_status))
    if status:
        parts.append(
            {"url": "identityStatus", "valueCoding": _coding(S.IDENTITY_STATUS_SYSTEM, status)}
        )
    if patient.ins_retrieved_at is not None:
        parts.append(
            {"url": "methodCollection", "valueCoding": _coding(S.METHOD_COLLECTION_SYSTEM, "INSI")}
        )
        parts.append(
            {"url": "dateCollection", "valueDate": patient.ins_retrieved_at.date().isoformat()}
        )
    if patient.identity_document and patient.identity_checked_at is not None:
        parts.append(
            {"url": "validationDate", "valueDate": patient.identity_checked_at.date().isoformat()}
        )
        mode = VALIDATION_MODES.get(IdentityDocument(patient.identity_document))
        if mode and (not qualified or mode in INS_PROFILE_MODES):
            parts.append(
                {"url": "validationMode", "valueCoding": _coding(S.VALIDATION_MODE_SYSTEM, mode)}
            )
    return {"url": S.IDENTITY_RELIABILITY, "extension": parts} if parts else None


def _names(patient: Patient) -> list[dict[str, Any]]:
    given = patient.birth_given_names.split()
    official: dict[str, Any] = {
        "use": "official",
        "family": patient.birth_family_name,
        "given": given[:1],
        "extension": [{"url": S.BIRTH_LIST_GIVEN_NAME, "valueString": " ".join(given)}],
    }
    names = [official]
    if patient.used_family_name or patient.used_given_name:
        usual: dict[str, Any] = {"use": "usual"}
        if patient.used_family_name:
            usual["family"] = patient.used_family_name
        if patient.used_given_name:
            usual["given"] = [patient.used_given_name]
        names.append(usual)
    return names


def _identifiers(patient: Patient, qualified: bool) -> list[dict[str, Any]]:
    identifiers = []
    if qualified and patient.nir and patient.ins_oid:
        system = f"urn:oid:{patient.ins_oid}"
        identifiers.append(
            {
                "use": "official",
                "system": system,
                "value": patient.nir,
                "type": {"coding": [_coding(S.FR_CORE_IDENTIFIER_TYPE, S.INS_TYPE_CODES[system])]},
            }
        )
    identifiers.append(
        {
            "use": "usual",
            "system": S.patient_id_system(patient.practice_id),
            "value": str(patient.pk),
            "type": {"coding": [_coding(S.V2_IDENTIFIER_TYPE, "PI")]},
        }
    )
    return identifiers


def to_fhir(patient: Patient) -> dict[str, Any]:
    qualified = patient.identity_status == IdentityStatus.QUALIFIED and bool(patient.nir)
    profile = "fr-core-patient-ins" if qualified else "fr-core-patient"
    extensions = []
    reliability = _reliability(patient, qualified)
    if reliability:
        extensions.append(reliability)
    if patient.birthplace_insee:
        # Unconfirmed in FR Core 2.2.0: how a birth abroad (99xxx) is coded; the
        # INSEE code is sent as INSi returns it (decision 0009, §1.5).
        extensions.append(
            {
                "url": S.BIRTH_PLACE,
                "valueAddress": {
                    "extension": [
                        {
                            "url": S.ADDRESS_INSEE_CODE,
                            "valueCoding": _coding(
                                S.INSEE_COMMUNE_SYSTEM, patient.birthplace_insee
                            ),
                        }
                    ]
                },
            }
        )
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(patient.pk),
        "meta": {
            "profile": [S.fr_core_profile(profile)],
            "lastUpdated": patient.updated_at.isoformat(),
        },
        "identifier": _identifiers(patient, qualified),
        "name": _names(patient),
        "gender": patient.sex,
        "birthDate": patient.birth_date.isoformat(),
    }
    if extensions:
        resource["extension"] = extensions
    telecom = []
    if patient.phone:
        telecom.append({"system": "phone", "value": patient.phone})
    if patient.email:
        telecom.append({"system": "email", "value": patient.email})
    if telecom:
        resource["telecom"] = telecom
    if patient.address:
        resource["address"] = [{"text": patient.address}]
    return resource
