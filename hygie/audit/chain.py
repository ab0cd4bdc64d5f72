"""How an event is hashed into its chain. Changing this breaks every existing chain.

hash = sha256(prev_hash + canonical JSON of the hashed fields), where canonical
means sorted keys, no whitespace, UTF-8, timestamps in UTC ISO 8601 with
microseconds, UUIDs as lowercase hyphenated strings, IP addresses exploded.
Every value is normalised to what the database gives back, so that the hash
computed at write time is the hash recomputed when verifying.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
import uuid
from typing import Any

from hygie.audit.models import PLATFORM_CHAIN, AuditEvent


def chain_for(practice_id: uuid.UUID | None) -> str:
    return str(practice_id) if practice_id is not None else PLATFORM_CHAIN


def _uuid(value: uuid.UUID | str | None) -> str | None:
    return None if value is None else str(uuid.UUID(str(value)))


def _address(value: str | None) -> str | None:
    # Databases print addresses their own way (PostgreSQL's inet vs Python for
    # IPv4-mapped IPv6): hash a form that does not depend on the printing.
    if not value:
        return None
    try:
        return ipaddress.ip_address(value).exploded
    except ValueError:
        return value  # written around record_event, which refuses it; hash it as stored


def _timestamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def canonical_payload(event: AuditEvent) -> bytes:
    """Every field but id, prev_hash and hash (a test keeps this list complete)."""
    payload: dict[str, Any] = {
        "chain": event.chain,
        "seq": int(event.seq),
        "recorded_at": _timestamp(event.recorded_at),
        "event_type": int(event.event_type),
        "action": str(event.action),
        "outcome": str(event.outcome),
        "purpose": str(event.purpose),
        "user_id": _uuid(event.user_id),
        "user_label": event.user_label,
        "practice_id": _uuid(event.practice_id),
        "source_address": _address(event.source_address),
        "user_agent": event.user_agent,
        "session_ref": event.session_ref,
        "patient_id": _uuid(event.patient_id),
        "entity_type": event.entity_type,
        "entity_id": event.entity_id,
        "reason": event.reason,
        "detail": event.detail,
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def compute_hash(event: AuditEvent) -> str:
    """The hash `event` must carry, given its prev_hash and its other fields."""
    digest = hashlib.sha256(event.prev_hash.encode("utf-8"))
    digest.update(canonical_payload(event))
    return digest.hexdigest()
