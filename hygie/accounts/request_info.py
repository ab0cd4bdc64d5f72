"""Facts about the client of a request, as the audit log records them."""

from __future__ import annotations

import uuid

from django.http import HttpRequest

from hygie.audit.actions import AuditSource

DEVICE_COOKIE = "hygie_device"


def client_address(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted proxy
    # rewrites it, and the reverse proxy in front of Hygie sets REMOTE_ADDR itself.
    return request.META.get("REMOTE_ADDR") or None


def user_agent(request: HttpRequest) -> str:
    return str(request.META.get("HTTP_USER_AGENT", ""))[:300]


def audit_source(request: HttpRequest, practice_id: uuid.UUID | None = None) -> AuditSource:
    return AuditSource.for_request(request, practice_id=practice_id)
