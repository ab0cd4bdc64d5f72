"""One FHIR interaction, from method and URL to result: shared by the HTTP views
and by batch/transaction Bundles, so an entry of a Bundle is checked, audited
and answered exactly like the same request sent alone.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from django.core.exceptions import PermissionDenied
from django.http import Http404

from hygie.patients.access import PatientDeleted
from hygie.patients.actions import PracticeReadOnly, VersionConflict

from ..smart.grants import InvalidToken
from ..validation import FhirValidationError
from . import base, bundles
from .base import Call, Entry, ResourceHandler
from .errors import FhirError, bad_request, not_found, not_supported
from .http import etag, last_modified
from .params import Search, history_page, parse_search
from .registry import HANDLERS

_TYPE = r"[A-Z][A-Za-z]{1,63}"
_ID = r"[A-Za-z0-9\-.]{1,64}"
ROUTES = [
    (re.compile(rf"^(?P<type>{_TYPE})$"), "type"),
    (re.compile(rf"^(?P<type>{_TYPE})/_search$"), "search"),
    (re.compile(rf"^(?P<type>{_TYPE})/_history$"), "type-history"),
    (re.compile(rf"^(?P<type>{_TYPE})/(?P<id>{_ID})$"), "instance"),
    (re.compile(rf"^(?P<type>{_TYPE})/(?P<id>{_ID})/_history$"), "history"),
    (re.compile(rf"^(?P<type>{_TYPE})/(?P<id>{_ID})/_history/(?P<vid>\d{{1,9}})$"), "vread"),
    (re.compile(rf"^(?P<type>{_TYPE})/(?P<id>{_ID})/\$(?P<op>[a-z][a-z-]{{0,63}})$"), "operation"),
]


@dataclass
class Result:
    status: int
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    last_updated: dt.datetime | None = None


@dataclass(frozen=True)
class Interaction:
    """A request, parsed: `path` relative to the base, `query` as pairs."""

    method: str
    path: str
    query: list[tuple[str, str]]
    body: dict[str, Any] | None = None
    if_match: int | None = None
    if_none_exist: str | None = None
    prefer_minimal: bool = False


def _route(path: str) -> tuple[str, dict[str, str]]:
    for pattern, kind in ROUTES:
        match = pattern.match(path)
        if match:
            return kind, match.groupdict()
    raise FhirError(404, "not-supported", f"Adresse inconnue de l'API FHIR : {path}")


def _handler(type_name: str) -> ResourceHandler:
    handler = HANDLERS.get(type_name)
    if handler is None:
        raise FhirError(404, "not-supported", f"Type de ressource non pris en charge : {type_name}")
    return handler


def _supports(handler: ResourceHandler, interaction: str) -> None:
    if interaction not in handler.interactions:
        raise not_supported(
            f"Interaction non prise en charge pour {handler.type_name} : {interaction}."
        )


def _entry_result(entry: Entry, status: int, call: Call, *, minimal: bool = False) -> Result:
    location = f"{call.base}/{entry.resource['resourceType']}/{entry.id}/_history/{entry.version}"
    headers = {
        "ETag": etag(entry.version),
        "Last-Modified": last_modified(entry.last_updated),
    }
    if status == 201:
        headers["Location"] = location
    body = None if minimal else bundles.with_meta(entry)
    return Result(status, body, headers, last_updated=entry.last_updated)


def _search(call: Call, handler: ResourceHandler, query: list[tuple[str, str]]) -> Search:
    known = {name: kind for name, (kind, _doc) in handler.search_params.items()}
    return parse_search(query, known, handler.sorts, strict=call.strict)


# (route kind, method) → FHIR restful-interaction code, recorded with each event.
CODES = {
    ("type", "GET"): "search-type",
    ("search", "POST"): "search-type",
    ("type", "POST"): "create",
    ("type-history", "GET"): "history-type",
    ("instance", "GET"): "read",
    ("instance", "PUT"): "update",
    ("instance", "DELETE"): "delete",
    ("history", "GET"): "history-instance",
    ("vread", "GET"): "vread",
    ("operation", "GET"): "operation",
    ("operation", "POST"): "operation",
}


def perform(call: Call, request: Interaction) -> Result:
    kind, parts = _route(request.path)
    handler = _handler(parts["type"])
    method = request.method
    code = CODES.get((kind, method))
    if code is not None:
        call = call.doing(code)
    if kind in ("type", "search") and (method == "GET" or kind == "search"):
        if kind == "search" and method != "POST":
            raise not_supported("_search s'appelle en POST.")
        _supports(handler, base.SEARCH)
        search = _search(call, handler, request.query)
        total, entries = handler.search(call, search)
        return Result(200, bundles.searchset(call.base, handler.type_name, search, total, entries))
    if kind == "type" and method == "POST":
        _supports(handler, base.CREATE)
        if request.body is None:
            raise bad_request("Le corps de la requête est vide.")
        if request.if_none_exist is not None:
            existing = _conditional_match(call, handler, request.if_none_exist)
            if existing is not None:
                return _entry_result(existing, 200, call, minimal=request.prefer_minimal)
        entry = handler.create(call, request.body)
        return _entry_result(entry, 201, call, minimal=request.prefer_minimal)
    if kind == "type-history" and method == "GET":
        _supports(handler, base.HISTORY_TYPE)
        page = history_page(request.query)
        total, entries = handler.history_type(call, page)
        url = f"{call.base}/{request.path}"
        return Result(200, bundles.history(call.base, url, total, entries, page))
    if kind == "instance":
        return _instance(call, handler, parts["id"], request)
    if kind == "history" and method == "GET":
        _supports(handler, base.HISTORY_INSTANCE)
        entries = handler.history(call, parts["id"])
        self_url = f"{call.base}/{request.path}"
        return Result(200, bundles.history(call.base, self_url, len(entries), entries))
    if kind == "vread" and method == "GET":
        _supports(handler, base.VREAD)
        entry = handler.vread(call, parts["id"], int(parts["vid"]))
        return _entry_result(entry, 200, call)
    if kind == "operation" and method in ("GET", "POST") and parts["op"] in handler.operations:
        entries = handler.operation(call, parts["id"], parts["op"])
        search = Search(params=[], count=len(entries))
        bundle = bundles.searchset(call.base, handler.type_name, search, len(entries), entries)
        bundle["link"] = [{"relation": "self", "url": f"{call.base}/{request.path}"}]
        return Result(200, bundle)
    if kind == "operation":
        raise FhirError(404, "not-supported", f"Opération inconnue : ${parts['op']}")
    raise not_supported(f"Méthode {method} non prise en charge ici.")


def _instance(
    call: Call, handler: ResourceHandler, resource_id: str, request: Interaction
) -> Result:
    if request.method == "GET":
        _supports(handler, base.READ)
        return _entry_result(handler.read(call, resource_id), 200, call)
    if request.method == "PUT":
        _supports(handler, base.UPDATE)
        if request.body is None:
            raise bad_request("Le corps de la requête est vide.")
        entry = handler.update(call, resource_id, request.body, request.if_match)
        return _entry_result(entry, 200, call, minimal=request.prefer_minimal)
    if request.method == "DELETE":
        _supports(handler, base.DELETE)
        handler.delete(call, resource_id, request.if_match)
        return Result(204)
    raise not_supported(f"Méthode {request.method} non prise en charge ici.")


def _conditional_match(call: Call, handler: ResourceHandler, criteria: str) -> Entry | None:
    """If-None-Exist: the one existing match, None if there is none, 412 if several."""
    query = parse_qsl(criteria.lstrip("?"), keep_blank_values=True)
    if not query:
        raise bad_request("If-None-Exist doit contenir des critères de recherche.")
    search = _search(call, handler, query)
    search.count = 2
    total, entries = handler.search(call, search)
    if total > 1:
        raise FhirError(
            412, "multiple-matches", "Plusieurs ressources correspondent à If-None-Exist."
        )
    return entries[0] if entries else None


def translate(exc: Exception, request: Interaction) -> FhirError | None:
    """The FhirError for an exception of the domain, None if it is not one."""
    if isinstance(exc, FhirError):
        return exc
    if isinstance(exc, FhirValidationError):
        return FhirError(400, exc.issues[0].code, exc.issues[0].diagnostics, issues=exc.issues)
    if isinstance(exc, InvalidToken):
        return FhirError(
            401,
            "login",
            "Jeton d'accès absent, expiré ou révoqué.",
            headers={"WWW-Authenticate": 'Bearer realm="hygie", error="invalid_token"'},
        )
    if isinstance(exc, PatientDeleted):
        return FhirError(410, "deleted", "Cette ressource a été supprimée.")
    if isinstance(exc, Http404):
        return not_found()
    if isinstance(exc, VersionConflict):
        if request.if_match is not None:
            return FhirError(
                412,
                "conflict",
                f"La ressource est à la version {exc.current} : relisez-la avant de la modifier.",
            )
        return FhirError(409, "conflict", "La ressource a été modifiée en même temps : relisez-la.")
    if isinstance(exc, PracticeReadOnly):
        return FhirError(403, "forbidden", str(exc))
    if isinstance(exc, PermissionDenied):
        return FhirError(403, "forbidden", "Votre rôle ne permet pas cette action.")
    return None
