from __future__ import annotations

import json
import stat
import uuid
from pathlib import Path

from hygie.audit.actions import AuditSource
from hygie.audit.checkpoints import latest_checkpoint
from hygie.audit.models import AuditChainHead, AuditEvent
from hygie.audit.tests.conftest import read_patient
from hygie.audit.verify import ProblemKind, verify_chains, write_checkpoint


def test_a_checkpoint_records_every_chain_head_in_a_private_file(
    alpha_chain: list[AuditEvent], checkpoint_dir: Path
) -> None:
    checkpoint = write_checkpoint(checkpoint_dir)

    assert stat.S_IMODE(checkpoint.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(checkpoint_dir.stat().st_mode) == 0o700
    assert [path.name for path in checkpoint_dir.iterdir()] == [checkpoint.path.name]
    document = json.loads(checkpoint.path.read_text())
    chain = alpha_chain[0].chain
    assert document["chains"][chain]["seq"] == 10
    assert document["chains"][chain]["hash"] == alpha_chain[-1].hash
    assert set(document["chains"]) == set(AuditChainHead.objects.values_list("chain", flat=True))


def test_the_latest_checkpoint_is_the_one_compared(
    alpha_chain: list[AuditEvent], alice: AuditSource, patient: uuid.UUID, checkpoint_dir: Path
) -> None:
    first = write_checkpoint(checkpoint_dir)
    read_patient(alice, patient)
    second = write_checkpoint(checkpoint_dir)

    latest = latest_checkpoint(checkpoint_dir)

    assert latest is not None and latest.path == second.path != first.path
    assert latest.chains[alpha_chain[0].chain].seq == 11


def test_events_appended_after_a_checkpoint_still_verify(
    alpha_chain: list[AuditEvent], alice: AuditSource, patient: uuid.UUID, checkpoint_dir: Path
) -> None:
    write_checkpoint(checkpoint_dir)
    read_patient(alice, patient)

    report = verify_chains(checkpoint_dir)

    assert report.ok
    assert report.checkpoint is not None


def test_no_checkpoint_yet_is_not_an_error(
    alpha_chain: list[AuditEvent], checkpoint_dir: Path
) -> None:
    report = verify_chains(checkpoint_dir)

    assert report.ok
    assert report.checkpoint is None


def test_a_damaged_checkpoint_is_a_finding_not_something_to_skip(
    alpha_chain: list[AuditEvent], checkpoint_dir: Path
) -> None:
    checkpoint = write_checkpoint(checkpoint_dir)
    checkpoint.path.write_text("{not json")

    report = verify_chains(checkpoint_dir)

    assert not report.ok
    assert report.first_problem is not None
    assert report.first_problem.kind == ProblemKind.CHECKPOINT_UNREADABLE
