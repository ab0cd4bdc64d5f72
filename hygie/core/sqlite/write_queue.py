"""Writers of one SQLite database wait in a queue, not in SQLite's busy handler.

Every audited request is a write transaction (its audit event). SQLite lets one
writer in at a time; the others, with a busy timeout, sleep in steps of 1, 2, 5,
10 … 100 ms and retry, however little the holder needs (a fraction of a
millisecond): under load most of the waiting is sleeping, and reads at 16
connections had a p95 of 1.2 s (docs/performance.md, "API FHIR").

Here a transaction first takes the process's lock for the database (its threads
queue on it and wake as soon as it is released), then an exclusive `flock` on a
file beside the database (processes queue on it in the kernel, which wakes a
waiter at once on release), then `BEGIN IMMEDIATE`; both are released at COMMIT
or ROLLBACK. A process that is let go of the file lock wakes immediately, so it
gets its turn even while the other process's threads keep asking (a waiter that
polled, sleeping between tries, kept losing it to them).

The blocking `flock` call runs in one thread per process (`_Taker`), so that a
transaction can still give up after the connection's timeout with
OperationalError ("database is locked"), as SQLite itself would; a lock taken
after its requester gave up is released at once.

The lock file is `<database>-writers.lock`, beside the database and its `-wal` and
`-shm` files, created by the first writer; it must be writable by the service
(like the database: running a `hygie` command as another user, root included,
can leave files the service cannot open). An in-memory database (the test
suite's) is not queued (base.py says why).

After a fork, a child never releases what its parent holds: the file lock belongs
to the open file, shared with the parent, so a child closing an inherited
connection would otherwise let a third writer in beside the parent. The child
starts with queues of its own.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time

from django.db import OperationalError


class _Taker:
    """The thread that takes the file lock for this process's transactions."""

    def __init__(self, path: str) -> None:
        try:
            self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise OperationalError(
                f"cannot open the SQLite write queue's lock file {path} ({exc.strerror}): "
                "it must be writable by the user Hygie runs as"
            ) from exc
        self.cond = threading.Condition()
        self.wanted = False
        self.held = False
        threading.Thread(target=self._run, name="sqlite-write-queue", daemon=True).start()

    def _run(self) -> None:
        while True:
            with self.cond:
                self.cond.wait_for(lambda: self.wanted and not self.held)
            fcntl.flock(self.fd, fcntl.LOCK_EX)  # blocks in the kernel until it is ours
            with self.cond:
                if self.wanted:
                    self.held = True
                    self.cond.notify_all()
                    continue
            # Its requester gave up meanwhile: let the others in at once.
            fcntl.flock(self.fd, fcntl.LOCK_UN)

    def acquire(self, timeout: float) -> None:
        with self.cond:
            self.wanted = True
            self.cond.notify_all()
            got = self.cond.wait_for(lambda: self.held, timeout)
            self.wanted = False
        if not got:
            raise OperationalError("database is locked (write queue, another process)")

    def release(self) -> None:
        with self.cond:
            self.held = False
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            self.cond.notify_all()


class WriteQueue:
    """The queue of one database file in this process (one per path, shared by
    the process's connections to it: see `queue_for`)."""

    def __init__(self, lock_path: str) -> None:
        self.lock_path = lock_path
        self.thread_lock = threading.Lock()
        self._taker: _Taker | None = None
        self._taker_pid: int | None = None
        self._holder_pid: int | None = None

    def _file_lock(self) -> _Taker:
        # Made lazily and again after a fork: neither the thread nor the lock
        # (a descriptor inherited through fork shares its flock) survives one.
        if self._taker is None or self._taker_pid != os.getpid():
            self._taker = _Taker(self.lock_path)
            self._taker_pid = os.getpid()
        return self._taker

    def acquire(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        if not self.thread_lock.acquire(timeout=max(timeout, 0)):
            raise OperationalError("database is locked (write queue, this process)")
        try:
            self._file_lock().acquire(max(deadline - time.monotonic(), 0))
        except BaseException:
            self.thread_lock.release()
            raise
        self._holder_pid = os.getpid()

    def release(self) -> None:
        try:
            # Only the process that took the file lock lets it go (module docstring).
            if self._taker is not None and self._holder_pid == os.getpid():
                self._taker.release()
        finally:
            self._holder_pid = None
            self.thread_lock.release()


_QUEUES: dict[str, WriteQueue] = {}
_QUEUES_LOCK = threading.Lock()


def _forget_queues() -> None:
    """In a forked child: queues of its own (the parent's locks stay the parent's)."""
    global _QUEUES_LOCK
    _QUEUES.clear()
    _QUEUES_LOCK = threading.Lock()


os.register_at_fork(after_in_child=_forget_queues)


def queue_for(database: str) -> WriteQueue:
    with _QUEUES_LOCK:
        queue = _QUEUES.get(database)
        if queue is None:
            queue = _QUEUES[database] = WriteQueue(f"{database}-writers.lock")
        return queue
