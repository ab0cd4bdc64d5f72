"""GET /metadata: the CapabilityStatement, built from the handlers themselves so
that it lists exactly what the API serves."""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from django.http import HttpRequest

from hygie.core import clock

from ..smart.endpoints import security_urls
from . import base
from .registry import HANDLERS

OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"
SMART_SERVICE = "http://terminology.hl7.org/CodeSystem/restful-security-service"
OPERATIONS = {"everything": "http://hl7.org/fhir/OperationDefinition/Patient-everything"}


def _resource(handler: base.ResourceHandler) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "type": handler.type_name,
        "interaction": [{"code": code} for code in handler.interactions],
        "versioning": "versioned-update",
        "readHistory": base.VREAD in handler.interactions,
        "updateCreate": False,
        "conditionalCreate": base.CREATE in handler.interactions,
        "conditionalRead": "not-supported",
        "conditionalUpdate": False,
        "conditionalDelete": "not-supported",
    }
    if handler.profiles:
        entry["supportedProfile"] = list(handler.profiles)
    if handler.search_params:
        entry["searchParam"] = [
            {"name": name, "type": kind, "documentation": doc}
            for name, (kind, doc) in handler.search_params.items()
        ]
    if handler.operations:
        entry["operation"] = [
            {"name": name, "definition": OPERATIONS[name]} for name in handler.operations
        ]
    return entry


def capability_statement(request: HttpRequest, base_url: str) -> dict[str, Any]:
    urls = security_urls(request)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        # An instance statement describes this server as it runs now.
        "date": clock.now().isoformat(timespec="seconds"),
        "publisher": "Hygie",
        "kind": "instance",
        "software": {"name": "Hygie", "version": version("hygie")},
        "implementation": {"description": "API FHIR R4 de Hygie", "url": base_url},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "cors": False,
                    "service": [
                        {
                            "coding": [{"system": SMART_SERVICE, "code": "SMART-on-FHIR"}],
                            "text": "OAuth 2.0 / SMART on FHIR",
                        }
                    ],
                    # Deprecated by SMART 2 (/.well-known/smart-configuration is the
                    # reference) but the only discovery some clients know.
                    "extension": [
                        {
                            "url": OAUTH_URIS,
                            "extension": [
                                {"url": "authorize", "valueUri": urls["authorize"]},
                                {"url": "token", "valueUri": urls["token"]},
                                {"url": "revoke", "valueUri": urls["revoke"]},
                            ],
                        }
                    ],
                },
                "resource": [_resource(h) for h in HANDLERS.values()],
                "interaction": [{"code": "transaction"}, {"code": "batch"}],
            }
        ],
    }
