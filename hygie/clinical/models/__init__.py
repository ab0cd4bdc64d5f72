"""The clinical record's tables, one module per resource: observations (vital
signs, later laboratory results; decision 0017), allergies and intolerances
(decision 0019), problems and history, family history (decision 0021).
Importers use `hygie.clinical.models`, not the modules."""

from hygie.clinical.models.allergies import (
    AllergyIntolerance,
    AllergyIntoleranceVersion,
    is_atc,
    normalize_atc,
)
from hygie.clinical.models.conditions import ONGOING_STATUSES, Condition, ConditionVersion
from hygie.clinical.models.family_history import FamilyMemberHistory, FamilyMemberHistoryVersion
from hygie.clinical.models.observations import Observation, ObservationDerivation

__all__ = [
    "ONGOING_STATUSES",
    "AllergyIntolerance",
    "AllergyIntoleranceVersion",
    "Condition",
    "ConditionVersion",
    "FamilyMemberHistory",
    "FamilyMemberHistoryVersion",
    "Observation",
    "ObservationDerivation",
    "is_atc",
    "normalize_atc",
]
