"""What-if experiments: each emulates one proposed change to the app, inside the
benchmark process only, so docs/performance.md can state its measured gain.
None of this is how the app should be written; each docstring names the real
change it stands for. Applied after django.setup() (settings ones before).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def persistent_connections() -> None:
    """config/settings.py: CONN_MAX_AGE=60 for SQLite (keep the connection, its
    page cache and its PRAGMAs, per thread) instead of 0 (reopen every request)."""
    from django.conf import settings

    settings.DATABASES["default"]["CONN_MAX_AGE"] = 60


def synchronous_normal() -> None:
    """config/settings.py: PRAGMA synchronous=NORMAL instead of FULL. In WAL mode,
    NORMAL fsyncs at checkpoints instead of at every commit: still consistent after
    a crash, but the last commits before a power loss may be lost."""
    from django.conf import settings

    options = settings.DATABASES["default"]["OPTIONS"]
    options["init_command"] = options["init_command"].replace(
        "synchronous=FULL", "synchronous=NORMAL")


def large_page_cache() -> None:
    """config/settings.py (or the demo command alone): PRAGMA cache_size=-262144
    (256 MiB) instead of SQLite's 2 MiB default, so a long write transaction such
    as the demo's single one does not spill dirty pages to the WAL over and over."""
    from django.conf import settings

    options = settings.DATABASES["default"]["OPTIONS"]
    options["init_command"] += "PRAGMA cache_size=-262144;"


def search_token_driven() -> None:
    """hygie/patients/queries.py:search_patient_ids: read the name tokens first and
    stop at LIMIT, instead of `pk IN (SELECT patient_id ... GROUP BY patient_id
    HAVING COUNT(DISTINCT token) = n)`, which SQLite evaluates in full (every
    patient whose name has that prefix: ~10,000 for "mar" in 100,000) before
    taking 60. Other words of the query become EXISTS on the same patient's
    tokens. Same rows allowed (every word must match a name prefix); which 60 of
    the matches come back was arbitrary before and still is."""
    from django.db.models import Exists, OuterRef, QuerySet

    from hygie.crypto.blind import name_query_tokens
    from hygie.patients import queries
    from hygie.patients.models import PatientNameToken

    original = queries.search_patient_ids

    def search_patient_ids(practice_id: Any, *, name: str = "", birth_date: Any = None,
                           nir: str = "", limit: int = 50) -> list[Any]:
        tokens = list(dict.fromkeys(name_query_tokens(practice_id, name))) if name else []
        if not tokens:
            return original(practice_id, name=name, birth_date=birth_date, nir=nir,
                            limit=limit)
        first, *others = tokens
        rows: QuerySet[PatientNameToken] = PatientNameToken.objects.filter(
            practice_id=practice_id, token=first)
        for token in others:
            rows = rows.filter(Exists(PatientNameToken.objects.filter(
                patient_id=OuterRef("patient_id"), token=token)))
        if nir:
            rows = rows.filter(patient__nir_index=queries.nir_index(practice_id, nir))
        if birth_date is not None:
            rows = rows.filter(patient__birth_date_index=queries.birth_date_index(
                practice_id, birth_date))
        return list(rows.values_list("patient_id", flat=True)[:limit])

    queries.search_patient_ids = search_patient_ids


def pinned_key_version() -> None:
    """hygie/crypto/keys.py:active_version read once per transaction (or per demo
    batch) instead of once per encrypted value: here, memoised for the process,
    which is what a pin scoped to the demo's transaction amounts to."""
    from hygie.crypto import keys

    original: Callable[..., int] = keys.active_version
    cache: dict[tuple[Any, Any], int] = {}

    def active_version(tenant_id: Any, purpose: Any = keys.DataKey.Purpose.DATA) -> int:
        key = (str(tenant_id), str(purpose))
        if key not in cache:
            cache[key] = original(tenant_id, purpose)
        return cache[key]

    keys.active_version = active_version


def patient_page_one_decision() -> None:
    """hygie/patients/access.py + views.py: the patient page asks the policy twice
    (identity inside access_patient, clinical in the view), so the restriction is
    read twice, and break-the-glass is read even when a care relationship already
    grants access, then once more by the view. Emulated by memoising the three
    policy queries for one request (same answers: nothing writes them meanwhile)."""
    from django.core.signals import request_started

    from hygie.patients import queries

    memo: dict[tuple[str, Any], Any] = {}
    request_started.connect(lambda **kwargs: memo.clear(), weak=False)
    for name in ("is_restricted", "has_care_relationship", "active_break_glass"):
        original = getattr(queries, name)

        def cached(*args: Any, _name: str = name, _original: Any = original) -> Any:
            key = (_name, args[:2])
            if key not in memo:
                memo[key] = _original(*args)
            return memo[key]

        setattr(queries, name, cached)


BEFORE_SETUP = {"persistent-connections": persistent_connections,
                "synchronous-normal": synchronous_normal,
                "large-page-cache": large_page_cache}
AFTER_SETUP = {"search-token-driven": search_token_driven,
               "pinned-key-version": pinned_key_version,
               "patient-page-one-decision": patient_page_one_decision}
ALL = sorted({**BEFORE_SETUP, **AFTER_SETUP})


def apply(names: list[str], *, before_setup: bool) -> None:
    table = BEFORE_SETUP if before_setup else AFTER_SETUP
    for name in names:
        if name not in ALL:
            raise SystemExit(f"unknown what-if {name}; known: {', '.join(ALL)}")
        if name in table:
            table[name]()
