"""The HTTP door of the FHIR API: /fhir/R4/<path>.

One view: it checks the format, resolves the bearer token (grant_for_request),
turns the HTTP request into an Interaction and answers the Result, or the
OperationOutcome of whatever refused it. /metadata is public, as FHIR and SMART
require; everything else needs a token.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from hygie.crypto.errors import DecryptionError, KeyConfigurationError, MissingTenantKeyError

from ..smart.endpoints import fhir_base_url
from ..smart.grants import grant_for_request
from .base import Call
from .bundle_processing import process_bundle
from .capability import capability_statement
from .errors import FhirError, not_supported
from .http import check_format, error_response, fhir_response, if_match, read_json
from .interactions import Interaction, perform, translate
from .params import is_strict

log = logging.getLogger("hygie.fhir")


def _query(request: HttpRequest, path: str) -> list[tuple[str, str]]:
    items = [(k, v) for k, values in request.GET.lists() for v in values if k != "_format"]
    if path.endswith("/_search") and request.method == "POST":
        # POST _search: the parameters come form-encoded in the body (and the URL).
        items += [(k, v) for k, values in request.POST.lists() for v in values if k != "_format"]
    return items


def _interaction(request: HttpRequest, path: str) -> Interaction:
    method = request.method or "GET"
    body: dict[str, Any] | None = None
    if method in ("POST", "PUT") and not path.endswith("/_search") and "$" not in path:
        body = read_json(request)
    prefer = request.headers.get("Prefer", "")
    return Interaction(
        method=method,
        path=path,
        query=_query(request, path),
        body=body,
        if_match=if_match(request),
        if_none_exist=request.headers.get("If-None-Exist"),
        prefer_minimal="return=minimal" in prefer,
    )


@csrf_exempt
def fhir_api(request: HttpRequest, path: str = "") -> HttpResponse:
    path = path.strip("/")
    interaction: Interaction | None = None
    try:
        check_format(request)
        if path == "metadata":
            if request.method != "GET":
                raise not_supported("metadata se lit en GET.")
            # The configured public address, not the Host header (smart/endpoints.py).
            return fhir_response(capability_statement(request, fhir_base_url()))
        call = Call(request, grant_for_request(request), fhir_base_url(), is_strict(request))
        if path == "":
            if request.method != "POST":
                raise not_supported(
                    "La racine de l'API accepte un Bundle batch ou transaction en POST."
                )
            return fhir_response(process_bundle(call, read_json(request)))
        interaction = _interaction(request, path)
        # Not one transaction around the request: the audit of a refused read must
        # survive the refusal. Each do_* action is atomic on its own.
        result = perform(call, interaction)
        return fhir_response(result.body, result.status, result.headers)
    except Exception as exc:
        error = translate(exc, interaction or Interaction(request.method or "GET", path, []))
        if error is None:
            error = _failure(exc)
        return error_response(error)


def _failure(exc: Exception) -> FhirError:
    """Anything else is Hygie's fault, answered as an OperationOutcome (clients
    parse those, not an HTML page) and logged with its traceback. Every write ran
    in its own transaction, rolled back by now: nothing is half-written."""
    log.error("FHIR request failed: %s", exc, exc_info=exc)
    if isinstance(
        exc, DatabaseError | KeyConfigurationError | MissingTenantKeyError | DecryptionError
    ):
        return FhirError(
            503,
            "transient",
            "Service momentanément indisponible : rien n'a été enregistré. Réessayez.",
            headers={"Retry-After": "30"},
        )
    return FhirError(500, "exception", "Erreur interne : rien n'a été enregistré.")
