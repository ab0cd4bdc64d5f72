"""Observation over HTTP with real tokens: a practitioner's app and a backend
service read within their scopes; another practice, a token without the scope and
a patient/ token on another patient are refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from hygie.audit.enums import AuditEventType
from hygie.audit.models import AuditEvent
from hygie.clinical.tests.vital_signs_support import child_of_alice, record
from tests.cast import api_client_for, bearer_token_for

pytestmark = pytest.mark.django_db


def api(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def clinical_reads() -> int:
    return AuditEvent.objects.filter(event_type=AuditEventType.CLINICAL_READ).count()


@pytest.fixture
def weight(cast):
    [row] = record(cast.actor("alice"), cast.patient.pk, weight="72,5")
    return row


def test_the_treating_doctors_app_reads_and_searches_each_read_audited_once(cast, weight):
    client = api(bearer_token_for(cast.alice, "user/Observation.rs"))
    before = clinical_reads()
    read = client.get(f"/fhir/R4/Observation/{weight.pk}")
    assert read.status_code == 200
    assert read["Content-Type"].startswith("application/fhir+json")
    assert read["Cache-Control"] == "no-store"
    assert read.json()["valueQuantity"]["value"] == 72.5
    found = client.get("/fhir/R4/Observation", {"patient": f"Patient/{cast.patient.pk}"})
    assert found.status_code == 200
    assert found.json()["total"] == 1
    assert clinical_reads() == before + 2


def test_a_backend_service_of_the_practice_reads_its_patients_observations(cast, weight):
    client = api(api_client_for(cast.practice_a, "system/Observation.rs").token())
    assert client.get(f"/fhir/R4/Observation/{weight.pk}").status_code == 200
    found = client.get("/fhir/R4/Observation", {"patient": str(cast.patient.pk)})
    assert found.json()["total"] == 1
    without_patient = client.get("/fhir/R4/Observation", {"code": "29463-7"})
    assert without_patient.status_code == 400
    assert without_patient.json()["issue"][0]["expression"] == ["patient"]


def test_another_practice_gets_404_whatever_it_asks(cast, weight):
    client = api(api_client_for(cast.practice_b, "system/Observation.rs").token())
    assert client.get(f"/fhir/R4/Observation/{weight.pk}").status_code == 404
    found = client.get("/fhir/R4/Observation", {"patient": f"Patient/{cast.patient.pk}"})
    assert found.status_code == 404


def test_a_colleague_without_care_relationship_gets_404(cast, weight):
    client = api(bearer_token_for(cast.bob, "user/Observation.rs"))
    assert client.get(f"/fhir/R4/Observation/{weight.pk}").status_code == 404
    found = client.get("/fhir/R4/Observation", {"patient": f"Patient/{cast.patient.pk}"})
    assert found.status_code == 404


def test_an_assistant_gets_404_as_for_an_absent_record(cast, weight):
    client = api(bearer_token_for(cast.denise, "user/Observation.rs"))
    assert client.get(f"/fhir/R4/Observation/{weight.pk}").status_code == 404


def test_a_token_without_the_observation_scope_gets_403(cast, weight):
    client = api(bearer_token_for(cast.alice, "user/Patient.rs"))
    response = client.get(f"/fhir/R4/Observation/{weight.pk}")
    assert response.status_code == 403
    assert "portée" in response.json()["issue"][0]["diagnostics"]


def test_a_patient_token_cannot_read_another_patients_observation(cast, weight):
    child = child_of_alice(cast, dt.date(2020, 5, 1))
    [child_weight] = record(cast.actor("alice"), child.pk, weight="18")
    client = api(
        bearer_token_for(cast.alice, "patient/Observation.rs launch/patient", patient=cast.patient)
    )
    assert client.get(f"/fhir/R4/Observation/{weight.pk}").status_code == 200
    assert client.get(f"/fhir/R4/Observation/{child_weight.pk}").status_code == 404
    found = client.get("/fhir/R4/Observation", {"patient": f"Patient/{child.pk}"})
    assert found.status_code == 404
