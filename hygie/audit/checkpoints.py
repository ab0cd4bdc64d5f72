"""Checkpoints: the head of every chain, written to files outside the database.

Someone who can write to the database can rewrite a chain from an edited event
onwards, recompute every hash and move the head: the chain alone then verifies.
A checkpoint they cannot reach (another disk, another machine, write-once
storage) still holds the old (seq, hash) pairs, and verification compares them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from hygie.audit.models import AuditChainHead
from hygie.core import clock

FORMAT = "hygie-audit-checkpoint/1"
PREFIX = "checkpoint-"


@dataclass(frozen=True)
class ChainMark:
    seq: int
    hash: str
    recorded_at: str


@dataclass(frozen=True)
class Checkpoint:
    path: Path
    written_at: str
    chains: dict[str, ChainMark]


class CheckpointError(Exception):
    pass


def write_checkpoint(directory: Path) -> Checkpoint:
    """Write the current head of every chain to a new file in `directory` (mode 0600).

    The file appears whole or not at all: written under a temporary name, synced,
    then renamed. Verify the chains first: a checkpoint vouches for what it saw.
    """
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    written_at = clock.now().astimezone(dt.UTC)
    chains = {
        head.chain: ChainMark(
            seq=head.seq,
            hash=head.hash,
            recorded_at=head.updated_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        )
        for head in AuditChainHead.objects.order_by("chain")
    }
    stamp = written_at.isoformat(timespec="microseconds")
    document = {
        "format": FORMAT,
        "written_at": stamp,
        "chains": {name: asdict(mark) for name, mark in chains.items()},
    }
    # The name sorts by time, so the latest checkpoint is the last name.
    path = directory / f"{PREFIX}{written_at:%Y%m%dT%H%M%S%fZ}.json"
    fd, temporary = tempfile.mkstemp(prefix=".checkpoint-", suffix=".tmp", dir=directory)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, sort_keys=True, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _sync_directory(directory)
    return Checkpoint(path=path, written_at=stamp, chains=chains)


def latest_checkpoint(directory: Path) -> Checkpoint | None:
    """The newest checkpoint in `directory`, None if there is none yet.

    Raises CheckpointError when the newest file cannot be read: a damaged
    checkpoint is a finding, not something to skip."""
    if not directory.is_dir():
        return None
    paths = sorted(directory.glob(f"{PREFIX}*.json"))
    if not paths:
        return None
    path = paths[-1]
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if document.get("format") != FORMAT:
            raise ValueError(f"unknown format {document.get('format')!r}")
        chains = {
            str(name): ChainMark(
                seq=int(mark["seq"]), hash=str(mark["hash"]), recorded_at=str(mark["recorded_at"])
            )
            for name, mark in document["chains"].items()
        }
        return Checkpoint(path=path, written_at=str(document["written_at"]), chains=chains)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CheckpointError(f"{path}: {exc}") from exc


def _sync_directory(directory: Path) -> None:
    # Make the rename itself durable.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
