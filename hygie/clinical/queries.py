"""Read-only selectors over observations. They do NOT check access nor audit:
access.py calls them after the door, actions.py inside a checked write; nothing
else may hand their rows to a user."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Iterable
from typing import Any

from django.db.models import F, QuerySet, Window
from django.db.models.functions import RowNumber

from hygie.clinical.measures import BLOOD_PRESSURE_PANEL, VitalSign

from .enums import ObservationStatus
from .models import Observation, ObservationDerivation

_PANEL_SIGNS = frozenset({VitalSign.SYSTOLIC_BP, VitalSign.DIASTOLIC_BP})


def stored_code(sign: VitalSign) -> str:
    """The code a sign's observations are stored under: the blood pressure
    panel's for systolic and diastolic (decision 0017), the sign's own otherwise."""
    return BLOOD_PRESSURE_PANEL.code if sign in _PANEL_SIGNS else sign.value


# Every code a vital-signs observation may have (capillary glucose included:
# category laboratory, but typed with the vital signs).
VITAL_SIGN_CODES = frozenset(stored_code(sign) for sign in VitalSign)


def observations_of(
    patient_id: uuid.UUID,
    *,
    codes: Collection[str] = VITAL_SIGN_CODES,
    since: dt.datetime | None = None,
    include_entered_in_error: bool = False,
) -> QuerySet[Observation, Any]:
    """The patient's observations with one of `codes`, newest measure first, with
    who recorded them (joined: listing them costs one query)."""
    rows = Observation.objects.filter(patient_id=patient_id, code__in=sorted(codes))
    if since is not None:
        rows = rows.filter(effective_at__gte=since)
    if not include_entered_in_error:
        rows = rows.exclude(status=ObservationStatus.ENTERED_IN_ERROR)
    return rows.select_related("recorded_by__user").order_by("-effective_at", "-recorded_at", "pk")


def latest_of_each_code(
    patient_id: uuid.UUID, codes: Collection[str] = VITAL_SIGN_CODES
) -> list[Observation]:
    """The newest valid observation of each code, in one query (a window ranks
    each code's rows; the database keeps the first of each)."""
    ranked = (
        Observation.objects.filter(patient_id=patient_id, code__in=sorted(codes))
        .exclude(status=ObservationStatus.ENTERED_IN_ERROR)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("code")],
                order_by=[F("effective_at").desc(), F("recorded_at").desc(), F("pk").asc()],
            )
        )
        .filter(rank=1)
        .select_related("recorded_by__user")
    )
    return list(ranked)


def latest_before(
    patient_id: uuid.UUID, code: str, *, not_before: dt.datetime, not_after: dt.datetime
) -> Observation | None:
    """The newest valid observation of `code` measured within [not_before, not_after]."""
    return (
        Observation.objects.filter(
            patient_id=patient_id,
            code=code,
            effective_at__gte=not_before,
            effective_at__lte=not_after,
        )
        .exclude(status=ObservationStatus.ENTERED_IN_ERROR)
        .order_by("-effective_at", "-recorded_at")
        .first()
    )


def valid_derivations_of(observation_ids: Iterable[uuid.UUID]) -> list[Observation]:
    """Observations computed from any of these (a BMI from a weight), not yet
    entered in error."""
    derived = ObservationDerivation.objects.filter(source_id__in=list(observation_ids)).values(
        "observation_id"
    )
    return list(
        Observation.objects.filter(pk__in=derived).exclude(
            status=ObservationStatus.ENTERED_IN_ERROR
        )
    )
