"""Audit log entry → FHIR R4 AuditEvent, IHE BALP-shaped for API requests.
Decision 0009, §3.

The shape is built by `hygie.audit.fhir.to_fhir_dict`, below this app, so that
the audit log's own export (`audit.queries.to_fhir_dict`) and the FHIR facade
never disagree: an event recorded for an API request, whose detail names its
restful interaction (`audit.fhir.API_INTERACTION`, with `API_CLIENT` and
`API_REQUEST_ID`), gets type `rest` and the BALP agents; every other event keeps
its DICOM type. A break-the-glass reason is exported in clear in
`purposeOfEvent.text`, as the audit export always did: whoever may read the audit
log may read why the glass was broken.

The caller obtained `event` through the access layer (AUDIT_LOG_VIEWED or
PATIENT_ACCESS_HISTORY_PRODUCED is its to record); this module audits nothing.
"""

from __future__ import annotations

from typing import Any

from hygie.audit.fhir import to_fhir_dict
from hygie.audit.models import AuditEvent


def to_fhir(event: AuditEvent) -> dict[str, Any]:
    return to_fhir_dict(event)
