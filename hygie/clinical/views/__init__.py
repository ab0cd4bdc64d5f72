"""Pages of the clinical record. Thin: parse, access, act, render; what a page
shows is computed from what the access layer returned (vital_signs_display)."""

from .vital_signs import mark_entered_in_error, vital_signs

__all__ = ["mark_entered_in_error", "vital_signs"]
