"""Read-only selectors over patients. They do NOT check access or audit: only
access.py calls them with an actor; nothing else may hand their rows to a user."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from hygie.crypto.blind import blind_index, name_query_tokens, normalize_name

from .models import AccessRestriction, BreakGlass, CareRelationship, Patient, PatientNameToken

NIR_PURPOSE = "patient.nir"
BIRTH_DATE_PURPOSE = "patient.birth_date"


def nir_index(practice_id: uuid.UUID, nir: str) -> bytes:
    return blind_index(practice_id, NIR_PURPOSE, nir)


def birth_date_index(practice_id: uuid.UUID, birth_date: dt.date) -> bytes:
    return blind_index(practice_id, BIRTH_DATE_PURPOSE, birth_date.isoformat())


def name_search_rows(practice_id: uuid.UUID, name: str) -> QuerySet[PatientNameToken, Any]:
    """Patient ids (as `patient_id` values) of the practice's live patients where
    each word of `name` is a prefix of one of their names (accents and case
    ignored). Empty when no word is long enough to be indexed.

    A deleted record has no name tokens (do_delete_patient removes them), so the
    index alone answers: joining each candidate's patient row to test
    `deleted_at` cost 30 ms on a 3-letter prefix of 100,000 patients, the query
    without it 6 ms (docs/performance.md)."""
    # Longest word first: longer prefixes are rarer, so fewer rows to check.
    words = sorted(normalize_name(name).split(), key=len, reverse=True)
    tokens = list(dict.fromkeys(t for w in words for t in name_query_tokens(practice_id, w)))
    if not tokens:
        return PatientNameToken.objects.none().values("patient_id")
    first, *others = tokens
    rows = PatientNameToken.objects.filter(practice_id=practice_id, token=first)
    for token in others:
        rows = rows.filter(
            Exists(PatientNameToken.objects.filter(patient_id=OuterRef("patient_id"), token=token))
        )
    # One token per (patient, prefix): no duplicates to remove.
    return rows.values("patient_id")


def has_name_words(practice_id: uuid.UUID, name: str, patient_field: str = "pk") -> Q:
    """A filter: each word of `name` is a prefix of one of the patient's names
    (`patient_field` names the patient's id in the filtered query)."""
    found = Q()
    for word in normalize_name(name).split():
        for token in name_query_tokens(practice_id, word):
            found &= Q(
                Exists(
                    PatientNameToken.objects.filter(patient_id=OuterRef(patient_field), token=token)
                )
            )
    return found


def search_patient_ids(
    practice_id: uuid.UUID,
    *,
    name: str = "",
    birth_date: dt.date | None = None,
    nir: str = "",
    limit: int | None = 50,
) -> list[uuid.UUID]:
    """Ids of the practice's patients matching every criterion given (name as in
    name_search_rows).

    A name search is driven by the token index and stops at `limit`: a common
    3-letter prefix matches thousands of patients, and building that whole set
    first made the search slow as the practice grows (docs/performance.md)."""
    if name:
        rows = name_search_rows(practice_id, name)
        if nir:
            rows = rows.filter(patient__nir_index=nir_index(practice_id, nir))
        if birth_date is not None:
            rows = rows.filter(patient__birth_date_index=birth_date_index(practice_id, birth_date))
        return list(rows.values_list("patient_id", flat=True)[:limit])
    patients: QuerySet[Patient] = Patient.objects.filter(practice_id=practice_id, deleted_at=None)
    if nir:
        patients = patients.filter(nir_index=nir_index(practice_id, nir))
    if birth_date is not None:
        patients = patients.filter(birth_date_index=birth_date_index(practice_id, birth_date))
    return list(patients.values_list("pk", flat=True)[:limit])


def has_care_relationship(patient_id: uuid.UUID, user_id: uuid.UUID, at: dt.datetime) -> bool:
    return (
        CareRelationship.objects.filter(
            patient_id=patient_id,
            practitioner_id=user_id,
            starts_at__lte=at,
        )
        .filter(Q(ends_at=None) | Q(ends_at__gt=at))
        .exists()
    )


def active_break_glass(
    patient_id: uuid.UUID, user_id: uuid.UUID, at: dt.datetime
) -> BreakGlass | None:
    return (
        BreakGlass.objects.filter(patient_id=patient_id, user_id=user_id, expires_at__gt=at)
        .order_by("-expires_at")
        .first()
    )


def is_restricted(patient_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    return AccessRestriction.objects.filter(
        patient_id=patient_id, user_id=user_id, lifted_at=None
    ).exists()


def care_relationships(patient_id: uuid.UUID) -> QuerySet[CareRelationship]:
    return (
        CareRelationship.objects.select_related("practitioner")
        .filter(patient_id=patient_id)
        .order_by("-starts_at")
    )
