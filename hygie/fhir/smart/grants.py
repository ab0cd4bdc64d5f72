"""What a bearer token grants, resolved once per API request.

The API never looks at a token itself: it asks `grant_for_request(request)` and
gets the actor (re-checked at every request: a membership that ended or an
account that was deactivated makes the token worthless at once), the token's
scopes and, for patient/ scopes, the launch patient.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from functools import lru_cache

from django.http import HttpRequest

from hygie.audit.actions import AuditSource, _valid_address, session_ref_for
from hygie.practices.context import Actor

from .scopes import Interaction, InvalidScope, Reach, ScopeSet
from .tokens import load_live_access_token


class InvalidToken(Exception):
    """No bearer token, or one that is unknown, expired, revoked, or whose holder
    may no longer act. Answered 401 with `WWW-Authenticate: Bearer`."""


@dataclass(frozen=True)
class TokenGrant:
    actor: Actor
    scopes: ScopeSet
    # The patient chosen at launch (standalone patient picker); patient/ scopes
    # reach this patient and no other.
    patient_id: uuid.UUID | None
    client_id: str

    def reach(self, resource_type: str, interaction: Interaction) -> Reach | None:
        reach = self.scopes.reach(resource_type, interaction)
        if reach is Reach.PATIENT and self.patient_id is None:
            return None
        return reach


@lru_cache(maxsize=1024)
def _scopes_of(text: str) -> ScopeSet:
    # A token's scope string was checked when the token was issued; parsing it is
    # cached because the same few strings come back on every request.
    return ScopeSet.parse(text)


_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def _request_id(request: HttpRequest) -> str:
    """The caller's X-Request-Id, kept when it is a plain identifier (BALP
    transaction entity); anything else is dropped, never stored as typed."""
    value = str(request.META.get("HTTP_X_REQUEST_ID", ""))
    return value if _REQUEST_ID.match(value) else ""


def _bearer_value(request: HttpRequest) -> str:
    header = str(request.META.get("HTTP_AUTHORIZATION", ""))
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value or " " in value:
        raise InvalidToken("missing or malformed Authorization: Bearer header")
    return value


def grant_for_request(request: HttpRequest) -> TokenGrant:
    """The grant of the request's `Authorization: Bearer` token. Raises InvalidToken
    when it is missing, malformed, unknown, expired or revoked, or when its holder
    may no longer act (membership ended, account deactivated, client revoked).

    One query: the token with its client (and the client's practice) and, for a
    person's token, the membership and the user, joined. The membership is read
    again on every request, never cached."""
    token = load_live_access_token(_bearer_value(request))
    if token is None:
        raise InvalidToken("unknown, expired or revoked token, or its holder may no longer act")
    try:
        scopes = _scopes_of(token.scope)
    except InvalidScope as exc:
        raise InvalidToken("token scopes unreadable") from exc
    client = token.application
    if client is None:  # load_live_access_token already refuses it
        raise InvalidToken("token without a client")
    session_ref = session_ref_for(f"oauth:{token.authorization_id}")
    address = _valid_address(request.META.get("REMOTE_ADDR"))
    user_agent = str(request.META.get("HTTP_USER_AGENT", ""))
    request_id = _request_id(request)
    membership = token.membership
    if membership is None:
        # A backend client acts for the practice it is registered in, as a named
        # system job: the access layer lets it read what its practice holds; its
        # scopes are the ceiling (decision 0010).
        practice = client.practice
        if practice is None:  # load_live_access_token already refuses it
            raise InvalidToken("backend client without a practice")
        actor = Actor(
            practice=practice,
            source=AuditSource(
                user_id=None,
                user_label=client.audit_label,
                practice_id=practice.pk,
                source_address=address,
                user_agent=user_agent,
                session_ref=session_ref,
                client_id=client.client_id,
                request_id=request_id,
            ),
            system_job=f"apiclient:{client.client_id}",
        )
    else:
        user = membership.user
        actor = Actor(
            practice=membership.practice,
            source=AuditSource(
                user_id=user.pk,
                user_label=user.email,
                practice_id=membership.practice_id,
                source_address=address,
                user_agent=user_agent,
                session_ref=session_ref,
                client_id=client.client_id,
                request_id=request_id,
            ),
            user=user,
            membership=membership,
        )
    return TokenGrant(actor, scopes, token.patient_id, client.client_id)
