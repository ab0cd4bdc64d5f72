"""The resource types the API serves: one handler each, listed here explicitly
(no registration as an import side effect). The CapabilityStatement is built
from this list, so it says exactly what is served."""

from __future__ import annotations

from .allergy_intolerance import AllergyIntoleranceHandler
from .audit_events import AuditEventHandler
from .base import ResourceHandler
from .directory import OrganizationHandler, PractitionerHandler, PractitionerRoleHandler
from .observation import ObservationHandler
from .patient import PatientHandler

HANDLERS: dict[str, ResourceHandler] = {
    handler.type_name: handler
    for handler in (
        PatientHandler(),
        PractitionerHandler(),
        PractitionerRoleHandler(),
        OrganizationHandler(),
        AuditEventHandler(),
        ObservationHandler(),
        AllergyIntoleranceHandler(),
    )
}
