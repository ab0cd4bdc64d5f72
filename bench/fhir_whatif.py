"""What-ifs for the FHIR API load benchmark: each emulates one proposed change in
the benchmark's server processes only (bench.fhir_server --what-if NAME), so
docs/performance.md can state what it would buy. None of this is how the app
should be written; each docstring names the real change it stands for.

Settings ones run before django.setup(), the others after.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

# Counters a what-if keeps, reported with the server's answer counts.
STATS: dict[str, int] = {}


def no_fsync_per_commit() -> None:
    """config/settings.py: let a commit return before its WAL record is on disk.
    SQLite: PRAGMA synchronous=NORMAL instead of FULL (fsync at checkpoints only).
    PostgreSQL: synchronous_commit=off for Hygie's connections (the WAL writer
    flushes within 3 times wal_writer_delay). Either way the database stays consistent
    after a crash, but the last audit events before a power cut can vanish:
    reads that happened would no longer be in the log."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    options = database.setdefault("OPTIONS", {})
    if "sqlite" in database["ENGINE"]:
        options["init_command"] = options["init_command"].replace(
            "synchronous=FULL", "synchronous=NORMAL"
        )
    else:
        options["options"] = "-c synchronous_commit=off"


@dataclass
class _Pending:
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    done: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: BaseException | None = None


class _GroupCommitter:
    """One writer thread per process. A request thread hands its event over and
    waits until the transaction holding it has committed, so a read is still
    answered only once its audit event is durable; the events that arrived while
    the previous batch was committing share one transaction, one chain-head lock
    and one commit (one fsync)."""

    def __init__(self, record: Any) -> None:
        self.record = record
        self.cond = threading.Condition()
        self.pending: list[_Pending] = []
        threading.Thread(target=self._run, daemon=True, name="audit-group-commit").start()

    def submit(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        item = _Pending(args, kwargs)
        with self.cond:
            self.pending.append(item)
            self.cond.notify()
        item.done.wait()
        if item.error is not None:
            raise item.error
        return item.result

    def _run(self) -> None:
        from django.db import close_old_connections, transaction

        while True:
            with self.cond:
                while not self.pending:
                    self.cond.wait()
                batch, self.pending = self.pending, []
            try:
                # record_event's own atomic(savepoint=False) joins this one: the
                # same rows, hash chain and queries, one commit for the batch.
                with transaction.atomic():
                    for item in batch:
                        item.result = self.record(*item.args, **item.kwargs)
                STATS["group_commit_batches"] = STATS.get("group_commit_batches", 0) + 1
                STATS["group_commit_events"] = STATS.get("group_commit_events", 0) + len(batch)
            except BaseException as exc:  # each waiting request fails as it would alone
                for item in batch:
                    item.error = exc
                close_old_connections()
            finally:
                for item in batch:
                    item.done.set()


def audit_group_commit() -> None:
    """hygie/audit/actions.py:record_event, for reads outside a transaction: hand
    the event to a per-process writer that commits the events of concurrent
    requests together (lock the chain head once, insert them, move the head,
    commit once), each request waiting for the commit of its own event. The audit
    stays complete and durable before the answer; what goes is one transaction,
    one lock round and one fsync per read. Events recorded inside a transaction
    (writes) keep today's path: they must commit or roll back with their write."""
    from django.db import connection

    from hygie.audit.actions import record_event as original
    from hygie.patients import access

    committer = _GroupCommitter(original)

    def record_event(*args: Any, **kwargs: Any) -> Any:
        if connection.in_atomic_block:
            return original(*args, **kwargs)
        return committer.submit(args, kwargs)

    # The read path calls the name it imported (access.py: from ... import record_event).
    access.record_event = record_event  # type: ignore[attr-defined]


def audit_off() -> None:
    """Not a proposal: the ceiling any audit change could reach. record_event is a
    no-op on the read path (bench.variants.disable_audit)."""
    from bench import variants

    variants.disable_audit()


def short_switch_interval() -> None:
    """`hygie serve` (or config/wsgi.py): sys.setswitchinterval(0.0005) instead of
    Python's 5 ms. A thread inside the audit's write transaction releases the GIL
    at every statement (BEGIN, head, insert, head move, COMMIT) and must get it
    back from threads busy with other requests, each of which may keep it for the
    whole interval: the write lock is held for the waits too, and every other
    writer of the practice queues behind them."""
    import sys

    sys.setswitchinterval(0.0005)


BEFORE_SETUP = {"no-fsync": no_fsync_per_commit, "switch-interval": short_switch_interval}
AFTER_SETUP = {
    "audit-group-commit": audit_group_commit,
    "audit-off": audit_off,
}
ALL = sorted({**BEFORE_SETUP, **AFTER_SETUP})


def apply(names: list[str], *, before_setup: bool) -> None:
    table = BEFORE_SETUP if before_setup else AFTER_SETUP
    for name in names:
        if name not in ALL:
            raise SystemExit(f"unknown what-if {name}; known: {', '.join(ALL)}")
        if name in table:
            table[name]()
