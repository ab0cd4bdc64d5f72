"""Writers of one SQLite database wait in a queue, not in SQLite's busy handler.

Every audited request is a write transaction (its audit event). SQLite lets one
writer in at a time; the others, with a busy timeout, sleep in steps of 1, 2, 5,
10 … 100 ms and retry, however little the holder needs (a fraction of a
millisecond): under load most of the waiting is sleeping, and reads at 16
connections had a p95 of 1.2 s (docs/performance.md, "API FHIR").

Here a transaction first takes the process's lock for the database (threads
queue on it and wake when it is released), then an exclusive `flock` on a file
beside the database (processes queue on it: only one thread per process polls
it, every 0.1 to 2 ms), then `BEGIN IMMEDIATE`; both are released at COMMIT or
ROLLBACK. Waiting longer than the connection's timeout raises OperationalError
("database is locked"), as SQLite itself would.

The lock file is `<database>-writers.lock`. An in-memory database (the test
suite's) is not queued (base.py says why).
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from dataclasses import dataclass, field

from django.db import OperationalError

_SHORTEST_POLL = 0.0001
_LONGEST_POLL = 0.002


@dataclass
class WriteQueue:
    """The queue of one database file in this process (one per path, shared by
    the process's connections to it: see `queue_for`)."""

    lock_path: str
    thread_lock: threading.Lock = field(default_factory=threading.Lock)
    _fd: int | None = None
    _fd_pid: int | None = None

    def _file(self) -> int:
        # Opened lazily and again after a fork: a descriptor inherited through
        # fork shares its flock with the parent, which would let both in.
        if self._fd is None or self._fd_pid != os.getpid():
            self._fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            self._fd_pid = os.getpid()
        return self._fd

    def acquire(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        if not self.thread_lock.acquire(timeout=max(timeout, 0)):
            raise OperationalError("database is locked (write queue, this process)")
        try:
            fd = self._file()
            pause = _SHORTEST_POLL
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise OperationalError(
                            "database is locked (write queue, another process)"
                        ) from None
                    time.sleep(pause)
                    pause = min(pause * 2, _LONGEST_POLL)
        except BaseException:
            self.thread_lock.release()
            raise

    def release(self) -> None:
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self.thread_lock.release()


_QUEUES: dict[str, WriteQueue] = {}
_QUEUES_LOCK = threading.Lock()


def queue_for(database: str) -> WriteQueue:
    with _QUEUES_LOCK:
        queue = _QUEUES.get(database)
        if queue is None:
            queue = _QUEUES[database] = WriteQueue(f"{database}-writers.lock")
        return queue
