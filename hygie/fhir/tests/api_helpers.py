"""Calling the API's interactions directly, as a given actor with given scopes.

The HTTP layer and the real tokens are exercised in test_api_http.py and the
live-server tests; these tests aim at the interactions' behaviour."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from django.test import RequestFactory

from hygie.fhir.api.base import Call
from hygie.fhir.api.errors import FhirError
from hygie.fhir.api.interactions import Interaction, Result, perform, translate
from hygie.fhir.smart.grants import TokenGrant
from hygie.fhir.smart.scopes import ScopeSet
from hygie.practices.context import Actor

BASE = "http://testserver/fhir/R4"


def call_as(
    actor: Actor, scopes: str = "user/*.cruds", patient_id: uuid.UUID | None = None
) -> Call:
    source = dataclasses.replace(actor.source, client_id="test-client")
    actor = dataclasses.replace(actor, source=source)
    grant = TokenGrant(actor, ScopeSet.parse(scopes), patient_id, "test-client")
    return Call(RequestFactory().get("/fhir/R4/"), grant, BASE, strict=False)


def run(
    call: Call, method: str, path: str, body: dict[str, Any] | None = None, **kw: Any
) -> Result:
    """The Result, or the FhirError the API would answer, raised."""
    query = kw.pop("query", [])
    request = Interaction(method, path, query, body, **kw)
    try:
        return perform(call, request)
    except Exception as exc:
        error = translate(exc, request)
        if error is None:
            raise
        raise error from exc


def status_of(
    call: Call, method: str, path: str, body: dict[str, Any] | None = None, **kw: Any
) -> int:
    try:
        return run(call, method, path, body, **kw).status
    except FhirError as error:
        return error.status


def new_patient(**overrides: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "name": [{"use": "official", "family": "Morel", "given": ["Camille"]}],
        "gender": "female",
        "birthDate": "1990-06-15",
    }
    resource.update(overrides)
    return resource
