"""The only code that writes the audit log: `record_event`."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import ipaddress
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db import transaction
from django.http import HttpRequest

from hygie.audit.chain import chain_for, compute_hash
from hygie.audit.enums import AuditAction, AuditEventType, AuditOutcome, PurposeOfUse
from hygie.audit.models import AuditChainHead, AuditEvent
from hygie.core import clock
from hygie.core.inserts import Insert
from hygie.crypto.sealed import open_text, seal_text

# Room for the ids a search page returned (up to 50, 39 bytes each) and its
# criteria; anything bigger is data, not metadata, and does not belong here.
DETAIL_MAX_BYTES = 4096


class _Default(enum.Enum):
    FROM_SOURCE = enum.auto()


FROM_SOURCE = _Default.FROM_SOURCE


@dataclass(frozen=True)
class AuditSource:
    """Who acts, from where: the FHIR AuditEvent agent of every event it records."""

    user_id: UUID | None
    user_label: str
    practice_id: UUID | None
    source_address: str | None
    user_agent: str
    session_ref: str
    # API requests: which registered app acted, which FHIR interaction, and the
    # caller's X-Request-Id; recorded in each event's detail (BALP).
    client_id: str = ""
    interaction: str = ""
    request_id: str = ""

    def api_detail(self) -> dict[str, str]:
        named = {
            "client_id": self.client_id,
            "interaction": self.interaction,
            "request_id": self.request_id,
        }
        return {k: v for k, v in named.items() if v}

    @classmethod
    def system(cls, job_name: str, practice_id: UUID | None = None) -> AuditSource:
        """A background job or command acting on its own, not on a person's behalf."""
        return cls(
            user_id=None,
            user_label=f"system:{job_name}",
            practice_id=practice_id,
            source_address=None,
            user_agent="",
            session_ref="",
        )

    @classmethod
    def for_request(
        cls, request: HttpRequest, *, practice_id: UUID | None, user_label: str | None = None
    ) -> AuditSource:
        """The person behind `request`. `user_label` overrides the label, e.g. with
        the e-mail address typed into a failed login form.

        The address is REMOTE_ADDR: behind a proxy, a middleware must have set it
        from the trusted proxy's header before this runs."""
        user = getattr(request, "user", None)
        authenticated = bool(getattr(user, "is_authenticated", False))
        user_id = user.pk if authenticated and user is not None else None
        if user_label is None:
            user_label = str(getattr(user, "email", "")) if authenticated else "anonyme"
        session = getattr(request, "session", None)
        return cls(
            user_id=user_id,
            user_label=user_label,
            practice_id=practice_id,
            source_address=_valid_address(request.META.get("REMOTE_ADDR")),
            user_agent=str(request.META.get("HTTP_USER_AGENT", "")),
            session_ref=session_ref_for(session.session_key if session is not None else None),
        )


def session_ref_for(session_key: str | None) -> str:
    """A stable reference to a session that cannot be used as the session key."""
    if not session_key:
        return ""
    digest = hashlib.sha256(b"hygie.audit.session-ref:" + session_key.encode("utf-8"))
    return digest.hexdigest()[:16]


def record_event(
    source: AuditSource,
    event_type: AuditEventType,
    *,
    action: AuditAction,
    outcome: AuditOutcome = AuditOutcome.SUCCESS,
    patient_id: UUID | None = None,
    entity_type: str = "",
    entity_id: str = "",
    purpose: PurposeOfUse | str = "",
    reason: str = "",
    detail: Mapping[str, Any] | None = None,
    practice_id: UUID | _Default | None = FROM_SOURCE,
) -> AuditEvent:
    """Append one event to the chain of its practice ("platform" without one).

    Inside the caller's transaction, the event commits or rolls back with the
    write it records, and a failure to audit fails the write. Three queries: lock
    the chain head, insert, move the head. `detail` is small metadata (counts,
    field names), never clinical content nor what a user typed into a search.
    """
    event = _new_event(
        source,
        event_type,
        action=action,
        outcome=outcome,
        patient_id=patient_id,
        entity_type=entity_type,
        entity_id=entity_id,
        purpose=purpose,
        reason=reason,
        detail=detail,
        practice_id=practice_id,
    )
    _append([event])
    return event


def record_listing(
    source: AuditSource,
    patient_ids: list[UUID],
    *,
    purpose: PurposeOfUse | str,
    search_detail: Mapping[str, Any],
    read_detail: Mapping[str, Any] | None = None,
) -> list[AuditEvent]:
    """A search or a list shown: the search event, then one read per patient on
    it, appended together (one lock, one insert, one commit)."""
    search = _new_event(
        source,
        AuditEventType.PATIENT_SEARCH,
        action=AuditAction.READ,
        entity_type="Patient",
        purpose=purpose,
        detail=search_detail,
    )
    reads = _patient_events(
        source,
        AuditEventType.PATIENT_READ,
        AuditAction.READ,
        [(patient_id, read_detail) for patient_id in patient_ids],
        purpose,
    )
    _append([search, *reads])
    return [search, *reads]


def record_patient_events(
    source: AuditSource,
    event_type: AuditEventType,
    action: AuditAction,
    items: Sequence[tuple[UUID, Mapping[str, Any] | None]],
    *,
    purpose: PurposeOfUse | str = "",
) -> list[AuditEvent]:
    """One event per (patient, detail), appended together with one move of the
    chain head: for what touches many patients at once (an import)."""
    events = _patient_events(source, event_type, action, items, purpose)
    _append(events)
    return events


def _patient_events(
    source: AuditSource,
    event_type: AuditEventType,
    action: AuditAction,
    items: Sequence[tuple[UUID, Mapping[str, Any] | None]],
    purpose: PurposeOfUse | str,
) -> list[AuditEvent]:
    return [
        _new_event(
            source,
            event_type,
            action=action,
            patient_id=patient_id,
            entity_type="Patient",
            entity_id=str(patient_id),
            purpose=purpose,
            detail=detail,
        )
        for patient_id, detail in items
    ]


def _new_event(
    source: AuditSource,
    event_type: AuditEventType,
    *,
    action: AuditAction,
    outcome: AuditOutcome = AuditOutcome.SUCCESS,
    patient_id: UUID | None = None,
    entity_type: str = "",
    entity_id: str = "",
    purpose: PurposeOfUse | str = "",
    reason: str = "",
    detail: Mapping[str, Any] | None = None,
    practice_id: UUID | _Default | None = FROM_SOURCE,
) -> AuditEvent:
    if isinstance(practice_id, _Default):
        practice_id = source.practice_id
    if practice_id is not None:
        practice_id = UUID(str(practice_id))  # the chain name must not depend on spelling
    purpose = PurposeOfUse(purpose) if purpose else ""
    if purpose == PurposeOfUse.ETREAT and not reason.strip():
        raise ValueError("A break-the-glass access (ETREAT) must state its reason")
    chain = chain_for(practice_id)
    return AuditEvent(
        chain=chain,
        event_type=AuditEventType(event_type),
        action=AuditAction(action),
        outcome=AuditOutcome(outcome),
        purpose=purpose,
        user_id=source.user_id,
        user_label=_clean(source.user_label, 254),
        practice_id=practice_id,
        source_address=_checked_address(source.source_address),
        user_agent=_clean(source.user_agent, 300),
        session_ref=_clean(source.session_ref, 32),
        patient_id=patient_id,
        entity_type=_checked_code("entity_type", entity_type),
        entity_id=_checked_code("entity_id", entity_id),
        # Free text (it often names the patient): sealed under the practice's key.
        reason=seal_text(practice_id, REASON_AAD + chain.encode(), _clean(reason, None)),
        detail=_checked_detail({**(detail or {}), **source.api_detail()}),
    )


def _append(events: list[AuditEvent]) -> None:
    """Chains `events` (all of one practice) after the head of their chain.

    Runs on every audited request: the head's lock and move and the events'
    insert are statements written once per process (hygie/core/inserts.py,
    _lock_head, _move_head), not compiled by the ORM each time."""
    if not events:
        return
    chain = events[0].chain
    if any(e.chain != chain for e in events):
        raise ValueError("events of one append must share their chain")
    with transaction.atomic(savepoint=False):
        # The row lock serialises writers of one chain (SQLite: BEGIN IMMEDIATE
        # already does).
        head = _lock_head(chain)
        if head is None:
            # The chain's first event. get_or_create retries the get if a racing
            # first writer created the head, and that get waits for the racer's lock.
            created, _ = AuditChainHead.objects.select_for_update().get_or_create(
                chain=chain, defaults={"updated_at": clock.now()}
            )
            head = (created.seq, created.hash)
        # Read the clock under the lock so that time never goes back along a chain.
        now = clock.now()
        seq, previous = head
        for event in events:
            seq += 1
            event.recorded_at, event.seq, event.prev_hash = now, seq, previous
            event.hash = compute_hash(event)
            previous = event.hash
        if len(events) == 1:
            _INSERT_EVENT.save_new(events[0])
        else:
            _INSERT_EVENT.save_new_many(events)
        # The database lets the head move only onto the last event (migration 0003).
        _move_head(chain, seq, previous, now)


_INSERT_EVENT = Insert(AuditEvent)


def _lock_head(chain: str) -> tuple[int, str] | None:
    """(seq, hash) of the chain's head, locked until the transaction ends; None if
    the chain has no head yet."""
    connection = transaction.get_connection()
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT seq, hash FROM audit_auditchainhead WHERE chain = %s{lock}",  # noqa: S608
            [chain],
        )
        row = cursor.fetchone()
    return (int(row[0]), str(row[1])) if row is not None else None


def _move_head(chain: str, seq: int, hash_: str, now: dt.datetime) -> None:
    connection = transaction.get_connection()
    updated_at = AuditChainHead._meta.get_field("updated_at").get_db_prep_save(now, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditchainhead SET seq = %s, hash = %s, updated_at = %s WHERE chain = %s",
            [seq, hash_, updated_at, chain],
        )
        if cursor.rowcount != 1:
            raise RuntimeError(f"audit chain head {chain!r} vanished during an append")


REASON_AAD = b"audit.reason|"


def reason_text(event: AuditEvent) -> str:
    """The clear text of an event's reason (the column holds it sealed)."""
    return open_text(event.practice_id, REASON_AAD + event.chain.encode(), event.reason)


def _clean(value: str, max_length: int | None) -> str:
    # PostgreSQL refuses NUL in text; a User-Agent header must not make a read fail.
    value = value.replace("\x00", "")
    return value if max_length is None else value[:max_length]


def _checked_code(name: str, value: str) -> str:
    # Ids are cut to length by the caller (it knows what a shortened id means);
    # a NUL may come from a forged request for an absent id.
    value = value.replace("\x00", "")
    if len(value) > 64:
        raise ValueError(f"{name} must be at most 64 characters: {value[:80]!r}")
    return value


def _valid_address(value: object) -> str | None:
    try:
        return str(ipaddress.ip_address(str(value))) if value else None
    except ValueError:
        return None


def _checked_address(value: str | None) -> str | None:
    if not value:
        return None
    return str(ipaddress.ip_address(value))


def _checked_detail(detail: Mapping[str, Any] | None) -> dict[str, Any]:
    if not detail:
        return {}
    _check_json_value(detail)
    encoded = json.dumps(detail, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if len(encoded.encode("utf-8")) > DETAIL_MAX_BYTES:
        raise ValueError(f"Audit detail is over {DETAIL_MAX_BYTES} bytes: keep it to metadata")
    # What the database gives back (lists, not tuples), so the hash matches on verify.
    result: dict[str, Any] = json.loads(encoded)
    return result


def _check_json_value(value: object) -> None:
    if value is None or isinstance(value, bool | int):
        return
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("Audit detail strings cannot hold NUL characters")
        return
    if isinstance(value, float):
        # 1e16 comes back from PostgreSQL's jsonb as 10000000000000000: another
        # text, another hash. Integers and strings round-trip exactly.
        raise ValueError("Audit detail cannot hold floats: use an integer or a string")
    if isinstance(value, list | tuple):
        for item in value:
            _check_json_value(item)
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"Audit detail keys must be strings, not {key!r}")
            _check_json_value(item)
        return
    raise ValueError(f"Audit detail cannot hold a {type(value).__name__}")
