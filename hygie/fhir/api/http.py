"""HTTP mechanics of the FHIR API: JSON in and out, formats, versions, dates.

JSON only (`application/fhir+json`; `application/json` and `_format=json` are
accepted because common clients send them). A request asking for XML or any
other format is refused, never answered in a format it did not ask for.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.http import http_date

from ..outcome import operation_outcome
from .errors import FhirError, bad_request

FHIR_JSON = "application/fhir+json"
JSON_TYPES = frozenset({FHIR_JSON, "application/json", "json"})
_ACCEPTABLE = JSON_TYPES | {"*/*", "application/*", ""}
_ETAG = re.compile(r'^(?:W/)?"(\d{1,9})"$')


def check_format(request: HttpRequest) -> None:
    """Refuses a `_format` or an Accept header that names only other formats."""
    wanted = request.GET.get("_format", "")
    if wanted and wanted.split(";")[0].strip() not in JSON_TYPES:
        raise FhirError(
            415, "not-supported", f"Format non pris en charge : {wanted}. Hygie répond en JSON."
        )
    accept = request.headers.get("Accept", "")
    offered = {part.split(";")[0].strip() for part in accept.split(",")}
    if accept and not offered & _ACCEPTABLE:
        raise FhirError(406, "not-supported", "Hygie répond en application/fhir+json uniquement.")


def read_json(request: HttpRequest) -> dict[str, Any]:
    """The request body as a JSON object. Raises FhirError 415 or 400."""
    content_type = request.content_type or ""
    if content_type not in JSON_TYPES:
        raise FhirError(
            415,
            "not-supported",
            "Le corps de la requête doit être en application/fhir+json.",
        )
    try:
        body = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise bad_request(f"JSON illisible : {exc}") from None
    except RecursionError:
        raise bad_request("JSON trop profondément imbriqué.") from None
    if not isinstance(body, dict):
        raise bad_request("Le corps de la requête doit être une ressource FHIR (objet JSON).")
    return body


def fhir_response(
    body: dict[str, Any] | None, status: int = 200, headers: dict[str, str] | None = None
) -> HttpResponse:
    content = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
    response = HttpResponse(content, status=status, content_type=f"{FHIR_JSON}; charset=utf-8")
    # Patient data: never kept by a browser or a proxy.
    response["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error_response(error: FhirError) -> HttpResponse:
    return fhir_response(operation_outcome(error.issues), error.status, error.headers)


def etag(version: int) -> str:
    return f'W/"{version}"'


def if_match(request: HttpRequest) -> int | None:
    """The version named by If-Match, None without the header. Raises 400 if bad."""
    header = request.headers.get("If-Match")
    if header is None:
        return None
    match = _ETAG.match(header.strip())
    if match is None:
        raise bad_request('If-Match doit être une version, par exemple W/"3".')
    return int(match.group(1))


def last_modified(value: dt.datetime) -> str:
    """The HTTP date of a Last-Modified header (RFC 9110)."""
    return http_date(value.timestamp())


def instant(value: dt.datetime) -> str:
    """A FHIR instant: UTC, to the millisecond."""
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
