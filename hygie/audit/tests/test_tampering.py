"""Mallory has direct database access: she drops the triggers and rewrites rows.
Each attack must make verification fail, naming the first bad entry."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hygie.audit.actions import AuditSource
from hygie.audit.chain import compute_hash
from hygie.audit.models import AuditEvent
from hygie.audit.verify import ProblemKind, VerifyReport, verify_chains, write_checkpoint

Mallory = Callable[..., None]


def only_problem(report: VerifyReport, chain: str) -> tuple[int | None, int | None, ProblemKind]:
    assert not report.ok
    assert [problem.chain for problem in report.problems] == [chain]
    first = report.first_problem
    assert first is not None
    return first.seq, first.event_id, first.kind


def rewrite_from(mallory: Mallory, chain: str, seq: int, **changes: Any) -> None:
    """Change event `seq`, recompute every hash from there on and move the head:
    everything a careful attacker with database access can do."""
    if changes:
        columns = ", ".join(f"{column} = %s" for column in changes)
        mallory(
            f"UPDATE audit_auditevent SET {columns} WHERE chain = %s AND seq = %s",  # noqa: S608
            [*changes.values(), chain, seq],
        )
    prev = AuditEvent.objects.get(chain=chain, seq=seq - 1).hash if seq > 1 else "0" * 64
    for event in AuditEvent.objects.filter(chain=chain, seq__gte=seq).order_by("seq"):
        event.prev_hash = prev
        prev = compute_hash(event)
        mallory(
            "UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE id = %s",
            [event.prev_hash, prev, event.id],
        )
    last = AuditEvent.objects.filter(chain=chain).order_by("-seq").first()
    assert last is not None
    mallory(
        "UPDATE audit_auditchainhead SET seq = %s, hash = %s WHERE chain = %s",
        [last.seq, last.hash, chain],
    )


def test_an_untouched_log_verifies(alpha_chain: list[AuditEvent]) -> None:
    report = verify_chains()

    assert report.ok
    assert report.checked >= 10
    assert report.first_problem is None


def test_it_names_the_first_edited_event(alpha_chain: list[AuditEvent], mallory: Mallory) -> None:
    fourth, seventh = alpha_chain[3], alpha_chain[6]
    mallory("UPDATE audit_auditevent SET user_label = %s WHERE id = %s", ["bob", seventh.id])
    mallory("UPDATE audit_auditevent SET patient_id = %s WHERE id = %s", [None, fourth.id])

    report = verify_chains()

    assert only_problem(report, fourth.chain) == (4, fourth.id, ProblemKind.EDITED)


def test_it_names_a_deleted_event_by_its_missing_seq(
    alpha_chain: list[AuditEvent], mallory: Mallory
) -> None:
    mallory("DELETE FROM audit_auditevent WHERE id = %s", [alpha_chain[4].id])

    report = verify_chains()

    assert only_problem(report, alpha_chain[0].chain) == (5, None, ProblemKind.MISSING)


def test_it_catches_a_deletion_with_the_later_events_renumbered(
    alpha_chain: list[AuditEvent], mallory: Mallory
) -> None:
    chain = alpha_chain[0].chain
    mallory("DELETE FROM audit_auditevent WHERE id = %s", [alpha_chain[4].id])
    for event in alpha_chain[5:]:
        mallory("UPDATE audit_auditevent SET seq = seq - 1 WHERE id = %s", [event.id])
    mallory("UPDATE audit_auditchainhead SET seq = 9 WHERE chain = %s", [chain])

    report = verify_chains()

    # The old sixth event now sits at seq 5: its content (its seq) no longer hashes.
    assert only_problem(report, chain) == (5, alpha_chain[5].id, ProblemKind.EDITED)


def test_it_catches_two_events_swapped(alpha_chain: list[AuditEvent], mallory: Mallory) -> None:
    third, fourth = alpha_chain[2], alpha_chain[3]
    mallory("UPDATE audit_auditevent SET seq = 1000000 WHERE id = %s", [third.id])
    mallory("UPDATE audit_auditevent SET seq = 3 WHERE id = %s", [fourth.id])
    mallory("UPDATE audit_auditevent SET seq = 4 WHERE id = %s", [third.id])

    report = verify_chains()

    assert only_problem(report, third.chain) == (3, fourth.id, ProblemKind.EDITED)


def test_it_catches_an_event_edited_with_its_own_hash_recomputed(
    alpha_chain: list[AuditEvent], mallory: Mallory
) -> None:
    event = alpha_chain[5]
    event.user_label = "bob@alpha.test"
    mallory(
        "UPDATE audit_auditevent SET user_label = %s, hash = %s WHERE id = %s",
        [event.user_label, compute_hash(event), event.id],
    )

    report = verify_chains()

    # Seq 6 is self-consistent; seq 7 no longer links to it.
    assert only_problem(report, event.chain) == (7, alpha_chain[6].id, ProblemKind.BROKEN_LINK)


def test_it_catches_an_event_inserted_in_the_middle(
    alpha_chain: list[AuditEvent], alice: AuditSource, mallory: Mallory
) -> None:
    chain = alpha_chain[0].chain
    for event in reversed(alpha_chain[4:]):
        mallory("UPDATE audit_auditevent SET seq = seq + 1 WHERE id = %s", [event.id])
    forged = AuditEvent(
        **{
            field.attname: getattr(alpha_chain[4], field.attname)
            for field in AuditEvent._meta.concrete_fields
            if field.attname != "id"
        }
    )
    forged.patient_id = uuid.uuid4()
    forged.prev_hash = alpha_chain[3].hash
    forged.hash = compute_hash(forged)
    forged.save(force_insert=True)
    mallory("UPDATE audit_auditchainhead SET seq = 11 WHERE chain = %s", [chain])

    report = verify_chains()

    # The forged seq 5 links backwards; the displaced event after it cannot.
    assert only_problem(report, chain) == (6, alpha_chain[4].id, ProblemKind.EDITED)


def test_it_catches_an_event_appended_without_moving_the_head(
    alpha_chain: list[AuditEvent],
) -> None:
    last = alpha_chain[-1]
    forged = AuditEvent(
        **{
            field.attname: getattr(last, field.attname)
            for field in AuditEvent._meta.concrete_fields
            if field.attname != "id"
        }
    )
    forged.seq, forged.prev_hash = 11, last.hash
    forged.hash = compute_hash(forged)
    forged.save(force_insert=True)  # inserts stay allowed: the app appends

    report = verify_chains()

    assert only_problem(report, last.chain) == (11, forged.id, ProblemKind.AFTER_HEAD)


def test_it_catches_a_deleted_tail_when_the_head_was_left_alone(
    alpha_chain: list[AuditEvent], mallory: Mallory
) -> None:
    mallory("DELETE FROM audit_auditevent WHERE id IN (%s, %s)", [e.id for e in alpha_chain[8:]])

    report = verify_chains()

    assert only_problem(report, alpha_chain[0].chain) == (9, None, ProblemKind.TAIL_MISSING)


def test_it_catches_a_head_that_does_not_match_the_last_event(
    alpha_chain: list[AuditEvent], mallory: Mallory
) -> None:
    mallory(
        "UPDATE audit_auditchainhead SET hash = %s WHERE chain = %s",
        ["f" * 64, alpha_chain[0].chain],
    )

    report = verify_chains()

    assert only_problem(report, alpha_chain[0].chain) == (
        10,
        alpha_chain[-1].id,
        ProblemKind.HEAD_MISMATCH,
    )


def test_a_deleted_tail_with_the_head_fixed_is_caught_by_the_checkpoint(
    alpha_chain: list[AuditEvent], mallory: Mallory, checkpoint_dir: Path
) -> None:
    chain = alpha_chain[0].chain
    write_checkpoint(checkpoint_dir)
    mallory("DELETE FROM audit_auditevent WHERE id IN (%s, %s)", [e.id for e in alpha_chain[8:]])
    mallory(
        "UPDATE audit_auditchainhead SET seq = 8, hash = %s WHERE chain = %s",
        [alpha_chain[7].hash, chain],
    )

    # The chain alone is consistent again; the checkpoint outside the database is not fooled.
    assert verify_chains().problems == ()
    report = verify_chains(checkpoint_dir)

    assert only_problem(report, chain) == (9, None, ProblemKind.CHECKPOINT_AHEAD)


def test_a_rewritten_chain_is_caught_by_the_checkpoint(
    alpha_chain: list[AuditEvent], mallory: Mallory, checkpoint_dir: Path
) -> None:
    chain = alpha_chain[0].chain
    write_checkpoint(checkpoint_dir)
    rewrite_from(mallory, chain, 3, user_label="bob@alpha.test")

    assert verify_chains().problems == ()
    report = verify_chains(checkpoint_dir)

    assert only_problem(report, chain) == (10, alpha_chain[-1].id, ProblemKind.CHECKPOINT_MISMATCH)


def test_a_whole_chain_deleted_is_caught_by_the_checkpoint(
    alpha_chain: list[AuditEvent], mallory: Mallory, checkpoint_dir: Path
) -> None:
    chain = alpha_chain[0].chain
    write_checkpoint(checkpoint_dir)
    mallory("DELETE FROM audit_auditevent WHERE chain = %s", [chain])
    mallory("DELETE FROM audit_auditchainhead WHERE chain = %s", [chain])

    report = verify_chains(checkpoint_dir)

    assert only_problem(report, chain) == (1, None, ProblemKind.CHECKPOINT_AHEAD)


def test_a_deleted_head_is_reported(alpha_chain: list[AuditEvent], mallory: Mallory) -> None:
    chain = alpha_chain[0].chain
    mallory("DELETE FROM audit_auditchainhead WHERE chain = %s", [chain])

    report = verify_chains()

    assert only_problem(report, chain) == (10, alpha_chain[-1].id, ProblemKind.HEAD_MISSING)


def test_verification_reports_dropped_triggers(
    alpha_chain: list[AuditEvent], mallory: Mallory
) -> None:
    report = verify_chains()

    assert report.problems == ()
    assert report.missing_triggers
    assert not report.ok
