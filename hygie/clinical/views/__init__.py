"""Pages of the clinical record. Thin: parse, access, act, render; what a page
shows is computed from what the access layer returned (vital_signs_display,
allergies' display helpers); the banner is shared (banner.py)."""

from .allergies import allergies, allergy_history, edit_allergy, mark_allergy_entered_in_error
from .vital_signs import mark_entered_in_error, vital_signs

__all__ = [
    "allergies",
    "allergy_history",
    "edit_allergy",
    "mark_allergy_entered_in_error",
    "mark_entered_in_error",
    "vital_signs",
]
