"""What-if experiments: each emulates one proposed change to the app, inside the
benchmark process only, so docs/performance.md can state its measured gain.
None of this is how the app should be written; each docstring names the real
change it stands for. Applied after django.setup() (settings ones before).
"""

from __future__ import annotations

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
        "synchronous=FULL", "synchronous=NORMAL"
    )


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

    def search_patient_ids(
        practice_id: Any, *, name: str = "", birth_date: Any = None, nir: str = "", limit: int = 50
    ) -> list[Any]:
        tokens = list(dict.fromkeys(name_query_tokens(practice_id, name))) if name else []
        if not tokens:
            return original(practice_id, name=name, birth_date=birth_date, nir=nir, limit=limit)
        first, *others = tokens
        rows: QuerySet[PatientNameToken] = PatientNameToken.objects.filter(
            practice_id=practice_id, token=first
        )
        for token in others:
            rows = rows.filter(
                Exists(
                    PatientNameToken.objects.filter(patient_id=OuterRef("patient_id"), token=token)
                )
            )
        if nir:
            rows = rows.filter(patient__nir_index=queries.nir_index(practice_id, nir))
        if birth_date is not None:
            rows = rows.filter(
                patient__birth_date_index=queries.birth_date_index(practice_id, birth_date)
            )
        return list(rows.values_list("patient_id", flat=True)[:limit])

    queries.search_patient_ids = search_patient_ids


def search_list_columns() -> None:
    """hygie/patients/access.py:search_patients: load only the columns the result
    list shows (`.defer("sex", "birthplace_insee", "nir", "phone", "email",
    "address")` on the Patient queryset): 60 rows x 6 fewer encrypted columns to
    read, wrap and bind (crypto.fields._bind_loaded_values computes every loaded
    encrypted column's associated data at load, read or not)."""
    from django.db.models import QuerySet

    from hygie.patients import access

    original = access._without_restricted
    unused = ("sex", "birthplace_insee", "nir", "phone", "email", "address")

    def without_restricted(actor: Any, patients: Any) -> Any:
        if isinstance(patients, QuerySet):
            patients = patients.defer(*unused)
        return original(actor, patients)

    access._without_restricted = without_restricted


BEFORE_SETUP = {
    "persistent-connections": persistent_connections,
    "synchronous-normal": synchronous_normal,
}
AFTER_SETUP = {
    "search-token-driven": search_token_driven,
    "search-list-columns": search_list_columns,
}
ALL = sorted({**BEFORE_SETUP, **AFTER_SETUP})


def apply(names: list[str], *, before_setup: bool) -> None:
    table = BEFORE_SETUP if before_setup else AFTER_SETUP
    for name in names:
        if name not in ALL:
            raise SystemExit(f"unknown what-if {name}; known: {', '.join(ALL)}")
        if name in table:
            table[name]()
