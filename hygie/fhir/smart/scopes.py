"""SMART App Launch 2.2.0 scopes, version 2 grammar (decision 0009, §4.3).

    ( patient | user | system ) / ( ResourceType | * ) . <subset of c r u d s, in that order>

A scope is only ever a ceiling: what the token may ask for. What it actually
opens is the scope intersected with the access layer (role, care relationship,
objections, practice), which the API applies to every request.

Query restrictions (`patient/Observation.rs?category=…`) are experimental in SMART
and not supported: such a scope is refused as malformed rather than widened.
v1 suffixes (`.read`, `.write`, `.*`) are not advertised and are refused too.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass

PERMISSION_ORDER = "cruds"
_SCOPE = re.compile(r"^(patient|user|system)/(\*|[A-Z][A-Za-z]{1,63})\.([cruds]{1,5})$")
# Scopes without a resource: launch context, identity, refresh tokens.
CONTEXT_SCOPES = frozenset(
    {"launch/patient", "openid", "fhirUser", "offline_access", "online_access"}
)


class InvalidScope(ValueError):
    pass


class Context(enum.StrEnum):
    PATIENT = "patient"
    USER = "user"
    SYSTEM = "system"


class Reach(enum.Enum):
    """How far a permitted interaction extends: to the token's launch patient only,
    or to whatever the access layer lets the user or client see."""

    PATIENT = "patient"
    ALL = "all"


class Interaction(enum.StrEnum):
    """The SMART v2 permission letters and what each covers."""

    CREATE = "c"
    READ = "r"  # read, vread, instance history
    UPDATE = "u"  # update (patch is not offered)
    DELETE = "d"
    SEARCH = "s"  # type search, type history


@dataclass(frozen=True)
class ResourceScope:
    context: Context
    resource_type: str  # a FHIR resource type or "*"
    permissions: frozenset[Interaction]

    def __str__(self) -> str:
        letters = "".join(p for p in PERMISSION_ORDER if Interaction(p) in self.permissions)
        return f"{self.context}/{self.resource_type}.{letters}"

    def covers(self, resource_type: str, interaction: Interaction) -> bool:
        return interaction in self.permissions and self.resource_type in ("*", resource_type)


def parse_scope(text: str) -> ResourceScope | None:
    """The resource scope `text` names, or None for a context scope (launch/patient,
    openid, offline_access…). Raises InvalidScope for anything else."""
    if text in CONTEXT_SCOPES:
        return None
    match = _SCOPE.match(text)
    if match is None:
        raise InvalidScope(f"portée invalide : {text!r}")
    context, resource_type, letters = match.groups()
    if len(set(letters)) != len(letters) or letters != "".join(
        p for p in PERMISSION_ORDER if p in letters
    ):
        # SMART: the letters are a subset of "cruds" in that order; ".dus" is refused.
        raise InvalidScope(f"portée invalide (lettres hors de l'ordre cruds) : {text!r}")
    return ResourceScope(
        Context(context), resource_type, frozenset(Interaction(p) for p in letters)
    )


@dataclass(frozen=True)
class ScopeSet:
    """The scopes of one token: resource scopes plus context scopes."""

    resources: tuple[ResourceScope, ...]
    context: frozenset[str]

    @classmethod
    def parse(cls, text: str | Iterable[str]) -> ScopeSet:
        """Parses a space-separated scope string (or its words). Raises InvalidScope."""
        words = text.split() if isinstance(text, str) else list(text)
        resources: list[ResourceScope] = []
        context: set[str] = set()
        for word in words:
            parsed = parse_scope(word)
            if parsed is None:
                context.add(word)
            elif parsed not in resources:
                resources.append(parsed)
        return cls(tuple(resources), frozenset(context))

    def __str__(self) -> str:
        return " ".join([*(str(r) for r in self.resources), *sorted(self.context)])

    def reach(self, resource_type: str, interaction: Interaction) -> Reach | None:
        """How far `interaction` on `resource_type` is permitted: ALL when a user/ or
        system/ scope covers it, PATIENT when only patient/ scopes do, else None."""
        covering = [r for r in self.resources if r.covers(resource_type, interaction)]
        if any(r.context is not Context.PATIENT for r in covering):
            return Reach.ALL
        if covering:
            return Reach.PATIENT
        return None

    def within(self, allowed: ScopeSet) -> bool:
        """True if every resource scope here is covered by `allowed` (for a client's
        pre-authorized scopes): same context, same or wildcard type, fewer letters."""
        for scope in self.resources:
            if not any(
                a.context is scope.context
                and a.resource_type in ("*", scope.resource_type)
                and scope.permissions <= a.permissions
                for a in allowed.resources
            ):
                return False
        return self.context <= allowed.context

    def restricted_to(self, allowed: ScopeSet) -> ScopeSet:
        """The scopes here that `allowed` covers (a grant may be narrower than asked)."""
        kept = tuple(s for s in self.resources if ScopeSet((s,), frozenset()).within(allowed))
        return ScopeSet(kept, self.context & allowed.context)
