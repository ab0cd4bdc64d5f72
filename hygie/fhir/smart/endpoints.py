"""Absolute URLs of the FHIR base and of the authorization endpoints.

Built from HYGIE_BASE_URL (settings.BASE_URL), never from the request's Host
header: `aud` at /authorize and `aud` of a client assertion are compared with
these strings, and a forged Host must not move them.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

# Where config/urls.py mounts hygie.fhir.urls (test_smart_configuration checks it).
FHIR_BASE_PATH = "/fhir/R4"
ENDPOINTS = ("authorize", "token", "revoke", "introspect")


def fhir_base_url() -> str:
    return str(settings.BASE_URL).rstrip("/") + FHIR_BASE_PATH


def endpoint_url(name: str) -> str:
    """The absolute URL of one of ENDPOINTS (lower case, never a resource type)."""
    if name not in ENDPOINTS:
        raise ValueError(f"unknown SMART endpoint {name!r}")
    return f"{fhir_base_url()}/auth/{name}"


def security_urls(request: HttpRequest | None = None) -> dict[str, str]:
    """{"authorize", "token", "revoke", "introspect"} → absolute URL, for the
    CapabilityStatement's oauth-uris extension. `request` is accepted for the
    API's convenience; the URLs come from the configured public address."""
    return {name: endpoint_url(name) for name in ENDPOINTS}
