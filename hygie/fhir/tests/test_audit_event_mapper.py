"""Audit log → FHIR AuditEvent: every event type is valid FHIR; events of API
requests are shaped like IHE BALP; the others keep their DICOM type."""

from __future__ import annotations

import json

import pytest

from hygie.audit.actions import AuditSource, record_event
from hygie.audit.enums import AuditAction, AuditEventType, AuditOutcome, PurposeOfUse
from hygie.audit.models import AuditEvent
from hygie.audit.queries import events_for_practice
from hygie.fhir.mappers.audit_event import to_fhir
from hygie.fhir.validation import validate_resource

pytestmark = pytest.mark.django_db

DCM = "http://dicom.nema.org/resources/ontology/DCM"
RI = "http://hl7.org/fhir/restful-interaction"


def audit_event(event: AuditEvent) -> dict:
    return validate_resource(to_fhir(event), "AuditEvent")


def agent_codes(resource: dict) -> list[str]:
    return [a["type"]["coding"][0]["code"] for a in resource["agent"]]


def api_call(cast, interaction: str, action: AuditAction, **kwargs) -> AuditEvent:
    """What the FHIR API records for one request of Alice's SMART app."""
    detail = {"interaction": interaction, "client_id": "app-agenda", "request_id": "req-42"}
    return record_event(
        cast.actor("alice").source,
        kwargs.pop("event_type", AuditEventType.PATIENT_READ),
        action=action,
        detail=detail | kwargs.pop("detail", {}),
        **kwargs,
    )


@pytest.mark.parametrize("event_type", list(AuditEventType))
def test_every_event_type_maps_to_valid_fhir(cast, event_type):
    event = record_event(
        cast.actor("bob").source,
        event_type,
        action=AuditAction.EXECUTE,
        patient_id=cast.patient.pk,
        purpose=PurposeOfUse.TREAT,
    )
    resource = audit_event(event)
    assert resource["type"]["system"] == DCM
    assert resource["subtype"][0]["code"] == str(int(event_type))


def test_a_web_read_keeps_its_dicom_type_and_the_address_on_the_user(cast):
    event = record_event(
        cast.actor("alice").source,
        AuditEventType.PATIENT_READ,
        action=AuditAction.READ,
        patient_id=cast.patient.pk,
        entity_type="Patient",
        entity_id=str(cast.patient.pk),
    )
    resource = audit_event(event)
    assert resource["type"]["code"] == "110110"
    [user] = resource["agent"]
    assert user["network"] == {"address": "192.0.2.1", "type": "2"}
    assert [e["what"]["reference"] for e in resource["entity"]] == [f"Patient/{cast.patient.pk}"]


def test_an_api_read_is_a_balp_rest_event_with_client_server_and_user(cast):
    event = api_call(
        cast,
        "read",
        AuditAction.READ,
        patient_id=cast.patient.pk,
        entity_type="Patient",
        entity_id=str(cast.patient.pk),
        purpose=PurposeOfUse.TREAT,
    )
    resource = audit_event(event)
    assert resource["type"]["code"] == "rest"
    rest, hygie = resource["subtype"]
    assert (rest["system"], rest["code"]) == (RI, "read")
    assert hygie["code"] == "300"  # Hygie's own code is kept
    # Read is BALP's odd one: the client is the destination.
    assert agent_codes(resource) == ["IRCP", "110152", "110153"]
    user, client, server = resource["agent"]
    assert "network" not in user
    assert user["who"]["identifier"]["value"] == f"urn:uuid:{cast.alice.user_id}"
    assert (user["requestor"], client["requestor"], server["requestor"]) == (True, False, False)
    assert client["who"] == {"identifier": {"value": "app-agenda"}}
    assert client["network"] == {"address": "192.0.2.1", "type": "2"}
    patient, data, transaction = resource["entity"]
    assert patient["role"]["code"] == "1"
    assert (data["what"]["reference"], data["role"]["code"]) == (
        f"Patient/{cast.patient.pk}",
        "4",
    )
    assert transaction["what"] == {"identifier": {"value": "req-42"}}
    assert "detail" not in data  # the API keys are in the structure, not repeated


def test_an_api_search_has_a_query_entity_and_no_search_terms(cast):
    found = [str(cast.patient.pk)]
    event = api_call(
        cast,
        "search-type",
        AuditAction.READ,
        event_type=AuditEventType.PATIENT_SEARCH,
        entity_type="Patient",
        detail={"count": 1, "results": found},
    )
    resource = audit_event(event)
    assert agent_codes(resource) == ["IRCP", "110153", "110152"]
    query, _transaction = resource["entity"]
    assert query["role"]["code"] == "24"
    assert "what" not in query
    assert {d["type"] for d in query["detail"]} == {"count", "results"}


@pytest.mark.parametrize(
    ("interaction", "action", "agents"),
    [
        ("create", AuditAction.CREATE, ["AUT", "110153", "110152"]),
        ("update", AuditAction.UPDATE, ["AUT", "110153", "110152"]),
        ("delete", AuditAction.DELETE, ["AUT", "110150", "custodian"]),
    ],
)
def test_an_api_write_has_the_user_as_author(cast, interaction, action, agents):
    event = api_call(
        cast,
        interaction,
        action,
        event_type=AuditEventType.PATIENT_UPDATED,
        patient_id=cast.patient.pk,
        entity_type="Patient",
        entity_id=str(cast.patient.pk),
    )
    resource = audit_event(event)
    assert resource["subtype"][0]["code"] == interaction
    assert agent_codes(resource) == agents


def test_a_backend_service_without_user_is_the_requestor(cast):
    source = AuditSource.system("api-client", practice_id=cast.practice_a.pk)
    event = record_event(
        source,
        AuditEventType.PATIENT_READ,
        action=AuditAction.READ,
        outcome=AuditOutcome.MINOR_FAILURE,
        detail={"interaction": "read", "client_id": "labo"},
    )
    resource = audit_event(event)
    [client, server] = resource["agent"]
    assert (client["requestor"], server["requestor"]) == (True, False)
    assert resource["outcome"] == "4"


def test_an_unknown_interaction_is_no_api_event(cast):
    event = api_call(cast, "peek", AuditAction.READ)
    resource = audit_event(event)
    assert resource["type"]["system"] == DCM
    assert {"interaction", "client_id"} <= {d["type"] for d in resource["entity"][0]["detail"]}


def test_the_break_the_glass_reason_is_exported_as_it_always_was(cast):
    event = record_event(
        cast.actor("bob").source,
        AuditEventType.BREAK_GLASS,
        action=AuditAction.READ,
        patient_id=cast.patient.pk,
        purpose=PurposeOfUse.ETREAT,
        reason="Patient inconscient",
    )
    assert audit_event(event)["purposeOfEvent"][0]["text"] == "Patient inconscient"


def test_other_sealed_reasons_are_not_exported(cast):
    [ended] = events_for_practice(cast.practice_a.pk, event_type=AuditEventType.MEMBERSHIP_ENDED)
    assert ended.reason  # "départ", sealed
    assert "départ" not in json.dumps(audit_event(ended))
