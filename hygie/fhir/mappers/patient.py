"""Patient (domain) ⇄ FR Core 2.2.0 Patient. Decision 0009, §1.

Out (`to_fhir`): the INS matricule leaves Hygie only for a qualified identity (FR
Core, and RNIV EXI 12): the resource then claims the FR Core Patient INS profile.
Every other identity is an FR Core Patient without INS. The caller obtained
`patient` through the access layer; this module reads no database and audits
nothing.

In (`from_fhir`): an FR Core Patient, already checked by
`validation.validate_resource`, becomes Hygie's identity input, checked by
`patients.forms_data.check_identity` like the web form and the CSV import. What
Hygie cannot store is refused, never dropped. Accepted:

- `name`: one `official` name (family = birth name; the birth first names from
  the birth-list-given-name extension, else from `given`, whose first must then
  open that list) and at most one `usual` name (family, given): used names;
- `gender` (male, female, unknown) and `birthDate` (a full date): both required;
- `extension`: birthPlace, as an address holding only the INSEE code extension
  (and `city`, which the code determines); identity-reliability, informative only:
  Hygie recomputes the status (decision 0006);
- `identifier`: one INS (NIR, NIA or test NIR system, use official), treated as
  typed by hand; this practice's local id (the API matches it with the URL);
- `telecom`: one phone and one email, `system` and `value` only;
- `address`: one, as `text` only (Hygie stores the address as one text);
- `id`, `meta` (profile, versionId, lastUpdated), `text` when generated, and
  `active: true`: nothing to store.

Everything else (a second official name, `deceased[x]`, `link`, `contact`, `photo`,
`communication`, `generalPractitioner`, `use` or `period` on a contact point…) is
refused with an issue naming the element.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from hygie.core import clock
from hygie.patients.enums import IdentityDocument, IdentityStatus
from hygie.patients.forms_data import IdentityData, check_identity
from hygie.patients.models import Patient

from .. import systems as S
from ..validation import FhirValidationError, Issue

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


# Where each identity field is read from, when nothing more precise was recorded.
FIELD_PATHS = {
    "birth_family_name": "Patient.name",
    "birth_given_names": "Patient.name",
    "used_family_name": "Patient.name",
    "used_given_name": "Patient.name",
    "sex": "Patient.gender",
    "birth_date": "Patient.birthDate",
    "birthplace_insee": "Patient.extension",
    "nir": "Patient.identifier",
    "phone": "Patient.telecom",
    "email": "Patient.telecom",
    "address": "Patient.address",
}
ACCEPTED = frozenset(
    {
        "resourceType",
        "id",
        "meta",
        "text",
        "extension",
        "identifier",
        "active",
        "name",
        "gender",
        "birthDate",
        "telecom",
        "address",
    }
)


@dataclass
class _Reading:
    """The identity fields read so far, the element each came from, the issues."""

    values: dict[str, str] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    # Fields already refused: check_identity's own complaint about them would repeat it.
    reported: set[str] = field(default_factory=set)

    def take(self, name: str, value: str, path: str) -> None:
        self.values[name] = value
        self.paths[name] = path

    def refuse(
        self, path: str, message: str, code: str = "not-supported", fields: tuple[str, ...] = ()
    ) -> None:
        self.issues.append(Issue(code=code, diagnostics=message, expression=path))
        self.reported.update(fields)

    def only(self, node: dict[str, Any], path: str, allowed: set[str], message: str) -> None:
        for key in node:
            if key not in allowed:
                self.refuse(f"{path}.{key}", message)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _official_given(name: dict[str, Any], path: str, read: _Reading) -> None:
    given = [g for g in _list(name.get("given")) if isinstance(g, str)]
    birth_list = ""
    for index, extension in enumerate(_list(name.get("extension"))):
        where = f"{path}.extension[{index}]"
        if extension.get("url") != S.BIRTH_LIST_GIVEN_NAME or birth_list:
            read.refuse(where, _("Extension de nom non prise en charge par Hygie."))
            continue
        birth_list = " ".join(str(extension.get("valueString") or "").split())
        read.take("birth_given_names", birth_list, f"{where}.valueString")
    if not birth_list:
        read.take("birth_given_names", " ".join(given), f"{path}.given")
        return
    # FR Core: `given` holds the first birth first name, which may be compound.
    first = " ".join(given).casefold()
    listed = birth_list.casefold()
    if len(given) > 1 or (first and not (listed == first or listed.startswith(first + " "))):
        read.refuse(
            f"{path}.given",
            _("Le prénom (given) doit être le premier des prénoms de naissance de la liste."),
            code="invariant",
        )


def _read_names(names: list[Any], read: _Reading) -> None:
    seen: set[str] = set()
    for index, name in enumerate(names):
        path = f"Patient.name[{index}]"
        use = name.get("use")
        if use not in ("official", "usual"):
            read.refuse(
                f"{path}.use",
                _("Hygie enregistre le nom de naissance (official) et le nom utilisé (usual)."),
            )
            continue
        if use in seen:
            read.refuse(
                path, _("Un seul nom de chaque usage (%(use)s) est accepté.") % {"use": use}
            )
            continue
        seen.add(use)
        allowed = {"use", "family", "given"} | ({"extension"} if use == "official" else set())
        read.only(name, path, allowed, _("Élément du nom non pris en charge par Hygie."))
        family = str(name.get("family") or "")
        if use == "official":
            read.take("birth_family_name", family, f"{path}.family")
            _official_given(name, path, read)
        else:
            read.take("used_family_name", family, f"{path}.family")
            given = [g for g in _list(name.get("given")) if isinstance(g, str)]
            read.take("used_given_name", " ".join(given), f"{path}.given")
    if "official" not in seen:
        read.refuse(
            "Patient.name",
            _("Le nom de naissance (name de use « official ») est obligatoire."),
            code="required",
            fields=("birth_family_name", "birth_given_names"),
        )


def _read_birth_place(place: Any, path: str, read: _Reading) -> None:
    address = place if isinstance(place, dict) else {}
    read.only(
        address,
        f"{path}.valueAddress",
        {"extension", "city"},
        _("Hygie enregistre le lieu de naissance par son seul code INSEE."),
    )
    codes = []
    for index, extension in enumerate(_list(address.get("extension"))):
        where = f"{path}.valueAddress.extension[{index}]"
        coding = extension.get("valueCoding") or {}
        if extension.get("url") != S.ADDRESS_INSEE_CODE or coding.get("system") != (
            S.INSEE_COMMUNE_SYSTEM
        ):
            read.refuse(where, _("Seul le code INSEE (TRE_R13-CommuneOM) est accepté ici."))
            continue
        codes.append((str(coding.get("code") or ""), f"{where}.valueCoding.code"))
    if len(codes) != 1:
        read.refuse(
            f"{path}.valueAddress",
            _("Le lieu de naissance porte un code INSEE, un seul."),
            code="required",
            fields=("birthplace_insee",),
        )
        return
    read.take("birthplace_insee", *codes[0])


def _read_extensions(extensions: list[Any], read: _Reading) -> None:
    places = 0
    for index, extension in enumerate(extensions):
        path = f"Patient.extension[{index}]"
        url = extension.get("url")
        if url == S.IDENTITY_RELIABILITY:
            continue  # informative: Hygie computes the identity status itself
        if url == S.BIRTH_PLACE:
            places += 1
            if places == 1:
                _read_birth_place(extension.get("valueAddress"), path, read)
            else:
                read.refuse(path, _("Un seul lieu de naissance est accepté."))
            continue
        read.refuse(path, _("Extension non prise en charge par Hygie : %(url)s") % {"url": url})


def _read_identifiers(identifiers: list[Any], practice_id: object, read: _Reading) -> None:
    local = S.patient_id_system(practice_id)
    for index, identifier in enumerate(identifiers):
        path = f"Patient.identifier[{index}]"
        system = identifier.get("system")
        if system == local:
            continue  # the record's own id: the API matches it with the URL
        if system not in S.INS_TYPE_CODES:
            read.refuse(
                f"{path}.system",
                _("Identifiant non pris en charge par Hygie : %(s)s") % {"s": system},
            )
            continue
        if "nir" in read.paths:
            read.refuse(path, _("Un seul matricule INS est accepté."))
            continue
        read.only(
            identifier,
            path,
            {"use", "system", "value", "type"},
            _("Élément d'identifiant non pris en charge par Hygie."),
        )
        if identifier.get("use", "official") != "official":
            read.refuse(f"{path}.use", _("Seul le matricule INS en cours (official) est accepté."))
        codings = _list((identifier.get("type") or {}).get("coding"))
        expected = {"system": S.FR_CORE_IDENTIFIER_TYPE, "code": S.INS_TYPE_CODES[system]}
        if "type" in identifier and not any(
            {k: c.get(k) for k in expected} == expected for c in codings
        ):
            read.refuse(
                f"{path}.type",
                _("Le type d'identifiant attendu pour ce système est %(code)s.")
                % {"code": expected["code"]},
                code="value",
            )
        read.take("nir", str(identifier.get("value") or ""), f"{path}.value")
        read.take("ins_oid", system.removeprefix("urn:oid:"), f"{path}.system")


def _read_contacts(telecom: list[Any], addresses: list[Any], read: _Reading) -> None:
    for index, point in enumerate(telecom):
        path = f"Patient.telecom[{index}]"
        system = point.get("system")
        if system not in ("phone", "email"):
            read.refuse(f"{path}.system", _("Hygie enregistre un téléphone et un e-mail."))
            continue
        if system in read.paths:  # the identity fields are named phone and email too
            read.refuse(path, _("Un seul %(s)s est accepté.") % {"s": system})
            continue
        read.only(
            point, path, {"system", "value"}, _("Hygie n'enregistre que le système et la valeur.")
        )
        read.take(system, str(point.get("value") or ""), f"{path}.value")
    for index, address in enumerate(addresses):
        path = f"Patient.address[{index}]"
        if index:
            read.refuse(path, _("Une seule adresse est acceptée."))
            continue
        read.only(
            address, path, {"text"}, _("Hygie enregistre l'adresse en un texte (address.text).")
        )
        read.take("address", str(address.get("text") or ""), f"{path}.text")


def _read_resource(data: dict[str, Any], practice_id: object, read: _Reading) -> dt.date | None:
    for key in data:
        if key not in ACCEPTED:
            read.refuse(f"Patient.{key}", _("Élément non pris en charge par Hygie."))
    meta = data.get("meta") or {}
    read.only(
        meta,
        "Patient.meta",
        {"profile", "versionId", "lastUpdated"},
        _("Métadonnée non prise en charge par Hygie."),
    )
    if "text" in data and (data["text"] or {}).get("status") != "generated":
        read.refuse("Patient.text", _("Hygie ne conserve pas de texte narratif."))
    if data.get("active", True) is not True:
        read.refuse("Patient.active", _("Un dossier inactif n'est pas pris en charge."))
    _read_names(_list(data.get("name")), read)
    _read_extensions(_list(data.get("extension")), read)
    _read_identifiers(_list(data.get("identifier")), practice_id, read)
    _read_contacts(_list(data.get("telecom")), _list(data.get("address")), read)
    if "gender" in data:
        read.take("sex", str(data["gender"]), "Patient.gender")
    else:
        read.refuse(
            "Patient.gender", _("Le sexe est obligatoire."), code="required", fields=("sex",)
        )
    birth = str(data.get("birthDate") or "")
    if not birth:
        read.refuse("Patient.birthDate", _("La date de naissance est obligatoire."), "required")
        return None
    # A partial date (1984, 1984-03) is valid FHIR but not an INS trait.
    if len(birth) == 10:
        try:
            return dt.date.fromisoformat(birth)
        except ValueError:
            pass
    read.refuse(
        "Patient.birthDate", _("La date de naissance doit être complète (AAAA-MM-JJ)."), "value"
    )
    return None


def from_fhir(data: dict[str, Any], practice_id: object) -> IdentityData:
    """The identity an FR Core Patient carries, checked as Hygie checks every
    identity input, or FhirValidationError listing every problem, each naming its
    element. `data` has passed `validate_resource(data, "Patient")`; `practice_id`
    is the practice that receives it (its local ids are recognised).

    The identity status is not read: an INS received here is one typed by hand,
    and `do_create_patient`/`do_update_patient` compute the status (decision 0006)."""
    read = _Reading()
    birth_date = _read_resource(data, practice_id, read)
    if birth_date is None:
        raise FhirValidationError(read.issues)
    value = read.values.get
    identity = IdentityData(
        birth_family_name=value("birth_family_name", ""),
        birth_given_names=value("birth_given_names", ""),
        birth_date=birth_date,
        sex=value("sex", ""),
        birthplace_insee=value("birthplace_insee", ""),
        used_family_name=value("used_family_name", ""),
        used_given_name=value("used_given_name", ""),
        nir=value("nir", ""),
        ins_oid=value("ins_oid", ""),
        phone=value("phone", ""),
        email=value("email", ""),
        address=value("address", ""),
    )
    try:
        identity = check_identity(identity, clock.today())
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            if name in read.reported:
                continue
            path = read.paths.get(name, FIELD_PATHS.get(name, "Patient"))
            for message in messages:
                read.refuse(path, message, code="value")
    if read.issues:
        raise FhirValidationError(read.issues)
    return identity
