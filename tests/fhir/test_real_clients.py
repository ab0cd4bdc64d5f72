"""Hygie's FHIR API driven over real HTTP by clients its team did not write:
fhirpy (SMART App Launch token of a doctor) and fhirclient (SMART Backend
Services, discovering the token endpoint from /metadata)."""

from __future__ import annotations

from typing import Any

import pytest
from fhirclient import client as fhirclient_client
from fhirclient.models.patient import Patient as FhirclientPatient
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import OperationOutcome, ResourceNotFound

from hygie.patients.models import Patient
from tests.cast import api_client_for, bearer_token_for, build_cast

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def live(live_server: Any, settings: Any) -> Any:
    # Absolute URLs (links, Location, token audience) name the server clients reach.
    settings.BASE_URL = live_server.url
    return live_server


@pytest.fixture
def cast_live(live: Any) -> Any:
    return build_cast()


def morel(**overrides: Any) -> dict[str, Any]:
    resource = {
        "name": [{"use": "official", "family": "Morel", "given": ["Camille"]}],
        "gender": "female",
        "birthDate": "1990-06-15",
    }
    resource.update(overrides)
    return resource


def fhirpy_for(live: Any, token: str, **headers: str) -> SyncFHIRClient:
    return SyncFHIRClient(
        f"{live.url}/fhir/R4", authorization=f"Bearer {token}", extra_headers=headers or None
    )


def test_fhirpy_creates_reads_searches_with_paging_and_updates(cast_live, live):
    client = fhirpy_for(live, bearer_token_for(cast_live.denise))
    made = []
    for day in range(1, 6):
        patient = client.resource("Patient", **morel(birthDate=f"1990-06-{day:02d}"))
        patient.save()
        made.append(patient.id)
    read = client.reference("Patient", made[0]).to_resource()
    assert read["name"][0]["family"] == "MOREL"
    # fetch_all follows the Bundle's next links to the end.
    found = (
        client.resources("Patient").search(family="morel").sort("birthdate").limit(2).fetch_all()
    )
    assert [p.id for p in found] == made
    assert client.resources("Patient").search(family="morel").count() == 5
    read["telecom"] = [{"system": "phone", "value": "01 99 00 00 07"}]
    read.save()
    assert client.reference("Patient", made[0]).to_resource()["meta"]["versionId"] == "2"


def test_fhirpy_sees_a_version_conflict_and_nothing_changes(cast_live, live):
    token = bearer_token_for(cast_live.denise)
    client = fhirpy_for(live, token)
    patient = client.resource("Patient", **morel())
    patient.save()
    patient["telecom"] = [{"system": "phone", "value": "01 99 00 00 01"}]
    patient.save()  # version 2
    stale = fhirpy_for(live, token, **{"If-Match": 'W/"1"'})
    copy = stale.reference("Patient", patient.id).to_resource()
    copy["telecom"] = [{"system": "phone", "value": "01 99 00 00 02"}]
    with pytest.raises(Exception) as conflict:  # fhirpy maps 412 to its own error
        copy.save()
    assert "412" in str(conflict.value) or "version" in str(conflict.value)
    assert Patient.objects.get(pk=patient.id).phone == "01 99 00 00 01"


def test_fhirpy_history_delete_everything_and_transaction_rollback(cast_live, live):
    client = fhirpy_for(live, bearer_token_for(cast_live.denise))
    patient = client.resource("Patient", **morel())
    patient.save()
    patient["telecom"] = [{"system": "phone", "value": "01 99 00 00 01"}]
    patient.save()
    history = client.execute(f"Patient/{patient.id}/_history", method="get")
    assert [e["resource"]["meta"]["versionId"] for e in history["entry"]] == ["2", "1"]
    everything = client.execute(f"Patient/{patient.id}/$everything", method="get")
    assert everything["entry"][0]["resource"]["id"] == patient.id
    patient.delete()
    with pytest.raises(ResourceNotFound):
        client.reference("Patient", patient.id).to_resource()
    before = Patient.objects.count()
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": {"resourceType": "Patient", **morel()},
                "request": {"method": "POST", "url": "Patient"},
            },
            {
                "resource": {"resourceType": "Patient", **morel(gender="femme")},
                "request": {"method": "POST", "url": "Patient"},
            },
        ],
    }
    with pytest.raises(OperationOutcome):
        client.execute("", method="post", data=bundle)
    assert Patient.objects.count() == before


def test_fhirpy_with_the_other_practice_s_token_finds_nothing(cast_live, live):
    carla = fhirpy_for(live, bearer_token_for(cast_live.carla))
    with pytest.raises(ResourceNotFound):
        carla.reference("Patient", str(cast_live.patient.pk)).to_resource()
    assert carla.resources("Patient").search(name="lefevre").count() == 0


def test_fhirclient_discovers_the_token_endpoint_and_reads_as_a_backend_service(cast_live, live):
    service = api_client_for(cast_live.practice_a, "system/Patient.rs")
    smart = fhirclient_client.FHIRClient(
        settings={
            "app_id": service.client_id,
            "api_base": f"{live.url}/fhir/R4",
            "scope": "system/Patient.rs",
            "jwt_token": service.assertion(),
        }
    )
    # fhirclient adds launch/patient unless told that no patient is wanted; a
    # backend client may not ask for it (its registered scopes are system/ only).
    smart.wants_patient = False
    smart.prepare()
    smart.authorize()
    assert smart.ready
    patient = FhirclientPatient.read(str(cast_live.patient.pk), smart.server)
    assert patient.birthDate.isostring == "1984-03-12"
    found = FhirclientPatient.where({"family": "lefevre"}).perform_resources(smart.server)
    assert [p.id for p in found] == [str(cast_live.patient.pk)]
