"""What a code or token is bound to, and whether its holder may still act.

Checked when a code is exchanged, when a refresh token is used, and on every API
request: a membership that ended, an account that was deactivated or a client
that was revoked makes every token they hold worthless at once, even before
the revocation hooks have deleted it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from hygie.core import clock
from hygie.core.joined import JoinedSelect
from hygie.fhir.models import AccessToken, ApiClient, TokenBinding

# Longer than any token Hygie issues (oauthlib: 30 characters); a bigger header
# value is refused before it reaches the database.
MAX_TOKEN_LENGTH = 512


def token_checksum(value: str) -> str:
    """How DOT finds a token: the SHA-256 of its value (the value is not stored)."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Binding:
    practice_id: uuid.UUID
    membership_id: uuid.UUID | None
    patient_id: uuid.UUID | None
    authorization_id: uuid.UUID
    online_session_key: str = ""

    @classmethod
    def of(cls, row: TokenBinding) -> Binding:
        return cls(
            practice_id=row.practice_id,
            membership_id=row.membership_id,
            patient_id=row.patient_id,
            authorization_id=row.authorization_id,
            online_session_key=row.online_session_key,
        )

    @classmethod
    def for_backend(cls, client: ApiClient) -> Binding:
        if client.practice_id is None:
            raise ValueError("a backend client belongs to a practice")
        return cls(client.practice_id, None, None, uuid.uuid4())

    def fields(self) -> dict[str, Any]:
        return {
            "practice_id": self.practice_id,
            "membership_id": self.membership_id,
            "patient_id": self.patient_id,
            "authorization_id": self.authorization_id,
            "online_session_key": self.online_session_key,
        }


def holder_may_act(row: Any, client: ApiClient | None, today: dt.date) -> bool:
    """Whether the person or service behind a code, access or refresh token may
    still act with it. `row` has the TokenBinding fields and `user_id`."""
    if client is None or not client.is_usable(None):
        return False
    if row.user_id is None:
        # A backend client acts for the practice it is registered in.
        return bool(client.is_backend and row.practice_id == client.practice_id)
    membership = row.membership
    if client.is_backend or membership is None:
        return False
    if client.practice_id is not None and client.practice_id != row.practice_id:
        return False
    return bool(
        membership.user_id == row.user_id
        and membership.practice_id == row.practice_id
        and membership.user.is_active
        and membership.is_current(today)
    )


# Read on every API request: the SELECT is written once, not compiled by the ORM
# each time (hygie/core/joined.py; docs/performance.md).
_LIVE_TOKEN = JoinedSelect(
    AccessToken,
    ["application__practice", "membership__practice", "membership__user"],
    "token_checksum",
)


def load_live_access_token(value: str) -> AccessToken | None:
    """The access token `value`, if it exists, has not expired and its holder may
    still act; else None. One query (the membership, its user and the client's
    practice come joined)."""
    if not value or len(value) > MAX_TOKEN_LENGTH:
        return None
    token = _LIVE_TOKEN.get(token_checksum(value))
    if token is None or token.is_expired():
        return None
    if not holder_may_act(token, token.application, clock.today()):
        return None
    return token
