"""The access decision, in one place and free of I/O: who may see what of a patient.

Rules, in order (a denial wins over every grant):
1. Another practice, a membership that has ended (or an inactive account), or an
   admin-only role: nothing.
2. A recorded objection of the patient against this professional: nothing.
3. Identity and contact details: practitioners and assistants of the practice.
4. Clinical content: practitioners with a current care relationship, or with an
   unexpired break-the-glass. A colleague without either must break the glass.
   Assistants and admins never.
System jobs (as_system) act for the practice itself and read what their job needs.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from hygie.practices.enums import Role

from .enums import Scope


class Basis(enum.Enum):
    """Why access was granted or refused; the audit records it."""

    SYSTEM = "system"
    MEMBER = "member"
    CARE_RELATIONSHIP = "care-relationship"
    BREAK_GLASS = "break-glass"
    OTHER_PRACTICE = "other-practice"
    NOT_A_CURRENT_MEMBER = "not-a-current-member"
    NO_ROLE = "no-role"
    RESTRICTED = "restricted"
    NEEDS_BREAK_GLASS = "needs-break-glass"
    DELETED = "deleted"
    NOT_FOUND = "not-found"
    OUTSIDE_LAUNCH_PATIENT = "outside-launch-patient"


@dataclass(frozen=True)
class Facts:
    same_practice: bool
    current_member: bool
    role: str | None
    is_system: bool
    restricted: bool
    has_care_relationship: bool
    has_break_glass: bool


@dataclass(frozen=True)
class Decision:
    allowed: bool
    basis: Basis

    @property
    def can_break_glass(self) -> bool:
        return self.basis is Basis.NEEDS_BREAK_GLASS


def decide(facts: Facts, scope: Scope) -> Decision:
    if not facts.same_practice:
        return Decision(False, Basis.OTHER_PRACTICE)
    if facts.is_system:
        return Decision(True, Basis.SYSTEM)
    if not facts.current_member:
        return Decision(False, Basis.NOT_A_CURRENT_MEMBER)
    if facts.role not in (Role.PRACTITIONER, Role.ASSISTANT):
        return Decision(False, Basis.NO_ROLE)
    if facts.restricted:
        return Decision(False, Basis.RESTRICTED)
    if scope == Scope.IDENTITY:
        return Decision(True, Basis.MEMBER)
    if facts.role != Role.PRACTITIONER:
        return Decision(False, Basis.NO_ROLE)
    if facts.has_care_relationship:
        return Decision(True, Basis.CARE_RELATIONSHIP)
    if facts.has_break_glass:
        return Decision(True, Basis.BREAK_GLASS)
    return Decision(False, Basis.NEEDS_BREAK_GLASS)
