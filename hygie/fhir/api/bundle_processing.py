"""POST /fhir/R4 with a batch or transaction Bundle.

A batch runs each entry on its own and answers each. A transaction is all or
nothing: its entries run in one database transaction, in FHIR's order (DELETE,
POST, PUT, GET), `urn:uuid:` full URLs of created resources are replaced by
their new references wherever later entries use them, and the first failure
rolls everything back and is answered alone.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

from django.db import transaction

from hygie.audit.actions import record_event
from hygie.audit.enums import AuditAction, AuditEventType, AuditOutcome

from ..validation import Issue, validate_resource
from .base import Call
from .errors import FhirError, bad_request
from .http import instant
from .interactions import Interaction, Result, perform, translate

MAX_ENTRIES = 100
ORDER = {"DELETE": 0, "POST": 1, "PUT": 2, "GET": 3}
STATUS_TEXT = {200: "200 OK", 201: "201 Created", 204: "204 No Content"}


def _interaction(entry: dict[str, Any], index: int, base: str) -> Interaction:
    request = entry.get("request") or {}
    method, url = request.get("method", ""), request.get("url", "")
    if method not in ORDER:
        raise bad_request(
            f"Entrée {index + 1} : méthode non prise en charge ({method or 'absente'}).",
            f"Bundle.entry[{index}].request.method",
        )
    if url.startswith(base):
        url = url[len(base) :]
    parts = urlsplit(url.lstrip("/"))
    return Interaction(
        method=method,
        path=parts.path.strip("/"),
        query=parse_qsl(parts.query, keep_blank_values=True),
        body=entry.get("resource") if method in ("POST", "PUT") else None,
        if_match=_version(request.get("ifMatch"), index),
        if_none_exist=request.get("ifNoneExist"),
    )


def _version(value: str | None, index: int) -> int | None:
    if value is None:
        return None
    digits = value.removeprefix("W/").strip('"')
    if not digits.isdigit():
        raise bad_request(
            f"Entrée {index + 1} : ifMatch invalide.", f"Bundle.entry[{index}].request.ifMatch"
        )
    return int(digits)


def _rewrite(node: Any, references: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {
            k: references.get(v, v)
            if k == "reference" and isinstance(v, str)
            else _rewrite(v, references)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rewrite(item, references) for item in node]
    return node


def _response(result: Result) -> dict[str, Any]:
    response: dict[str, Any] = {"status": STATUS_TEXT.get(result.status, str(result.status))}
    if "Location" in result.headers:
        response["location"] = result.headers["Location"]
    if "ETag" in result.headers:
        response["etag"] = result.headers["ETag"]
    if result.last_updated is not None:
        response["lastModified"] = instant(result.last_updated)
    item: dict[str, Any] = {"response": response}
    if result.body is not None:
        item["resource"] = result.body
    return item


def _failure(error: FhirError) -> dict[str, Any]:
    return {
        "response": {
            "status": str(error.status),
            "outcome": {
                "resourceType": "OperationOutcome",
                "issue": [
                    {"severity": i.severity, "code": i.code, "diagnostics": i.diagnostics}
                    for i in error.issues
                ],
            },
        }
    }


def process_bundle(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    if body.get("resourceType") != "Bundle" or body.get("type") not in ("batch", "transaction"):
        raise bad_request("La racine de l'API attend un Bundle de type batch ou transaction.")
    entries = body.get("entry") or []
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise bad_request(
            "Bundle.entry doit être une liste d'entrées (objets JSON).", "Bundle.entry"
        )
    if len(entries) > MAX_ENTRIES:
        raise FhirError(400, "too-costly", f"Un Bundle compte au plus {MAX_ENTRIES} entrées.")
    # Structure only here; each entry's resource is validated by its own interaction.
    validate_resource({**body, "entry": [{**e, "resource": None} for e in entries]}, "Bundle")
    requests = [_interaction(e, i, call.base) for i, e in enumerate(entries)]
    if body["type"] == "batch":
        return _batch(call, requests)
    return _transaction(call, entries, requests)


def _batch(call: Call, requests: list[Interaction]) -> dict[str, Any]:
    items = []
    for request in requests:
        # No savepoint around an entry: each write is atomic in its do_* action,
        # and the audit of a refused read must outlive the refusal.
        try:
            items.append(_response(perform(call, request)))
        except Exception as exc:
            error = translate(exc, request)
            if error is None:
                raise
            items.append(_failure(error))
    return {"resourceType": "Bundle", "type": "batch-response", "entry": items}


def _transaction(
    call: Call, entries: list[dict[str, Any]], requests: list[Interaction]
) -> dict[str, Any]:
    order = sorted(range(len(requests)), key=lambda i: ORDER[requests[i].method])
    results: dict[int, Result] = {}
    references: dict[str, str] = {}
    current = 0
    try:
        with transaction.atomic():
            for current in order:
                request = requests[current]
                if request.body is not None:
                    body = _rewrite(request.body, references)
                    if _unresolved(body):
                        raise bad_request(
                            "Référence urn:uuid sans entrée créée avant elle dans la transaction.",
                            f"Bundle.entry[{current}].resource",
                        )
                    request = Interaction(**{**request.__dict__, "body": body})
                result = perform(call, request)
                results[current] = result
                full_url = entries[current].get("fullUrl", "")
                if (
                    request.method == "POST"
                    and full_url.startswith("urn:uuid:")
                    and result.headers.get("Location")
                ):
                    location = result.headers["Location"].removeprefix(call.base + "/")
                    references[full_url] = "/".join(location.split("/")[:2])
    except Exception as exc:
        error = translate(exc, requests[current])
        if error is None:
            raise
        # The rollback took the audit of the entries with it: record the refusal.
        record_event(
            call.actor.source,
            AuditEventType.ACCESS_DENIED,
            action=AuditAction.EXECUTE,
            outcome=AuditOutcome.MINOR_FAILURE,
            entity_type="Bundle",
            detail={
                "transaction": True,
                "entry": current,
                "status": error.status,
                "method": requests[current].method,
                "path": requests[current].path[:200],
            },
        )
        issues = [
            Issue(i.code, f"Entrée {current + 1} : {i.diagnostics}", f"Bundle.entry[{current}]")
            for i in error.issues
        ]
        raise FhirError(
            error.status, issues[0].code, issues[0].diagnostics, issues=issues
        ) from None
    return {
        "resourceType": "Bundle",
        "type": "transaction-response",
        "entry": [_response(results[i]) for i in range(len(requests))],
    }


def _unresolved(node: Any) -> bool:
    if isinstance(node, dict):
        return any(
            (k == "reference" and isinstance(v, str) and v.startswith("urn:uuid:"))
            or _unresolved(v)
            for k, v in node.items()
        )
    if isinstance(node, list):
        return any(_unresolved(item) for item in node)
    return False
