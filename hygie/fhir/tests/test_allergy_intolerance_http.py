"""AllergyIntolerance over HTTP with real tokens: a practitioner's app and a backend
service read within their scopes; another practice, a colleague, an assistant, a
token without the scope and a patient/ token on another patient are refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from hygie.audit.enums import AuditEventType
from hygie.audit.models import AuditEvent
from hygie.clinical.actions import AllergyData, do_record_allergy
from hygie.clinical.models import AllergyIntolerance
from hygie.clinical.tests.vital_signs_support import child_of_alice
from tests.cast import api_client_for, bearer_token_for

pytestmark = pytest.mark.django_db

SCOPE = "user/AllergyIntolerance.rs"


def api(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def clinical_reads() -> int:
    return AuditEvent.objects.filter(event_type=AuditEventType.CLINICAL_READ).count()


def penicillins() -> AllergyData:
    return AllergyData(
        type="allergy",
        category="medication",
        substance="Pénicillines",
        atc_code="J01C",
        criticality="high",
        verification_status="confirmed",
    )


@pytest.fixture
def allergy(cast) -> AllergyIntolerance:
    return do_record_allergy(cast.actor("alice"), cast.patient.pk, penicillins())


def test_the_treating_doctors_app_reads_and_searches_each_read_audited_once(cast, allergy):
    client = api(bearer_token_for(cast.alice, SCOPE))
    before = clinical_reads()
    read = client.get(f"/fhir/R4/AllergyIntolerance/{allergy.pk}")
    assert read.status_code == 200
    assert read["Content-Type"].startswith("application/fhir+json")
    assert read["Cache-Control"] == "no-store"
    assert read["ETag"] == 'W/"1"'
    assert read.json()["code"]["coding"][0] == {"system": "http://www.whocc.no/atc", "code": "J01C"}
    found = client.get("/fhir/R4/AllergyIntolerance", {"patient": f"Patient/{cast.patient.pk}"})
    assert found.status_code == 200
    assert found.json()["total"] == 1
    assert clinical_reads() == before + 2


def test_a_backend_service_of_the_practice_reads_its_patients_allergies(cast, allergy):
    client = api(api_client_for(cast.practice_a, "system/AllergyIntolerance.rs").token())
    assert client.get(f"/fhir/R4/AllergyIntolerance/{allergy.pk}").status_code == 200
    found = client.get("/fhir/R4/AllergyIntolerance", {"patient": str(cast.patient.pk)})
    assert found.json()["total"] == 1
    without_patient = client.get("/fhir/R4/AllergyIntolerance", {"category": "medication"})
    assert without_patient.status_code == 400
    assert without_patient.json()["issue"][0]["expression"] == ["patient"]


def test_another_practice_gets_404_whatever_it_asks(cast, allergy):
    client = api(api_client_for(cast.practice_b, "system/AllergyIntolerance.rs").token())
    assert client.get(f"/fhir/R4/AllergyIntolerance/{allergy.pk}").status_code == 404
    found = client.get("/fhir/R4/AllergyIntolerance", {"patient": f"Patient/{cast.patient.pk}"})
    assert found.status_code == 404


def test_a_colleague_without_care_relationship_gets_404(cast, allergy):
    client = api(bearer_token_for(cast.bob, SCOPE))
    assert client.get(f"/fhir/R4/AllergyIntolerance/{allergy.pk}").status_code == 404
    found = client.get("/fhir/R4/AllergyIntolerance", {"patient": f"Patient/{cast.patient.pk}"})
    assert found.status_code == 404


def test_an_assistant_gets_404_as_for_an_absent_record(cast, allergy):
    client = api(bearer_token_for(cast.denise, SCOPE))
    assert client.get(f"/fhir/R4/AllergyIntolerance/{allergy.pk}").status_code == 404


def test_a_token_without_the_allergy_scope_gets_403(cast, allergy):
    client = api(bearer_token_for(cast.alice, "user/Patient.rs"))
    response = client.get(f"/fhir/R4/AllergyIntolerance/{allergy.pk}")
    assert response.status_code == 403
    assert "portée" in response.json()["issue"][0]["diagnostics"]


def test_writing_is_not_offered(cast, allergy):
    client = api(bearer_token_for(cast.alice, "user/AllergyIntolerance.cruds"))
    body = client.get(f"/fhir/R4/AllergyIntolerance/{allergy.pk}").content
    response = client.put(
        f"/fhir/R4/AllergyIntolerance/{allergy.pk}", body, content_type="application/fhir+json"
    )
    assert response.status_code == 405


def test_a_patient_token_cannot_read_another_patients_allergy(cast, allergy):
    child = child_of_alice(cast, dt.date(2020, 5, 1))
    childs = do_record_allergy(
        cast.actor("alice"),
        child.pk,
        AllergyData(type="allergy", category="food", substance="Arachide"),
    )
    client = api(
        bearer_token_for(
            cast.alice, "patient/AllergyIntolerance.rs launch/patient", patient=cast.patient
        )
    )
    assert client.get(f"/fhir/R4/AllergyIntolerance/{allergy.pk}").status_code == 200
    assert client.get(f"/fhir/R4/AllergyIntolerance/{childs.pk}").status_code == 404
    found = client.get("/fhir/R4/AllergyIntolerance", {"patient": f"Patient/{child.pk}"})
    assert found.status_code == 404
