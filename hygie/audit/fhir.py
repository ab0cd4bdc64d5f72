"""AuditEvent rows as FHIR R4 AuditEvent resources (IHE Basic Audit Log Patterns).

A plain dict: the FHIR facade validates it with fhir.resources when it serves it.
`entity_type` holds a FHIR resource type name, so entity_type/entity_id is a
valid relative reference.

Two shapes, one function (the facade serves what `queries.to_fhir_dict` exports):
- an event recorded for a FHIR API request names its restful interaction in
  `detail[API_INTERACTION]`: it is shaped like IHE BALP (decision 0009, §3), with
  type `rest`, the interaction as subtype, and client, server and user agents;
- every other event (web pages, commands, jobs) keeps a DICOM event type.
Both carry Hygie's own event code as a subtype, so the event type is never lost.
No BALP profile is claimed: the server's network address is not recorded.
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
AUDIT_EVENT_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/audit-event-type"
RESTFUL_INTERACTION_SYSTEM = "http://hl7.org/fhir/restful-interaction"
PARTICIPATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
PROVENANCE_PARTICIPANT_SYSTEM = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
BALP_ENTITY_TYPE_SYSTEM = "https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType"

# The detail keys the FHIR API sets on the events of its requests: the restful
# interaction code (read, search-type, create…), the OAuth client_id, X-Request-Id.
API_INTERACTION = "interaction"
API_CLIENT = "client_id"
API_REQUEST_ID = "request_id"
API_KEYS = frozenset({API_INTERACTION, API_CLIENT, API_REQUEST_ID})
RESTFUL_INTERACTIONS = frozenset(
    {
        "read",
        "vread",
        "update",
        "patch",
        "delete",
        "history",
        "history-instance",
        "history-type",
        "history-system",
        "create",
        "search",
        "search-type",
        "search-system",
        "capabilities",
        "transaction",
        "batch",
        "operation",
    }
)
SEARCHES = frozenset({"search", "search-type", "search-system"})

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
    T.OAUTH_CONSENT_GRANTED: _USER_SECURITY,
    T.OAUTH_CONSENT_DENIED: _USER_SECURITY,
    T.OAUTH_TOKEN_ISSUED: _AUTHENTICATION,
    T.OAUTH_TOKEN_REFRESHED: _AUTHENTICATION,
    T.OAUTH_TOKENS_REVOKED: _USER_SECURITY,
    T.OAUTH_CLIENT_AUTH_FAILED: _AUTHENTICATION,
    T.OAUTH_REFRESH_REUSED: ("110113", "Security Alert"),
    T.MEMBERSHIP_CREATED: _ROLES,
    T.MEMBERSHIP_ENDED: _ROLES,
    T.ROLE_CHANGED: _ROLES,
    T.PRACTICE_CREATED: _APPLICATION_ACTIVITY,
    T.USER_CREATED: _USER_SECURITY,
    T.API_CLIENT_REGISTERED: _USER_SECURITY,
    T.API_CLIENT_REVOKED: _USER_SECURITY,
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
    T.PATIENT_DELETED: _PATIENT_RECORD,
    T.KEY_ROTATION: _APPLICATION_ACTIVITY,
    T.AUDIT_VERIFIED: _AUDIT_LOG_USED,
    T.EXPORT: ("110106", "Export"),
    T.JOB_RUN: _APPLICATION_ACTIVITY,
    T.AUDIT_LOG_VIEWED: _AUDIT_LOG_USED,
}
_LOGIN_SUBTYPE = {"system": DCM, "code": "110122", "display": "Login"}
_LOGOUT_SUBTYPE = {"system": DCM, "code": "110123", "display": "Logout"}
_REST_TYPE = {"system": AUDIT_EVENT_TYPE_SYSTEM, "code": "rest", "display": "Restful Operation"}

# BALP agent types, by interaction (decision 0009, §3): a read sends data from the
# server (source) to the client (destination); a delete has an application and a
# custodian; every other interaction has the client as source.
_SOURCE = {"system": DCM, "code": "110153", "display": "Source Role ID"}
_DESTINATION = {"system": DCM, "code": "110152", "display": "Destination Role ID"}
_APPLICATION = {"system": DCM, "code": "110150", "display": "Application"}
_CUSTODIAN = {"system": PROVENANCE_PARTICIPANT_SYSTEM, "code": "custodian", "display": "Custodian"}
_CLIENT_SERVER: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "read": (_DESTINATION, _SOURCE),
    "vread": (_DESTINATION, _SOURCE),
    "delete": (_APPLICATION, _CUSTODIAN),
}
# The user who reads is the information recipient; the user who writes, its author.
_RECIPIENT = {"system": PARTICIPATION_SYSTEM, "code": "IRCP", "display": "information recipient"}
_AUTHOR = {"system": PARTICIPATION_SYSTEM, "code": "AUT", "display": "author (originator)"}
_SYSTEM_OBJECT = {"system": ENTITY_TYPE_SYSTEM, "code": "2", "display": "System Object"}


def to_fhir_dict(event: AuditEvent) -> dict[str, Any]:
    event_type = T(event.event_type)
    interaction = api_interaction(event)
    code, display = _DICOM_BY_TYPE[event_type]
    subtypes = [
        {
            "system": EVENT_TYPE_SYSTEM,
            "code": str(int(event_type)),
            "display": str(event_type.label),
        }
    ]
    if interaction:
        subtypes.insert(
            0, {"system": RESTFUL_INTERACTION_SYSTEM, "code": interaction, "display": interaction}
        )
    elif code == _AUTHENTICATION[0]:
        subtypes.append(dict(_LOGOUT_SUBTYPE if event_type == T.LOGOUT else _LOGIN_SUBTYPE))

    resource: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "id": str(event.id),
        "type": dict(_REST_TYPE) if interaction else _coding(DCM, code, display),
        "subtype": subtypes,
        "action": event.action,
        "recorded": event.recorded_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "outcome": event.outcome,
        "agent": _rest_agents(event, interaction) if interaction else [_agent(event)],
        "source": {
            "site": str(event.practice_id) if event.practice_id else PLATFORM_CHAIN,
            "observer": {"display": "Hygie"},
            "type": [{"system": SOURCE_TYPE_SYSTEM, "code": "4", "display": "Application Server"}],
        },
    }
    if event.purpose:
        resource["purposeOfEvent"] = [_purpose(event)]
    entities = _entities(event, interaction)
    if entities:
        resource["entity"] = entities
    return resource


def _coding(system: str, code: str, display: str) -> dict[str, str]:
    return {"system": system, "code": code, "display": display}


def api_interaction(event: AuditEvent) -> str:
    """The restful interaction of the API request that recorded the event, or ""."""
    value = event.detail.get(API_INTERACTION) if event.detail else None
    return value if isinstance(value, str) and value in RESTFUL_INTERACTIONS else ""


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


def _agent(event: AuditEvent, balp_role: dict[str, str] | None = None) -> dict[str, Any]:
    """The person or job behind the event. As a BALP user agent (`balp_role`), it
    has no network address: BALP puts it on the client agent."""
    person = event.user_id is not None
    role = balp_role or {
        "system": ROLE_TYPE_SYSTEM,
        "code": "humanuser" if person else "dataprocessor",
        "display": "human user" if person else "data processor",
    }
    agent: dict[str, Any] = {
        "type": {"coding": [role]},
        "who": {"display": event.user_label},
        "requestor": person,
    }
    if person:
        agent["who"]["identifier"] = {
            "system": "urn:ietf:rfc:3986",
            "value": f"urn:uuid:{event.user_id}",
        }
    if event.source_address and balp_role is None:
        agent["network"] = {"address": event.source_address, "type": "2"}  # 2: IP address
    if event.purpose:
        agent["purposeOfUse"] = [_purpose(event)]
    return agent


def _rest_agents(event: AuditEvent, interaction: str) -> list[dict[str, Any]]:
    client_type, server_type = _CLIENT_SERVER.get(interaction, (_SOURCE, _DESTINATION))
    person = event.user_id is not None
    client_id = event.detail.get(API_CLIENT)
    client: dict[str, Any] = {
        "type": {"coding": [dict(client_type)]},
        "who": {"display": event.user_agent or "client inconnu"},
        # Without a user (backend services), the client asks on its own behalf.
        "requestor": not person,
    }
    if isinstance(client_id, str) and client_id:
        client["who"] = {"identifier": {"value": client_id}}
    if event.source_address:
        client["network"] = {"address": event.source_address, "type": "2"}
    server: dict[str, Any] = {
        "type": {"coding": [dict(server_type)]},
        "who": {"display": "Hygie"},
        "requestor": False,
    }
    agents = [client, server]
    if person:
        writes = event.action in {"C", "U", "D"}
        agents.insert(0, _agent(event, dict(_AUTHOR if writes else _RECIPIENT)))
    return agents


def _data_entity(event: AuditEvent, interaction: str) -> dict[str, Any] | None:
    what = f"{event.entity_type}/{event.entity_id}"
    if interaction in SEARCHES:
        # BALP puts the raw query here; Hygie never records what was searched for.
        return {
            "type": dict(_SYSTEM_OBJECT),
            "role": {"system": OBJECT_ROLE_SYSTEM, "code": "24", "display": "Query"},
        }
    if not (event.entity_type and event.entity_id):
        return None
    if interaction:
        return {
            "what": {"reference": what},
            "type": dict(_SYSTEM_OBJECT),
            "role": {"system": OBJECT_ROLE_SYSTEM, "code": "4", "display": "Domain Resource"},
        }
    if event.entity_type == "Patient" and event.entity_id == str(event.patient_id):
        return None  # already the patient entity
    return {"what": {"reference": what}, "type": dict(_SYSTEM_OBJECT)}


def _entities(event: AuditEvent, interaction: str) -> list[dict[str, Any]]:
    entities: list[dict[str, Any]] = []
    if event.patient_id:
        entities.append(
            {
                "what": {"reference": f"Patient/{event.patient_id}"},
                "type": {"system": ENTITY_TYPE_SYSTEM, "code": "1", "display": "Person"},
                "role": {"system": OBJECT_ROLE_SYSTEM, "code": "1", "display": "Patient"},
            }
        )
    data = _data_entity(event, interaction)
    if data is not None:
        entities.append(data)
    detail = {
        key: value
        for key, value in (event.detail or {}).items()
        if not (interaction and key in API_KEYS)
    }
    if detail:
        if not entities:
            entities.append({"type": dict(_SYSTEM_OBJECT)})
        entities[-1]["detail"] = [
            {"type": key, "valueString": _as_text(value)} for key, value in sorted(detail.items())
        ]
    request_id = event.detail.get(API_REQUEST_ID) if interaction else None
    if isinstance(request_id, str) and request_id:
        entities.append(
            {
                "what": {"identifier": {"value": request_id}},
                "type": {"system": BALP_ENTITY_TYPE_SYSTEM, "code": "XrequestId"},
            }
        )
    return entities


def _as_text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)
