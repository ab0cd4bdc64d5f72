from __future__ import annotations

import uuid

import pytest

from hygie.audit.actions import AuditSource, record_event
from hygie.audit.enums import AuditAction, AuditEventType, PurposeOfUse
from hygie.audit.fhir import _DICOM_BY_TYPE
from hygie.audit.queries import to_fhir_dict

pytestmark = pytest.mark.django_db


def test_a_break_the_glass_read_becomes_a_fhir_audit_event(
    alice: AuditSource, alpha: uuid.UUID, patient: uuid.UUID
) -> None:
    event = record_event(
        alice,
        AuditEventType.BREAK_GLASS,
        action=AuditAction.READ,
        patient_id=patient,
        entity_type="Encounter",
        entity_id="3f2b",
        purpose=PurposeOfUse.ETREAT,
        reason="Patient inconscient",
    )

    resource = to_fhir_dict(event)

    assert resource["resourceType"] == "AuditEvent"
    assert resource["type"]["code"] == "110110"
    assert resource["subtype"][0]["code"] == "305"
    assert (resource["action"], resource["outcome"]) == ("R", "0")
    assert resource["recorded"].endswith("+00:00")
    assert resource["purposeOfEvent"][0]["coding"][0]["code"] == "ETREAT"
    assert resource["purposeOfEvent"][0]["text"] == "Patient inconscient"
    agent = resource["agent"][0]
    assert agent["requestor"] is True
    assert agent["who"]["identifier"]["value"] == f"urn:uuid:{alice.user_id}"
    assert agent["who"]["display"] == "alice@alpha.test"
    assert agent["network"] == {"address": "192.0.2.10", "type": "2"}
    assert resource["source"]["site"] == str(alpha)
    assert [entity["what"]["reference"] for entity in resource["entity"]] == [
        f"Patient/{patient}",
        "Encounter/3f2b",
    ]


def test_a_system_login_event_has_no_requestor_and_a_login_subtype() -> None:
    event = record_event(
        AuditSource.system("sso"),
        AuditEventType.LOGIN_FAILURE,
        action=AuditAction.EXECUTE,
        detail={"attempts": 3},
    )

    resource = to_fhir_dict(event)

    assert resource["agent"][0]["requestor"] is False
    assert resource["source"]["site"] == "platform"
    assert {"code": "110122"}.items() <= resource["subtype"][1].items()
    assert resource["entity"][0]["detail"] == [{"type": "attempts", "valueString": "3"}]


def test_every_event_type_has_a_dicom_type() -> None:
    assert set(_DICOM_BY_TYPE) == set(AuditEventType)
