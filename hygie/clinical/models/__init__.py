"""The clinical record's tables, one module per resource: observations (vital
signs, later laboratory results; decision 0017), allergies and intolerances
(decision 0019). Importers use `hygie.clinical.models`, not the modules."""

from hygie.clinical.models.allergies import (
    AllergyIntolerance,
    AllergyIntoleranceVersion,
    is_atc,
    normalize_atc,
)
from hygie.clinical.models.observations import Observation, ObservationDerivation

__all__ = [
    "AllergyIntolerance",
    "AllergyIntoleranceVersion",
    "Observation",
    "ObservationDerivation",
    "is_atc",
    "normalize_atc",
]
