"""Verification of the audit chains: is every event still the one written?

Each chain is walked in seq order and every hash recomputed. The first bad entry
of each chain is reported: an edited event (its hash no longer matches), a
deleted one (a gap), an inserted or reordered one (its prev_hash does not link),
a truncated tail (the head row is further on), events after the head, and any
disagreement with the latest checkpoint kept outside the database.

Heads are read after the walk, so events appended meanwhile are not mistaken
for tampering: the walk catches up to each head before comparing.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from hygie.audit.chain import compute_hash
from hygie.audit.checkpoints import (
    ChainMark,
    Checkpoint,
    CheckpointError,
    latest_checkpoint,
    write_checkpoint,
)
from hygie.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from hygie.audit.protection import missing_triggers

__all__ = ["Problem", "ProblemKind", "VerifyReport", "verify_chains", "write_checkpoint"]

CHUNK_SIZE = 2000


class ProblemKind(enum.StrEnum):
    EDITED = "edited"  # the event's hash does not match its content
    MISSING = "missing"  # a seq is absent: deleted
    BROKEN_LINK = "broken-link"  # prev_hash is not the previous hash: inserted, moved, rewritten
    HEAD_MISSING = "head-missing"
    HEAD_MISMATCH = "head-mismatch"  # the head's hash is not the last event's
    AFTER_HEAD = "after-head"  # events beyond the head: appended around record_event
    TAIL_MISSING = "tail-missing"  # the head is further than the events: tail deleted
    CHECKPOINT_MISMATCH = "checkpoint-mismatch"  # rewritten up to the checkpointed event
    CHECKPOINT_AHEAD = "checkpoint-ahead"  # the checkpoint knew events that are gone
    CHECKPOINT_UNREADABLE = "checkpoint-unreadable"


@dataclass(frozen=True)
class Problem:
    """The first bad entry of one chain. `event_id` is None when the entry is gone."""

    chain: str
    seq: int | None
    event_id: int | None
    kind: ProblemKind
    message: str


@dataclass(frozen=True)
class VerifyReport:
    checked: int
    chains: int
    problems: tuple[Problem, ...]
    missing_triggers: tuple[str, ...]
    checkpoint: str | None  # the checkpoint file compared against

    @property
    def ok(self) -> bool:
        return not self.problems and not self.missing_triggers

    @property
    def first_problem(self) -> Problem | None:
        return self.problems[0] if self.problems else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "chains": self.chains,
            "problems": [asdict(problem) for problem in self.problems],
            "missing_triggers": list(self.missing_triggers),
            "checkpoint": self.checkpoint,
        }


def verify_chains(checkpoint_dir: Path | None = None) -> VerifyReport:
    """Walk every chain in constant memory. With `checkpoint_dir`, also compare
    with the latest checkpoint there (none yet is not an error; unreadable is)."""
    problems: list[Problem] = []
    checkpoint: Checkpoint | None = None
    if checkpoint_dir is not None:
        try:
            checkpoint = latest_checkpoint(checkpoint_dir)
        except CheckpointError as exc:
            problems.append(Problem("", None, None, ProblemKind.CHECKPOINT_UNREADABLE, str(exc)))
    marks = checkpoint.chains if checkpoint is not None else {}
    written_at = checkpoint.written_at if checkpoint is not None else ""

    walks: dict[str, _ChainWalk] = {}
    walk: _ChainWalk | None = None
    events = AuditEvent.objects.order_by("chain", "seq").iterator(chunk_size=CHUNK_SIZE)
    for event in events:
        if walk is None or walk.chain != event.chain:
            walk = walks.get(event.chain) or _ChainWalk(
                event.chain, marks.get(event.chain), written_at
            )
            walks[event.chain] = walk
        walk.feed(event)

    heads = {head.chain: head for head in AuditChainHead.objects.all()}
    for name in sorted(heads.keys() | walks.keys() | marks.keys()):
        if name not in walks:
            walks[name] = _ChainWalk(name, marks.get(name), written_at)
        walks[name].finish(heads.get(name))
        problem = walks[name].problem
        if problem is not None:
            problems.append(problem)

    return VerifyReport(
        checked=sum(walk.checked for walk in walks.values()),
        chains=len(walks),
        problems=tuple(problems),
        missing_triggers=tuple(missing_triggers()),
        checkpoint=str(checkpoint.path) if checkpoint is not None else None,
    )


class _ChainWalk:
    def __init__(self, chain: str, mark: ChainMark | None, checkpoint_time: str) -> None:
        self.chain = chain
        self.mark = mark
        self.checkpoint_time = checkpoint_time
        self.last_seq = 0
        self.last_hash = GENESIS_HASH
        self.last_id: int | None = None
        self.checked = 0
        self.problem: Problem | None = None

    def feed(self, event: AuditEvent) -> None:
        self.checked += 1
        if self.problem is not None:
            return
        expected = self.last_seq + 1
        if event.seq != expected:
            self._fail(
                expected,
                None,
                ProblemKind.MISSING,
                _(
                    "événement n° %(seq)s absent (supprimé ?) : la chaîne reprend au n° "
                    "%(next)s, id %(id)s"
                )
                % {"seq": expected, "next": event.seq, "id": event.id},
            )
        elif not _hash_matches(event):
            self._fail(
                event.seq,
                event.id,
                ProblemKind.EDITED,
                _("événement modifié : son contenu ne correspond plus à son empreinte"),
            )
        elif event.prev_hash != self.last_hash:
            self._fail(
                event.seq,
                event.id,
                ProblemKind.BROKEN_LINK,
                _(
                    "ne suit pas l'événement n° %(prev)s : inséré, déplacé, ou la chaîne a "
                    "été réécrite avant lui"
                )
                % {"prev": self.last_seq},
            )
        elif self.mark and event.seq == self.mark.seq and event.hash != self.mark.hash:
            self._fail(
                event.seq,
                event.id,
                ProblemKind.CHECKPOINT_MISMATCH,
                _(
                    "diffère du point de contrôle du %(time)s : la chaîne a été réécrite "
                    "jusqu'à cet événement"
                )
                % {"time": self.checkpoint_time},
            )
        else:
            self.last_seq, self.last_hash, self.last_id = event.seq, event.hash, event.id

    def finish(self, head: AuditChainHead | None) -> None:
        if self.problem is None and head is not None and head.seq > self.last_seq:
            # Appended since the walk passed this chain, or deleted: look again.
            self._feed_all(
                AuditEvent.objects.filter(
                    chain=self.chain, seq__gt=self.last_seq, seq__lte=head.seq
                )
                .order_by("seq")
                .iterator(chunk_size=CHUNK_SIZE)
            )
        if self.problem is not None:
            return
        if head is None:
            if self.last_seq > 0:
                self._fail(
                    self.last_seq,
                    self.last_id,
                    ProblemKind.HEAD_MISSING,
                    _("la tête de chaîne a disparu"),
                )
        elif head.seq < self.last_seq:
            after = AuditEvent.objects.filter(chain=self.chain, seq=head.seq + 1)
            self._fail(
                head.seq + 1,
                after.values_list("id", flat=True).first(),
                ProblemKind.AFTER_HEAD,
                _(
                    "événements ajoutés après la tête de chaîne (n° %(head)s) sans passer par "
                    "le journal"
                )
                % {"head": head.seq},
            )
        elif head.seq > self.last_seq:
            self._fail(
                self.last_seq + 1,
                None,
                ProblemKind.TAIL_MISSING,
                _(
                    "fin de chaîne supprimée : la tête annonce le n° %(head)s, la chaîne "
                    "s'arrête au n° %(last)s"
                )
                % {"head": head.seq, "last": self.last_seq},
            )
        elif head.hash != self.last_hash:
            self._fail(
                self.last_seq,
                self.last_id,
                ProblemKind.HEAD_MISMATCH,
                _("la tête de chaîne ne correspond pas au dernier événement"),
            )
        if self.problem is None and self.mark is not None and self.last_seq < self.mark.seq:
            self._fail(
                self.last_seq + 1,
                None,
                ProblemKind.CHECKPOINT_AHEAD,
                _(
                    "le point de contrôle du %(time)s connaissait l'événement n° %(mark)s ; la "
                    "chaîne s'arrête au n° %(last)s : fin de chaîne supprimée"
                )
                % {"time": self.checkpoint_time, "mark": self.mark.seq, "last": self.last_seq},
            )

    def _feed_all(self, events: Iterable[AuditEvent]) -> None:
        for event in events:
            self.feed(event)

    def _fail(self, seq: int, event_id: int | None, kind: ProblemKind, message: str) -> None:
        self.problem = Problem(self.chain, seq, event_id, kind, message)


def _hash_matches(event: AuditEvent) -> bool:
    try:
        return compute_hash(event) == event.hash
    except (TypeError, ValueError):  # a forged value the canonical form cannot take
        return False
