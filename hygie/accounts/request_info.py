"""Facts about the client of a request, as a tracked session records them.
(The audit log takes its own from AuditSource.for_request.)"""

from __future__ import annotations

from django.http import HttpRequest

DEVICE_COOKIE = "hygie_device"


def client_address(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled; behind a trusted proxy,
    # TrustedProxyMiddleware has already put the client's address there.
    return request.META.get("REMOTE_ADDR") or None


def user_agent(request: HttpRequest) -> str:
    return str(request.META.get("HTTP_USER_AGENT", ""))[:300]
