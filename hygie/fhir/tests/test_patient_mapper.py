"""Patient → FR Core Patient: valid FHIR for every identity status, and the INS
only for a qualified identity."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import replace

import pytest

from hygie.fhir import systems as S
from hygie.fhir.mappers.patient import to_fhir
from hygie.fhir.validation import validate_resource
from hygie.patients.actions import do_create_patient, do_record_identity_check
from hygie.patients.demo import synthetic_identity
from hygie.patients.enums import IdentityDocument
from hygie.practices.context import as_system

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
