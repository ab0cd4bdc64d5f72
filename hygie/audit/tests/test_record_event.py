from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.db import transaction
from django.test import RequestFactory

from hygie.audit.actions import AuditSource, reason_text, record_event, session_ref_for
from hygie.audit.chain import canonical_payload, compute_hash
from hygie.audit.enums import AuditAction, AuditEventType, AuditOutcome, PurposeOfUse
from hygie.audit.models import GENESIS_HASH, PLATFORM_CHAIN, AuditChainHead, AuditEvent
from hygie.audit.tests.conftest import person, read_patient
from hygie.audit.verify import verify_chains

pytestmark = pytest.mark.django_db


def test_it_appends_events_to_the_chain_of_their_practice(
    alice: AuditSource, alpha: uuid.UUID, patient: uuid.UUID
) -> None:
    first = read_patient(alice, patient)
    second = read_patient(alice, patient)

    assert (first.chain, first.seq, first.prev_hash) == (str(alpha), 1, GENESIS_HASH)
    assert (second.seq, second.prev_hash) == (2, first.hash)
    assert second.hash == compute_hash(AuditEvent.objects.get(pk=second.pk))
    head = AuditChainHead.objects.get(chain=str(alpha))
    assert (head.seq, head.hash) == (2, second.hash)
    assert verify_chains().ok


def test_events_outside_any_practice_go_to_the_platform_chain(alice: AuditSource) -> None:
    event = record_event(
        alice, AuditEventType.LOGIN_SUCCESS, action=AuditAction.EXECUTE, practice_id=None
    )

    assert (event.chain, event.practice_id) == (PLATFORM_CHAIN, None)
    assert AuditChainHead.objects.get(chain=PLATFORM_CHAIN).seq == event.seq


def test_each_practice_has_its_own_chain(
    alice: AuditSource, charlie: AuditSource, patient: uuid.UUID
) -> None:
    alpha_event = read_patient(alice, patient)
    beta_event = read_patient(charlie, uuid.uuid4())

    assert alpha_event.chain != beta_event.chain
    assert alpha_event.seq == beta_event.seq == 1


def test_the_practice_id_is_spelled_one_way_in_the_chain_name(alice: AuditSource) -> None:
    practice = uuid.uuid4()
    one = record_event(
        alice, AuditEventType.JOB_RUN, action=AuditAction.EXECUTE, practice_id=practice
    )
    two = record_event(
        alice,
        AuditEventType.JOB_RUN,
        action=AuditAction.EXECUTE,
        practice_id=str(practice).upper(),  # type: ignore[arg-type]
    )

    assert (one.chain, two.chain, two.seq) == (str(practice), str(practice), 2)


def test_an_event_rolls_back_with_the_write_it_records(
    alice: AuditSource, alpha: uuid.UUID, patient: uuid.UUID
) -> None:
    read_patient(alice, patient)

    with pytest.raises(RuntimeError), transaction.atomic():
        read_patient(alice, patient)
        raise RuntimeError("the write failed")

    after = read_patient(alice, patient)
    assert after.seq == 2
    assert AuditEvent.objects.filter(chain=str(alpha)).count() == 2
    assert verify_chains().ok


def test_recording_costs_three_queries(
    alice: AuditSource, patient: uuid.UUID, django_assert_num_queries: Any
) -> None:
    read_patient(alice, patient)

    # Lock the head, insert the event, move the head.
    with django_assert_num_queries(3):
        read_patient(alice, patient)


def test_every_field_but_the_links_is_hashed(alice: AuditSource, patient: uuid.UUID) -> None:
    event = read_patient(alice, patient)
    hashed = set(json.loads(canonical_payload(event)))
    fields = {field.attname for field in AuditEvent._meta.concrete_fields}

    assert hashed == fields - {"id", "prev_hash", "hash"}


@pytest.mark.parametrize(
    "address", ["192.0.2.1", "::ffff:192.0.2.1", "2001:0db8:0000:0000::0001", "fe80::1"]
)
def test_any_address_spelling_verifies_after_the_database_stored_it(
    alpha: uuid.UUID, patient: uuid.UUID, address: str
) -> None:
    read_patient(person(alpha, "alice@alpha.test", address), patient)

    assert verify_chains().ok


def test_detail_survives_the_database_and_still_verifies(
    alice: AuditSource, patient: uuid.UUID
) -> None:
    detail = {"fields": ("nom", "prénom"), "count": 2**40, "nested": {"b": True, "a": None}}
    event = read_patient(alice, patient, detail=detail)

    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.detail == {
        "fields": ["nom", "prénom"],
        "count": 2**40,
        "nested": detail["nested"],
    }
    assert verify_chains().ok


@pytest.mark.parametrize(
    "detail",
    [
        {"ratio": 0.5},
        {1: "int key"},
        {"when": uuid.uuid4()},
        {"text": "x" * 5000},
        {"nul": "a\x00"},
    ],
)
def test_it_refuses_detail_that_would_not_round_trip_or_is_not_metadata(
    alice: AuditSource, patient: uuid.UUID, detail: dict[Any, Any]
) -> None:
    with pytest.raises(ValueError):
        read_patient(alice, patient, detail=detail)


def test_a_break_the_glass_access_must_state_its_reason(
    alice: AuditSource, patient: uuid.UUID
) -> None:
    with pytest.raises(ValueError, match="reason"):
        read_patient(alice, patient, purpose=PurposeOfUse.ETREAT, reason="  ")

    event = read_patient(alice, patient, purpose=PurposeOfUse.ETREAT, reason="Patient inconscient")
    assert event.reason != "Patient inconscient"  # sealed in the column
    assert reason_text(event) == "Patient inconscient"


def test_it_cleans_what_the_client_controls(alpha: uuid.UUID, patient: uuid.UUID) -> None:
    source = AuditSource(
        user_id=uuid.uuid4(),
        user_label="alice@alpha.test",
        practice_id=alpha,
        source_address="192.0.2.1",
        user_agent="Evil\x00Agent/" + "x" * 400,
        session_ref="",
    )

    event = read_patient(source, patient)

    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.user_agent.startswith("EvilAgent/")
    assert len(stored.user_agent) == 300
    assert verify_chains().ok


def test_it_refuses_an_unknown_event_type(alice: AuditSource) -> None:
    with pytest.raises(ValueError):
        record_event(alice, 999, action=AuditAction.READ)  # type: ignore[arg-type]


def test_a_system_source_names_its_job() -> None:
    source = AuditSource.system("purge-sessions")

    event = record_event(
        source, AuditEventType.JOB_RUN, action=AuditAction.EXECUTE, outcome=AuditOutcome.SUCCESS
    )

    assert (event.user_id, event.user_label, event.chain) == (
        None,
        "system:purge-sessions",
        "platform",
    )


class _User:
    is_authenticated = True

    def __init__(self) -> None:
        self.pk = uuid.uuid4()
        self.email = "alice@alpha.test"


class _Session:
    session_key = "k" * 32


def test_a_request_source_carries_a_hash_of_the_session_never_the_key(alpha: uuid.UUID) -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.5", HTTP_USER_AGENT="Firefox")
    request.user = _User()  # type: ignore[assignment]
    request.session = _Session()  # type: ignore[assignment]

    source = AuditSource.for_request(request, practice_id=alpha)

    assert source.user_id == request.user.pk
    assert (source.user_label, source.source_address) == ("alice@alpha.test", "203.0.113.5")
    assert source.session_ref == session_ref_for("k" * 32)
    assert "k" * 8 not in source.session_ref


def test_an_anonymous_request_source_takes_the_label_it_is_given() -> None:
    request = RequestFactory().post("/login", REMOTE_ADDR="not an address")

    source = AuditSource.for_request(request, practice_id=None, user_label="typed@example.test")

    assert (source.user_id, source.user_label, source.source_address) == (
        None,
        "typed@example.test",
        None,
    )
