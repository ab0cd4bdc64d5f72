"""Read-only selectors over patients. They do NOT check access or audit: only
access.py calls them with an actor; nothing else may hand their rows to a user."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import Count, Q, QuerySet

from hygie.crypto.blind import blind_index, name_query_tokens

from .models import AccessRestriction, BreakGlass, CareRelationship, Patient, PatientNameToken

NIR_PURPOSE = "patient.nir"
BIRTH_DATE_PURPOSE = "patient.birth_date"


def nir_index(practice_id: uuid.UUID, nir: str) -> bytes:
    return blind_index(practice_id, NIR_PURPOSE, nir)


def birth_date_index(practice_id: uuid.UUID, birth_date: dt.date) -> bytes:
    return blind_index(practice_id, BIRTH_DATE_PURPOSE, birth_date.isoformat())


def search_patient_ids(
    practice_id: uuid.UUID,
    *,
    name: str = "",
    birth_date: dt.date | None = None,
    nir: str = "",
    limit: int = 50,
) -> list[uuid.UUID]:
    """Ids of the practice's patients matching every criterion given: each word of
    `name` is a prefix of one of their names (accents and case ignored)."""
    patients: QuerySet[Patient] = Patient.objects.filter(practice_id=practice_id)
    if nir:
        patients = patients.filter(nir_index=nir_index(practice_id, nir))
    if birth_date is not None:
        patients = patients.filter(birth_date_index=birth_date_index(practice_id, birth_date))
    tokens = list(dict.fromkeys(name_query_tokens(practice_id, name))) if name else []
    if name and not tokens:
        return []
    if tokens:
        matching = (
            PatientNameToken.objects.filter(practice_id=practice_id, token__in=tokens)
            .values("patient_id")
            .annotate(hits=Count("token", distinct=True))
            .filter(hits=len(tokens))
            .values("patient_id")
        )
        patients = patients.filter(pk__in=matching)
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
