"""Who is acting, in which practice: the object every access and action takes.

Views get it from ActorMiddleware (request.actor), commands and jobs build it with
`as_system()`. There is no other way to obtain one, which is the point.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from hygie.accounts.models import User
from hygie.audit.actions import AuditSource

from .enums import Role
from .models import Membership, Practice


@dataclass(frozen=True)
class Actor:
    practice: Practice
    source: AuditSource
    user: User | None = None
    membership: Membership | None = None
    # Set only by as_system(): a named job acting without a person.
    system_job: str = ""

    @property
    def role(self) -> str | None:
        return self.membership.role if self.membership else None

    @property
    def is_practitioner(self) -> bool:
        return self.role == Role.PRACTITIONER

    @property
    def is_assistant(self) -> bool:
        return self.role == Role.ASSISTANT

    @property
    def administers(self) -> bool:
        return bool(self.membership and self.membership.administers)

    @property
    def is_system(self) -> bool:
        return bool(self.system_job)


def actor_for_request(request: HttpRequest, membership: Membership) -> Actor:
    return Actor(
        practice=membership.practice,
        source=AuditSource.for_request(request, practice_id=membership.practice_id),
        user=membership.user,
        membership=membership,
    )


def as_system(practice: Practice, job: str) -> Actor:
    """THE bypass: an actor for a command or background job, with no person behind
    it. Its accesses are audited under "system:<job>". Grep for it in reviews."""
    if not job:
        raise ValueError("a system actor needs the name of its job")
    return Actor(
        practice=practice,
        source=AuditSource.system(job, practice_id=practice.pk),
        system_job=job,
    )


class ActorRequest(HttpRequest):
    """The request type of views behind @actor_required: `actor` is always set."""

    actor: Actor
