"""AuditEvent: the practice's audit log, read and searched by its admins only
(hygie.practices.access), each reading audited in turn."""

from __future__ import annotations

from typing import ClassVar

from hygie.audit.models import AuditEvent
from hygie.patients.criteria import DatePrefix
from hygie.practices import access

from ..mappers import audit_event
from ..smart.scopes import Interaction, Reach
from . import base
from .base import Call, Entry, ResourceHandler
from .errors import bad_request, not_found
from .params import Search, instant_value, reference


def _entry(event: AuditEvent) -> Entry:
    return Entry(audit_event.to_fhir(event), 1, event.recorded_at)


class AuditEventHandler(ResourceHandler):
    type_name = "AuditEvent"
    interactions = (base.READ, base.SEARCH)
    search_params: ClassVar[dict[str, tuple[str, str]]] = {
        "date": ("date", "Date de l'événement (préfixes ge, gt, le, lt, eq)"),
        "patient": ("reference", "Le patient concerné (Patient/id)"),
        "agent": ("reference", "La personne qui a agi (Practitioner/id)"),
    }

    def read(self, call: Call, resource_id: str) -> Entry:
        reach = call.require("AuditEvent", Interaction.READ)
        event = access.access_audit_event(call.actor, resource_id)
        if reach is Reach.PATIENT and event.patient_id != call.grant.patient_id:
            raise not_found()  # a patient/ token reaches its patient's events only
        return _entry(event)

    def search(self, call: Call, search: Search) -> tuple[int, list[Entry]]:
        reach = call.require("AuditEvent", Interaction.SEARCH)
        since = until = None
        patient_id = user_id = None
        for param in search.params:
            if len(param.values) > 1:
                raise bad_request(f"{param.name} : une seule valeur à la fois.", param.name)
            value = param.values[0]
            if param.name == "patient":
                patient_id = reference(value, ("Patient",), "patient")[1]
            elif param.name == "agent":
                user_id = reference(value, ("Practitioner",), "agent")[1]
            else:
                moment = instant_value(value, "date")
                if moment.prefix in (DatePrefix.GE, DatePrefix.EQ):
                    since = moment.start
                if moment.prefix is DatePrefix.GT:
                    since = moment.end
                if moment.prefix in (DatePrefix.LT,):
                    until = moment.start
                if moment.prefix in (DatePrefix.LE, DatePrefix.EQ):
                    until = moment.end
                if moment.prefix is DatePrefix.NE:
                    raise bad_request("date : le préfixe ne n'est pas pris en charge ici.", "date")
        if reach is Reach.PATIENT:
            if patient_id is not None and patient_id != call.grant.patient_id:
                return 0, []
            patient_id = call.grant.patient_id
        total, events = access.access_audit_events(
            call.actor,
            since=since,
            until=until,
            patient_id=patient_id,
            user_id=user_id,
            offset=search.offset,
            count=0 if search.summary_count else search.count,
        )
        return total, [_entry(e) for e in events]
