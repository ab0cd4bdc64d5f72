"""The FHIR API over HTTP with real tokens: formats, authentication, tenancy,
scopes, versions, and one audit event per read."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from hygie.audit.enums import AuditEventType
from hygie.audit.models import AuditEvent
from hygie.fhir.validation import validate_resource
from hygie.patients.models import Patient
from hygie.practices.actions import do_end_membership
from tests.cast import SETUP, api_client_for, bearer_token_for

from .api_helpers import new_patient

pytestmark = pytest.mark.django_db
FHIR = "application/fhir+json"


def api(token: str | None = None) -> Client:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return Client(**headers)


def send(client: Client, method: str, path: str, body=None, content_type=FHIR, **headers):
    kwargs = {"data": json.dumps(body), "content_type": content_type} if body is not None else {}
    return getattr(client, method.lower())(f"/fhir/R4/{path}", **kwargs, **headers)


def test_metadata_is_public_json_and_valid(cast):
    response = Client().get("/fhir/R4/metadata")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(FHIR)
    validate_resource(response.json(), "CapabilityStatement")


def test_other_formats_are_refused_plainly(cast):
    assert Client().get("/fhir/R4/metadata", {"_format": "xml"}).status_code == 415
    assert Client().get("/fhir/R4/metadata", HTTP_ACCEPT="application/fhir+xml").status_code == 406
    assert Client().get("/fhir/R4/metadata", {"_format": "json"}).status_code == 200


def test_no_token_or_a_bad_one_is_401_with_an_outcome(cast):
    for client in (api(), api("pas-un-jeton")):
        response = client.get(f"/fhir/R4/Patient/{cast.patient.pk}")
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert response.json()["resourceType"] == "OperationOutcome"


def test_the_treating_doctor_reads_over_http_and_each_read_is_audited_once(cast):
    client = api(bearer_token_for(cast.alice))
    before = AuditEvent.objects.filter(event_type=AuditEventType.PATIENT_READ).count()
    response = client.get(f"/fhir/R4/Patient/{cast.patient.pk}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(FHIR)
    assert response["ETag"].startswith('W/"')
    assert response["Cache-Control"] == "no-store"
    assert response["Last-Modified"].endswith(" GMT")  # an HTTP date
    after = AuditEvent.objects.filter(event_type=AuditEventType.PATIENT_READ)
    assert after.count() == before + 1
    assert after.latest("id").user_id == cast.alice.user.pk


def test_a_backend_client_of_another_practice_gets_404_for_everything(cast):
    other = api(api_client_for(cast.practice_b, "system/*.rs").token())
    paths = [
        f"Patient/{cast.patient.pk}",
        f"Patient/{cast.patient.pk}/_history",
        f"Patient/{cast.patient.pk}/$everything",
        f"Organization/{cast.practice_a.pk}",
        f"Practitioner/{cast.alice.user.pk}",
        f"PractitionerRole/{cast.alice.pk}",
    ]
    for path in paths:
        assert other.get(f"/fhir/R4/{path}").status_code == 404, path
    assert other.get("/fhir/R4/Patient", {"name": "lefevre"}).json()["total"] == 0


def test_a_backend_client_reads_its_practice_within_its_scopes(cast):
    client = api(api_client_for(cast.practice_a, "system/Patient.rs").token())
    assert client.get(f"/fhir/R4/Patient/{cast.patient.pk}").status_code == 200
    assert send(client, "POST", "Patient", new_patient()).status_code == 403
    assert client.get(f"/fhir/R4/Practitioner/{cast.alice.user.pk}").status_code == 403
    assert Patient.objects.count() == 1


def test_a_patient_token_cannot_see_another_patient(cast):
    alice = api(bearer_token_for(cast.alice))
    other = send(alice, "POST", "Patient", new_patient()).json()
    scoped = api(
        bearer_token_for(cast.alice, "patient/Patient.rs launch/patient", patient=cast.patient)
    )
    assert scoped.get(f"/fhir/R4/Patient/{cast.patient.pk}").status_code == 200
    assert scoped.get(f"/fhir/R4/Patient/{other['id']}").status_code == 404


def test_ending_the_membership_makes_the_token_worthless_at_once(cast):
    client = api(bearer_token_for(cast.bob))
    assert client.get(f"/fhir/R4/Patient/{cast.patient.pk}").status_code == 200
    do_end_membership(cast.bob, reason="départ", source=SETUP)
    assert client.get(f"/fhir/R4/Patient/{cast.patient.pk}").status_code == 401


def test_create_update_conflict_and_delete_over_http(cast):
    client = api(bearer_token_for(cast.denise))
    created = send(client, "POST", "Patient", new_patient(), content_type="application/json")
    assert created.status_code == 201
    location = created["Location"]
    body = created.json()
    body["telecom"] = [{"system": "phone", "value": "01 99 00 00 05"}]
    path = f"Patient/{body['id']}"
    assert send(client, "PUT", path, body, HTTP_IF_MATCH='W/"1"').status_code == 200
    stale = send(client, "PUT", path, body, HTTP_IF_MATCH='W/"1"')
    assert stale.status_code == 412
    assert stale.json()["resourceType"] == "OperationOutcome"
    assert send(client, "DELETE", path).status_code == 204
    assert client.get(f"/fhir/R4/{path}").status_code == 410
    assert location.endswith("/_history/1")


def test_a_body_that_is_not_json_changes_nothing(cast):
    client = api(bearer_token_for(cast.denise))
    response = client.post("/fhir/R4/Patient", data="<Patient/>", content_type="application/xml")
    assert response.status_code == 415
    broken = client.post("/fhir/R4/Patient", data="{pas du json", content_type=FHIR)
    assert broken.status_code == 400
    assert Patient.objects.count() == 1


def test_search_by_post_takes_form_parameters(cast):
    client = api(bearer_token_for(cast.alice))
    response = client.post("/fhir/R4/Patient/_search", {"family": "lefèvre"})
    assert response.status_code == 200
    assert response.json()["total"] == 1


def test_strict_handling_refuses_unknown_parameters(cast):
    client = api(bearer_token_for(cast.alice))
    lenient = client.get("/fhir/R4/Patient", {"name": "lef", "couleur": "bleu"})
    assert lenient.status_code == 200
    strict = client.get(
        "/fhir/R4/Patient", {"name": "lef", "couleur": "bleu"}, HTTP_PREFER="handling=strict"
    )
    assert strict.status_code == 400


def test_a_transaction_over_http_is_all_or_nothing(cast):
    client = api(bearer_token_for(cast.denise))
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"resource": new_patient(), "request": {"method": "POST", "url": "Patient"}},
            {
                "resource": new_patient(birthDate="2999-01-01"),
                "request": {"method": "POST", "url": "Patient"},
            },
        ],
    }
    response = client.post("/fhir/R4/", data=json.dumps(bundle), content_type=FHIR)
    assert response.status_code in (400, 422)
    assert Patient.objects.count() == 1
    bundle["entry"].pop()
    response = client.post("/fhir/R4/", data=json.dumps(bundle), content_type=FHIR)
    assert response.status_code == 200
    assert response.json()["type"] == "transaction-response"
    assert Patient.objects.count() == 2


def test_an_unexpected_failure_is_an_outcome_and_leaves_nothing_written(cast, monkeypatch):
    from hygie.fhir.api import patient as patient_api

    def broken(*args, **kwargs):
        raise RuntimeError("panne simulée")

    monkeypatch.setattr(patient_api.actions, "do_create_patient", broken)
    client = api(bearer_token_for(cast.denise))
    response = send(client, "POST", "Patient", new_patient())
    assert response.status_code == 500
    assert response.json()["resourceType"] == "OperationOutcome"
    assert Patient.objects.count() == 1
