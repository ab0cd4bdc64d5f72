"""Patient ⇄ FR Core Patient: valid FHIR for every identity status, the INS only
for a qualified identity; what comes in is read back into the same identity, and
what Hygie cannot store is refused, naming the element."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import replace

import pytest

from hygie.fhir import systems as S
from hygie.fhir.mappers.patient import from_fhir, to_fhir
from hygie.fhir.validation import FhirValidationError, validate_resource
from hygie.patients.actions import do_create_patient, do_record_identity_check
from hygie.patients.demo import synthetic_identity
from hygie.patients.enums import IdentityDocument, IdentityStatus
from hygie.patients.forms_data import IdentityData
from hygie.patients.models import Patient
from hygie.practices.context import as_system
from tests.cast import identity

pytestmark = pytest.mark.django_db


def reliability(resource: dict) -> dict:
    [ext] = [e for e in resource["extension"] if e["url"] == S.IDENTITY_RELIABILITY]
    return {part["url"]: part for part in ext["extension"]}


def test_a_provisional_identity_is_an_fr_core_patient_without_ins(cast):
    resource = validate_resource(to_fhir(cast.patient), "Patient")
    assert resource["meta"]["profile"] == [S.fr_core_profile("fr-core-patient")]
    assert [i["type"]["coding"][0]["code"] for i in resource["identifier"]] == ["PI"]
    assert reliability(resource)["identityStatus"]["valueCoding"]["code"] == "PROV"


def test_a_qualified_identity_carries_its_ins_and_the_ins_profile(cast):
    actor = as_system(cast.practice_a, "t")
    do_record_identity_check(
        actor, cast.patient, document=IdentityDocument.PASSPORT, ins_retrieved=True
    )
    resource = validate_resource(to_fhir(cast.patient), "Patient")
    assert resource["meta"]["profile"] == [S.fr_core_profile("fr-core-patient-ins")]
    official = [i for i in resource["identifier"] if i["use"] == "official"]
    assert official == [
        {
            "use": "official",
            "system": S.INS_NIR_TEST,
            "value": "284037511200149",
            "type": {"coding": [{"system": S.FR_CORE_IDENTIFIER_TYPE, "code": "INS-NIR-TEST"}]},
        }
    ]
    parts = reliability(resource)
    assert parts["identityStatus"]["valueCoding"]["code"] == "VALI"
    assert parts["methodCollection"]["valueCoding"]["code"] == "INSI"
    assert parts["validationMode"]["valueCoding"]["code"] == "PA"


def test_a_validated_identity_without_ins_retrieval_does_not_send_the_nir(cast):
    do_record_identity_check(
        as_system(cast.practice_a, "t"), cast.patient, document=IdentityDocument.NATIONAL_ID
    )
    resource = validate_resource(to_fhir(cast.patient), "Patient")
    assert "284037511200149" not in str(resource)
    assert reliability(resource)["identityStatus"]["valueCoding"]["code"] == "VALI"


def test_birth_names_follow_fr_core(cast):
    [official] = [n for n in to_fhir(cast.patient)["name"] if n["use"] == "official"]
    assert official["family"] == "LEFÈVRE"
    assert official["given"] == ["Jeanne"]
    assert official["extension"][0]["valueString"] == "Jeanne Marie"


def test_a_hundred_synthetic_patients_all_map_to_valid_fhir(cast):
    actor = as_system(cast.practice_a, "t")
    rng = random.Random(7)
    today = dt.date(2026, 11, 28)
    for _ in range(100):
        data = synthetic_identity(rng, today)
        # Without NIR: random test NIRs may repeat across a hundred draws.
        patient = do_create_patient(actor, replace(data, nir="", ins_oid=""))
        validate_resource(to_fhir(patient), "Patient")


# Reading FR Core Patients back.


def identity_of(patient: Patient) -> IdentityData:
    """The patient's identity as it may leave Hygie: the INS only when qualified."""
    qualified = patient.identity_status == IdentityStatus.QUALIFIED
    return IdentityData(
        birth_family_name=patient.birth_family_name,
        birth_given_names=patient.birth_given_names,
        birth_date=patient.birth_date,
        sex=patient.sex,
        birthplace_insee=patient.birthplace_insee or "",
        used_family_name=patient.used_family_name or "",
        used_given_name=patient.used_given_name or "",
        nir=patient.nir if qualified else "",
        ins_oid=patient.ins_oid if qualified else "",
        phone=patient.phone or "",
        email=patient.email or "",
        address=patient.address or "",
    )


def read(data: dict, practice_id: object) -> IdentityData:
    """What the API does with a body: validate the structure, then map."""
    return from_fhir(validate_resource(data, "Patient"), practice_id)


def refused(data: dict, practice_id: object) -> list[tuple[str, str]]:
    with pytest.raises(FhirValidationError) as error:
        read(data, practice_id)
    return [(i.expression, i.diagnostics) for i in error.value.issues]


def qualified(cast) -> dict:
    do_record_identity_check(
        as_system(cast.practice_a, "t"),
        cast.patient,
        document=IdentityDocument.NATIONAL_ID,
        ins_retrieved=True,
    )
    return to_fhir(cast.patient)


@pytest.mark.parametrize(
    ("document", "ins_retrieved", "status"),
    [
        ("", False, IdentityStatus.PROVISIONAL),
        ("", True, IdentityStatus.RETRIEVED),
        (IdentityDocument.PASSPORT, False, IdentityStatus.VALIDATED),
        (IdentityDocument.PASSPORT, True, IdentityStatus.QUALIFIED),
    ],
)
def test_every_identity_status_reads_back_as_the_same_identity(
    cast, document, ins_retrieved, status
):
    if document or ins_retrieved:
        do_record_identity_check(
            as_system(cast.practice_a, "t"),
            cast.patient,
            document=document,
            ins_retrieved=ins_retrieved,
        )
    assert cast.patient.identity_status == status
    assert read(to_fhir(cast.patient), cast.practice_a.pk) == identity_of(cast.patient)


@pytest.mark.parametrize(
    "overrides",
    [
        {"used_family_name": "Martin", "used_given_name": "Anne Sophie"},
        {"birthplace_insee": "99134", "nir": "", "ins_oid": ""},
        {"birthplace_insee": "2A004", "nir": "", "ins_oid": ""},
        {"birthplace_insee": "", "phone": "", "email": "", "address": "", "nir": "", "ins_oid": ""},
        {"birth_given_names": "Marie-Claire Louise Anne", "nir": "", "ins_oid": ""},
    ],
)
def test_identities_with_and_without_optional_traits_read_back(cast, overrides):
    patient = do_create_patient(as_system(cast.practice_b, "t"), identity(**overrides))
    assert read(to_fhir(patient), cast.practice_b.pk) == identity_of(patient)


def test_a_hundred_synthetic_patients_read_back(cast):
    actor = as_system(cast.practice_a, "t")
    rng = random.Random(11)
    for _ in range(100):
        data = synthetic_identity(rng, dt.date(2026, 11, 28))
        patient = do_create_patient(actor, replace(data, nir="", ins_oid=""))
        assert read(to_fhir(patient), cast.practice_a.pk) == identity_of(patient)


def test_an_ins_received_is_kept_but_the_identity_starts_provisional(cast):
    resource = qualified(cast)
    # Sent to another practice: practice A's local id would mean nothing there.
    resource["identifier"] = [i for i in resource["identifier"] if i["use"] == "official"]
    data = read(resource, cast.practice_b.pk)
    assert (data.nir, data.ins_oid) == ("284037511200149", "1.2.250.1.213.1.4.10")
    patient = do_create_patient(as_system(cast.practice_b, "t"), data)
    assert patient.identity_status == IdentityStatus.PROVISIONAL


def test_birth_first_names_come_from_given_without_the_list_extension(cast):
    data = to_fhir(cast.patient)
    data["name"][0] = {"use": "official", "family": "Lefèvre", "given": ["Jeanne", "Marie"]}
    assert read(data, cast.practice_a.pk).birth_given_names == "Jeanne Marie"


def test_a_gender_outside_fr_core_is_refused_on_the_element(cast):
    data = to_fhir(cast.patient) | {"gender": "femme"}
    assert [path for path, _ in refused(data, cast.practice_a.pk)] == ["Patient.gender"]
    # `other` is valid R4, but not FR Core, nor an INS sex.
    data = to_fhir(cast.patient) | {"gender": "other"}
    assert [path for path, _ in refused(data, cast.practice_a.pk)] == ["Patient.gender"]


def test_the_mapper_alone_refuses_a_bad_gender_too(cast):
    with pytest.raises(FhirValidationError) as error:
        from_fhir(to_fhir(cast.patient) | {"gender": "femme"}, cast.practice_a.pk)
    assert [i.expression for i in error.value.issues] == ["Patient.gender"]


def test_a_nir_with_a_bad_key_is_refused_on_the_identifier_value(cast):
    data = qualified(cast)
    data["identifier"][0]["value"] = "284037511200148"
    [(path, message)] = refused(data, cast.practice_a.pk)
    assert path == "Patient.identifier[0].value"
    assert "clé de contrôle" in message


@pytest.mark.parametrize(
    ("change", "words"),
    [({"gender": "male"}, "sexe masculin"), ({"birthDate": "1985-03-12"}, "année")],
)
def test_a_nir_inconsistent_with_the_strict_traits_is_refused(cast, change, words):
    [(path, message)] = refused(qualified(cast) | change, cast.practice_a.pk)
    assert path == "Patient.identifier[0].value"
    assert words in message


def test_a_missing_birth_date_is_refused(cast):
    data = to_fhir(cast.patient)
    del data["birthDate"]
    assert refused(data, cast.practice_a.pk) == [
        ("Patient.birthDate", "La date de naissance est obligatoire.")
    ]


def test_a_partial_birth_date_is_refused(cast):
    data = to_fhir(cast.patient) | {"birthDate": "1984-03"}
    assert [path for path, _ in refused(data, cast.practice_a.pk)] == ["Patient.birthDate"]


def test_a_second_official_name_is_refused_not_dropped(cast):
    data = to_fhir(cast.patient)
    data["name"].append({"use": "official", "family": "DUPONT", "given": ["Jeanne"]})
    assert [path for path, _ in refused(data, cast.practice_a.pk)] == ["Patient.name[1]"]


def test_a_name_without_official_use_is_required(cast):
    data = to_fhir(cast.patient)
    data["name"][0]["use"] = "maiden"
    assert [path for path, _ in refused(data, cast.practice_a.pk)] == [
        "Patient.name[0].use",
        "Patient.name",
    ]


def test_a_given_name_that_does_not_open_the_birth_list_is_refused(cast):
    data = to_fhir(cast.patient)
    data["name"][0]["given"] = ["Marie"]
    assert [path for path, _ in refused(data, cast.practice_a.pk)] == ["Patient.name[0].given"]


@pytest.mark.parametrize(
    ("element", "value", "path"),
    [
        ("deceasedBoolean", False, "Patient.deceasedBoolean"),
        ("photo", [{"url": "https://exemple.test/p.jpg"}], "Patient.photo"),
        ("link", [{"other": {"reference": "Patient/1"}, "type": "seealso"}], "Patient.link"),
        ("contact", [{"name": {"family": "MARTIN"}}], "Patient.contact"),
        ("active", False, "Patient.active"),
        (
            "extension",
            [{"url": "http://hl7.org/fhir/StructureDefinition/patient-religion"}],
            "Patient.extension[0]",
        ),
        ("address", [{"line": ["12 rue des Écoles"], "city": "Paris"}], "Patient.address[0].line"),
        ("telecom", [{"system": "fax", "value": "01 99 00 00 00"}], "Patient.telecom[0].system"),
        (
            "identifier",
            [{"system": "urn:oid:1.2.250.1.213.1.4.13", "value": "284037511200149"}],
            "Patient.identifier[0].system",
        ),
    ],
)
def test_what_hygie_cannot_store_is_refused_naming_the_element(cast, element, value, path):
    data = to_fhir(cast.patient) | {element: value}
    assert path in [p for p, _ in refused(data, cast.practice_a.pk)]


def test_an_unknown_element_is_refused_by_the_structure_check(cast):
    data = to_fhir(cast.patient) | {"nickname": "Jeannot"}
    assert [p for p, _ in refused(data, cast.practice_a.pk)] == ["Patient.nickname"]


def test_every_problem_is_reported_at_once(cast):
    data = qualified(cast) | {"photo": [{"url": "https://exemple.test/p.jpg"}]}
    data["identifier"][0]["value"] = "284037511200148"
    data["telecom"].append({"system": "phone", "value": "06 99 00 00 00"})
    paths = [p for p, _ in refused(data, cast.practice_a.pk)]
    assert sorted(paths) == [
        "Patient.identifier[0].value",
        "Patient.photo",
        "Patient.telecom[2]",
    ]


def test_another_practices_local_id_is_refused(cast):
    data = to_fhir(cast.patient)
    assert [p for p, _ in refused(data, cast.practice_b.pk)] == ["Patient.identifier[0].system"]


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"type": {"coding": [{"system": S.FR_CORE_IDENTIFIER_TYPE, "code": "INS-NIA"}]}}, "type"),
        ({"use": "old"}, "use"),
        ({"period": {"start": "2020-01-01"}}, "period"),
    ],
)
def test_an_ins_identifier_hygie_would_misread_is_refused(cast, change, path):
    data = qualified(cast)
    data["identifier"][0] |= change
    assert [p for p, _ in refused(data, cast.practice_a.pk)] == [f"Patient.identifier[0].{path}"]


def test_a_second_ins_is_refused(cast):
    data = qualified(cast)
    data["identifier"].append(data["identifier"][0])
    assert [p for p, _ in refused(data, cast.practice_a.pk)] == ["Patient.identifier[2]"]
