"""Read-only selectors over the clinical record. They do NOT check access nor audit:
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

from .enums import (
    AllergyIntoleranceClinicalStatus,
    AllergyIntoleranceCriticality,
    AllergyIntoleranceVerificationStatus,
    ConditionCategory,
    ConditionClinicalStatus,
    ConditionVerificationStatus,
    FamilyHistoryStatus,
    FamilyRelationship,
    ObservationStatus,
)
from .models import (
    ONGOING_STATUSES,
    AllergyIntolerance,
    AllergyIntoleranceVersion,
    Condition,
    ConditionVersion,
    FamilyMemberHistory,
    FamilyMemberHistoryVersion,
    Observation,
    ObservationDerivation,
)

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


def derivation_sources(observation_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
    """The sources of each of these derived observations (a BMI's weight and
    height), in one query of ids only."""
    sources: dict[uuid.UUID, list[uuid.UUID]] = {}
    links = (
        ObservationDerivation.objects.filter(observation_id__in=list(observation_ids))
        .order_by("pk")
        .values_list("observation_id", "source_id")
    )
    for observation_id, source_id in links:
        sources.setdefault(observation_id, []).append(source_id)
    return sources


# Allergies and intolerances. A patient has a handful: each selector is one
# query, and the order (by statuses, which are plain) is finished in Python.

_CLINICAL_RANK: dict[str, int] = {
    AllergyIntoleranceClinicalStatus.ACTIVE: 0,
    AllergyIntoleranceClinicalStatus.INACTIVE: 1,
    AllergyIntoleranceClinicalStatus.RESOLVED: 2,
}
# High first: that is the allergy that must not be missed. Not assessed (blank)
# and unable to assess rank before low, which was judged harmless.
_CRITICALITY_RANK: dict[str, int] = {
    AllergyIntoleranceCriticality.HIGH: 0,
    AllergyIntoleranceCriticality.UNABLE_TO_ASSESS: 1,
    "": 1,
    AllergyIntoleranceCriticality.LOW: 2,
}
_HIDDEN_UNLESS_ASKED = (AllergyIntoleranceVerificationStatus.REFUTED,)


def _allergy_order(allergy: AllergyIntolerance) -> tuple[int, int, bool]:
    return (
        _CLINICAL_RANK.get(allergy.clinical_status, 3),  # entered in error last
        _CRITICALITY_RANK.get(allergy.criticality, 1),
        allergy.verification_status == AllergyIntoleranceVerificationStatus.REFUTED,
    )


def allergies_of(
    patient_id: uuid.UUID, *, include_inactive: bool = False, include_entered_in_error: bool = False
) -> list[AllergyIntolerance]:
    """The patient's allergies, active ones first, then by criticality (high
    first), then newest recorded first, with who recorded and last changed them.
    By default only the active ones that are not refuted; `include_inactive`
    adds the inactive, resolved and refuted ones, `include_entered_in_error`
    those entered in error."""
    rows = AllergyIntolerance.objects.filter(patient_id=patient_id)
    if not include_inactive:
        rows = rows.filter(clinical_status=AllergyIntoleranceClinicalStatus.ACTIVE).exclude(
            verification_status__in=_HIDDEN_UNLESS_ASKED
        )
    if not include_entered_in_error:
        rows = rows.exclude(
            verification_status=AllergyIntoleranceVerificationStatus.ENTERED_IN_ERROR
        )
    ordered = rows.select_related("recorded_by__user", "last_changed_by__user").order_by(
        "-recorded_at", "pk"
    )
    return sorted(ordered, key=_allergy_order)  # stable: newest first within a rank


def active_allergies_of(patient_id: uuid.UUID) -> list[AllergyIntolerance]:
    """What the record's red banner shows (and the prescription checks match):
    active, neither refuted nor entered in error; high criticality first. It is
    allergies_of's default, named for its callers."""
    return allergies_of(patient_id)


def allergy_versions_of(allergy_id: uuid.UUID) -> list[AllergyIntoleranceVersion]:
    """The previous versions of an allergy, newest first, with who made them."""
    return list(
        AllergyIntoleranceVersion.objects.filter(allergy_id=allergy_id)
        .select_related("changed_by__user", "replaced_by__user")
        .order_by("-version")
    )


# Problems and history (decision 0021). A patient has tens of conditions: each
# selector is one query, and what depends on encrypted columns (the kind is
# plain, the code and dates are not) is finished in Python.

_CONDITION_CLINICAL_RANK: dict[str, int] = {
    ConditionClinicalStatus.ACTIVE: 0,
    ConditionClinicalStatus.RECURRENCE: 0,
    ConditionClinicalStatus.RELAPSE: 0,
    ConditionClinicalStatus.REMISSION: 1,
    ConditionClinicalStatus.INACTIVE: 2,
    ConditionClinicalStatus.RESOLVED: 3,
}
_ONGOING = sorted(ONGOING_STATUSES)


def _condition_order(condition: Condition) -> tuple[int, bool]:
    return (
        _CONDITION_CLINICAL_RANK.get(condition.clinical_status, 4),  # entered in error last
        condition.verification_status == ConditionVerificationStatus.REFUTED,
    )


def conditions_of(
    patient_id: uuid.UUID,
    *,
    include_inactive: bool = False,
    include_entered_in_error: bool = False,
    kind: str | None = None,
) -> list[Condition]:
    """The patient's conditions, ongoing ones first (active, recurrence,
    relapse), then in remission, inactive, resolved; within each, the refuted
    after the others, then newest recorded first; with who recorded and last
    changed them. By default only the ongoing ones that are not refuted;
    `include_inactive` adds the others, `include_entered_in_error` those entered
    in error; `kind` keeps one kind of history (ConditionKind)."""
    rows = Condition.objects.filter(patient_id=patient_id)
    if kind is not None:
        rows = rows.filter(kind=kind)
    if not include_inactive:
        rows = rows.filter(clinical_status__in=_ONGOING).exclude(
            verification_status=ConditionVerificationStatus.REFUTED
        )
    if not include_entered_in_error:
        rows = rows.exclude(verification_status=ConditionVerificationStatus.ENTERED_IN_ERROR)
    ordered = rows.select_related("recorded_by__user", "last_changed_by__user").order_by(
        "-recorded_at", "pk"
    )
    return sorted(ordered, key=_condition_order)  # stable: newest first within a rank


def active_problems_of(patient_id: uuid.UUID) -> list[Condition]:
    """What the record's banner shows: the problem list's ongoing items, neither
    refuted nor entered in error, newest recorded first (encounter diagnoses
    stay with their encounter)."""
    return [
        condition
        for condition in conditions_of(patient_id)
        if condition.category == ConditionCategory.PROBLEM_LIST_ITEM
    ]


def condition_versions_of(condition_id: uuid.UUID) -> list[ConditionVersion]:
    """The previous versions of a condition, newest first, with who made them."""
    return list(
        ConditionVersion.objects.filter(condition_id=condition_id)
        .select_related("changed_by__user", "replaced_by__user")
        .order_by("-version")
    )


# Family history: one row per relative, closest relatives first.

_RELATIONSHIP_RANK = {code: rank for rank, code in enumerate(FamilyRelationship.values)}


def family_history_of(
    patient_id: uuid.UUID, *, include_entered_in_error: bool = False
) -> list[FamilyMemberHistory]:
    """The patient's family history, by relative in FamilyRelationship's order
    (parents, siblings, children, grandparents…), entered in error last, then
    newest recorded first, with who recorded and last changed them."""
    rows = FamilyMemberHistory.objects.filter(patient_id=patient_id)
    if not include_entered_in_error:
        rows = rows.exclude(status=FamilyHistoryStatus.ENTERED_IN_ERROR)
    ordered = rows.select_related("recorded_by__user", "last_changed_by__user").order_by(
        "-recorded_at", "pk"
    )
    return sorted(
        ordered,
        key=lambda row: (row.is_entered_in_error, _RELATIONSHIP_RANK.get(row.relationship, 99)),
    )


def family_history_versions_of(family_history_id: uuid.UUID) -> list[FamilyMemberHistoryVersion]:
    """The previous versions of a relative's history, newest first."""
    return list(
        FamilyMemberHistoryVersion.objects.filter(family_history_id=family_history_id)
        .select_related("changed_by__user", "replaced_by__user")
        .order_by("-version")
    )
