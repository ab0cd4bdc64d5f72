"""Bundles the API returns: search sets with paging links, histories."""

from __future__ import annotations

import uuid
from typing import Any

from .base import Entry
from .http import instant
from .params import HistoryPage, Search


def with_meta(entry: Entry) -> dict[str, Any]:
    """The resource with its version and last change in `meta`."""
    resource = dict(entry.resource)
    meta = dict(resource.get("meta", {}))
    meta["versionId"] = str(entry.version)
    meta["lastUpdated"] = instant(entry.last_updated)
    resource["meta"] = meta
    return resource


def elements_only(resource: dict[str, Any], elements: frozenset[str]) -> dict[str, Any]:
    """_elements: the mandatory parts plus the asked ones, marked SUBSETTED."""
    kept = {
        k: v for k, v in resource.items() if k in elements or k in ("resourceType", "id", "meta")
    }
    meta = dict(kept.get("meta", {}))
    meta["tag"] = [
        *meta.get("tag", []),
        {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
            "code": "SUBSETTED",
        },
    ]
    kept["meta"] = meta
    return kept


def searchset(
    base: str,
    resource_type: str,
    search: Search,
    total: int,
    entries: list[Entry],
    included: list[Entry] | None = None,
) -> dict[str, Any]:
    url = f"{base}/{resource_type}"
    links = [{"relation": "self", "url": f"{url}?{search.query_string(offset=search.offset)}"}]
    if not search.summary_count and search.count:
        if search.offset + search.count < total:
            following = search.query_string(offset=search.offset + search.count)
            links.append({"relation": "next", "url": f"{url}?{following}"})
        if search.offset > 0:
            previous = search.query_string(offset=max(0, search.offset - search.count))
            links.append({"relation": "previous", "url": f"{url}?{previous}"})
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "type": "searchset",
        "total": total,
        "link": links,
    }
    items = []
    for entry in entries:
        resource = with_meta(entry)
        if search.elements is not None:
            resource = elements_only(resource, search.elements)
        items.append(
            {
                "fullUrl": f"{base}/{entry.resource['resourceType']}/{entry.id}",
                "resource": resource,
                "search": {"mode": "match"},
            }
        )
    for entry in included or []:
        items.append(
            {
                "fullUrl": f"{base}/{entry.resource['resourceType']}/{entry.id}",
                "resource": with_meta(entry),
                "search": {"mode": "include"},
            }
        )
    if search.warnings:
        items.append(
            {
                "resource": {
                    "resourceType": "OperationOutcome",
                    "issue": [
                        {"severity": w.severity, "code": w.code, "diagnostics": w.diagnostics}
                        for w in search.warnings
                    ],
                },
                "search": {"mode": "outcome"},
            }
        )
    if items:
        bundle["entry"] = items
    return bundle


def history(
    base: str, self_url: str, total: int, entries: list[Entry], page: HistoryPage | None = None
) -> dict[str, Any]:
    items = []
    for entry in entries:
        kind = entry.resource["resourceType"]
        item: dict[str, Any] = {"fullUrl": f"{base}/{kind}/{entry.id}"}
        if entry.deleted:
            item["request"] = {"method": "DELETE", "url": f"{kind}/{entry.id}"}
            item["response"] = {
                "status": "410 Gone",
                "lastModified": instant(entry.last_updated),
            }
        else:
            item["resource"] = with_meta(entry)
            item["request"] = {
                "method": "POST" if entry.version == 1 else "PUT",
                "url": kind if entry.version == 1 else f"{kind}/{entry.id}",
            }
            item["response"] = {
                "status": "201 Created" if entry.version == 1 else "200 OK",
                "etag": f'W/"{entry.version}"',
                "lastModified": instant(entry.last_updated),
            }
        items.append(item)
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "type": "history",
        "total": total,
        "link": _history_links(self_url, total, page),
    }
    if items:
        bundle["entry"] = items
    return bundle


def _history_links(url: str, total: int, page: HistoryPage | None) -> list[dict[str, str]]:
    if page is None:
        return [{"relation": "self", "url": url}]
    links = [{"relation": "self", "url": f"{url}?{page.query_string(page.offset)}"}]
    if page.count and page.offset + page.count < total:
        links.append(
            {"relation": "next", "url": f"{url}?{page.query_string(page.offset + page.count)}"}
        )
    if page.offset > 0:
        previous = max(0, page.offset - page.count)
        links.append({"relation": "previous", "url": f"{url}?{page.query_string(previous)}"})
    return links
