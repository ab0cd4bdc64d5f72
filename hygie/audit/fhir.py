"""AuditEvent rows as FHIR R4 AuditEvent resources (IHE Basic Audit Log Patterns).

A plain dict: the FHIR facade validates it with fhir.resources when it serves it.
`entity_type` holds a FHIR resource type name, so entity_type/entity_id is a
valid relative reference.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from hygie.audit.actions import reason_text
from hygie.audit.enums import AuditEventType as T
from hygie.audit.enums import PurposeOfUse
from hygie.audit.models import PLATFORM_CHAIN, AuditEvent

DCM = "http://dicom.nema.org/resources/ontology/DCM"
# Hygie's own event codes. The canonical URL is to be fixed with the FHIR facade.
EVENT_TYPE_SYSTEM = "urn:hygie:fhir:CodeSystem:audit-event-type"
PURPOSE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
ROLE_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/extra-security-role-type"
ENTITY_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
OBJECT_ROLE_SYSTEM = "http://terminology.hl7.org/CodeSystem/object-role"
SOURCE_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/security-source-type"

# DICOM audit event IDs, the FHIR AuditEvent.type value set.
_AUTHENTICATION = ("110114", "User Authentication")
_USER_SECURITY = ("110137", "User Security Attributes Changed")
_ROLES = ("110136", "Security Roles Changed")
_PATIENT_RECORD = ("110110", "Patient Record")
_AUDIT_LOG_USED = ("110101", "Audit Log Used")
_APPLICATION_ACTIVITY = ("110100", "Application Activity")
_DICOM_BY_TYPE: dict[T, tuple[str, str]] = {
    T.LOGIN_SUCCESS: _AUTHENTICATION,
    T.LOGIN_FAILURE: _AUTHENTICATION,
    T.LOGOUT: _AUTHENTICATION,
    T.MFA_SUCCESS: _AUTHENTICATION,
    T.MFA_FAILURE: _AUTHENTICATION,
    T.MFA_ENROLLED: _USER_SECURITY,
    T.MFA_REMOVED: _USER_SECURITY,
    T.PASSWORD_CHANGED: _USER_SECURITY,
    T.SESSION_REVOKED: _USER_SECURITY,
    T.ACCOUNT_DEACTIVATED: _USER_SECURITY,
    T.ACCOUNT_REACTIVATED: _USER_SECURITY,
    T.LOGIN_REFUSED_INACTIVE: _AUTHENTICATION,
    T.THROTTLED: _AUTHENTICATION,
    T.MEMBERSHIP_CREATED: _ROLES,
    T.MEMBERSHIP_ENDED: _ROLES,
    T.ROLE_CHANGED: _ROLES,
    T.PRACTICE_CREATED: _APPLICATION_ACTIVITY,
    T.USER_CREATED: _USER_SECURITY,
    T.PATIENT_READ: _PATIENT_RECORD,
    T.PATIENT_CREATED: _PATIENT_RECORD,
    T.PATIENT_UPDATED: _PATIENT_RECORD,
    T.PATIENT_SEARCH: ("110112", "Query"),
    T.PATIENT_IMPORT: ("110107", "Import"),
    T.BREAK_GLASS: _PATIENT_RECORD,
    T.ACCESS_DENIED: ("110113", "Security Alert"),
    T.CARE_RELATIONSHIP_CHANGED: _ROLES,
    T.IDENTITY_VERIFIED: _PATIENT_RECORD,
    T.PATIENT_ACCESS_HISTORY_PRODUCED: _AUDIT_LOG_USED,
    T.CLINICAL_READ: _PATIENT_RECORD,
    T.CLINICAL_WRITE: _PATIENT_RECORD,
    T.KEY_ROTATION: _APPLICATION_ACTIVITY,
    T.AUDIT_VERIFIED: _AUDIT_LOG_USED,
    T.EXPORT: ("110106", "Export"),
    T.JOB_RUN: _APPLICATION_ACTIVITY,
    T.AUDIT_LOG_VIEWED: _AUDIT_LOG_USED,
}
_LOGIN_SUBTYPE = {"system": DCM, "code": "110122", "display": "Login"}
_LOGOUT_SUBTYPE = {"system": DCM, "code": "110123", "display": "Logout"}


def to_fhir_dict(event: AuditEvent) -> dict[str, Any]:
    event_type = T(event.event_type)
    code, display = _DICOM_BY_TYPE[event_type]
    subtypes = [
        {
            "system": EVENT_TYPE_SYSTEM,
            "code": str(int(event_type)),
            "display": str(event_type.label),
        }
    ]
    if code == _AUTHENTICATION[0]:
        subtypes.append(_LOGOUT_SUBTYPE if event_type == T.LOGOUT else _LOGIN_SUBTYPE)

    resource: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "id": str(event.id),
        "type": {"system": DCM, "code": code, "display": display},
        "subtype": subtypes,
        "action": event.action,
        "recorded": event.recorded_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "outcome": event.outcome,
        "agent": [_agent(event)],
        "source": {
            "site": str(event.practice_id) if event.practice_id else PLATFORM_CHAIN,
            "observer": {"display": "Hygie"},
            "type": [{"system": SOURCE_TYPE_SYSTEM, "code": "4", "display": "Application Server"}],
        },
    }
    if event.purpose:
        resource["purposeOfEvent"] = [_purpose(event)]
    entities = _entities(event)
    if entities:
        resource["entity"] = entities
    return resource


def _purpose(event: AuditEvent) -> dict[str, Any]:
    purpose: dict[str, Any] = {
        "coding": [
            {
                "system": PURPOSE_SYSTEM,
                "code": event.purpose,
                "display": str(PurposeOfUse(event.purpose).label),
            }
        ]
    }
    if event.reason:
        purpose["text"] = reason_text(event)  # the break-the-glass reason, unsealed
    return purpose


def _agent(event: AuditEvent) -> dict[str, Any]:
    person = event.user_id is not None
    agent: dict[str, Any] = {
        "type": {
            "coding": [
                {
                    "system": ROLE_TYPE_SYSTEM,
                    "code": "humanuser" if person else "dataprocessor",
                    "display": "human user" if person else "data processor",
                }
            ]
        },
        "who": {"display": event.user_label},
        "requestor": person,
    }
    if person:
        agent["who"]["identifier"] = {
            "system": "urn:ietf:rfc:3986",
            "value": f"urn:uuid:{event.user_id}",
        }
    if event.source_address:
        agent["network"] = {"address": event.source_address, "type": "2"}  # 2: IP address
    if event.purpose:
        agent["purposeOfUse"] = [_purpose(event)]
    return agent


def _entities(event: AuditEvent) -> list[dict[str, Any]]:
    entities: list[dict[str, Any]] = []
    if event.patient_id:
        entities.append(
            {
                "what": {"reference": f"Patient/{event.patient_id}"},
                "type": {"system": ENTITY_TYPE_SYSTEM, "code": "1", "display": "Person"},
                "role": {"system": OBJECT_ROLE_SYSTEM, "code": "1", "display": "Patient"},
            }
        )
    same_patient = event.entity_type == "Patient" and event.entity_id == str(event.patient_id)
    if event.entity_type and event.entity_id and not same_patient:
        entities.append(
            {
                "what": {"reference": f"{event.entity_type}/{event.entity_id}"},
                "type": {"system": ENTITY_TYPE_SYSTEM, "code": "2", "display": "System Object"},
            }
        )
    if event.detail:
        if not entities:
            entities.append(
                {"type": {"system": ENTITY_TYPE_SYSTEM, "code": "2", "display": "System Object"}}
            )
        entities[-1]["detail"] = [
            {"type": key, "valueString": _as_text(value)}
            for key, value in sorted(event.detail.items())
        ]
    return entities


def _as_text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)
