"""The clinical record's tables, one module per resource: observations (vital
signs, later laboratory results; decision 0017). Importers use
`hygie.clinical.models`, not the modules."""

from hygie.clinical.models.observations import Observation, ObservationDerivation

__all__ = ["Observation", "ObservationDerivation"]
