"""The only code that writes the clinical record. Each action checks the right to
write (access.access_record_for_writing), writes, and records one CLINICAL_WRITE
event, in one transaction."""

from hygie.clinical.actions.allergies import (
    AllergyData,
    AllergyVersionConflict,
    ReactionData,
    do_mark_allergy_entered_in_error,
    do_record_allergy,
    do_update_allergy,
)
from hygie.clinical.actions.conditions import (
    ConditionData,
    ConditionVersionConflict,
    do_mark_condition_entered_in_error,
    do_record_condition,
    do_update_condition,
)
from hygie.clinical.actions.family_history import (
    FamilyConditionData,
    FamilyHistoryData,
    FamilyHistoryVersionConflict,
    do_mark_family_history_entered_in_error,
    do_record_family_history,
    do_update_family_history,
)
from hygie.clinical.actions.vital_signs import (
    do_mark_observation_entered_in_error,
    do_record_vital_signs,
)
from hygie.clinical.actions.vital_signs_input import VitalSignsEntry, VitalSignsField

__all__ = [
    "AllergyData",
    "AllergyVersionConflict",
    "ConditionData",
    "ConditionVersionConflict",
    "FamilyConditionData",
    "FamilyHistoryData",
    "FamilyHistoryVersionConflict",
    "ReactionData",
    "VitalSignsEntry",
    "VitalSignsField",
    "do_mark_allergy_entered_in_error",
    "do_mark_condition_entered_in_error",
    "do_mark_family_history_entered_in_error",
    "do_mark_observation_entered_in_error",
    "do_record_allergy",
    "do_record_condition",
    "do_record_family_history",
    "do_record_vital_signs",
    "do_update_allergy",
    "do_update_condition",
    "do_update_family_history",
]
