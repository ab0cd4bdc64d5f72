"""Django's SQLite backend, with each transaction queued for the write lock
(write_queue.py). config/settings.py selects it for sqlite:// URLs."""

from __future__ import annotations

from typing import Any

from django.db.backends.sqlite3 import base

from .write_queue import WriteQueue, queue_for


class DatabaseWrapper(base.DatabaseWrapper):
    # The queue a transaction of this connection holds, released at its end (after
    # a fork, by the child, it lets go of nothing the parent holds: write_queue.py).
    _held: WriteQueue | None = None

    def _timeout(self) -> float:
        return float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))

    def _start_transaction_under_autocommit(self) -> None:
        # Django's atomic() starts every SQLite transaction here (BEGIN IMMEDIATE,
        # settings: transaction_mode): the queue comes first. An in-memory database
        # (the test suite's) lives in one process, whose test case holds a
        # transaction open for the whole test while its live server's threads
        # write: it keeps SQLite's own locking.
        if self.is_in_memory_db():
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
            return
        # Looked up each time: after a fork, the child's own queue (write_queue.py).
        queue = queue_for(str(self.settings_dict["NAME"]))
        queue.acquire(self._timeout())
        self._held = queue
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._leave_queue()
            raise

    def _leave_queue(self) -> None:
        held, self._held = self._held, None
        if held is not None:
            held.release()

    def _commit(self) -> Any:
        try:
            return super()._commit()  # type: ignore[misc]
        finally:
            # A failed COMMIT leaves the transaction open; Django rolls it back next.
            if not self._in_open_transaction():
                self._leave_queue()

    def _rollback(self) -> Any:
        try:
            return super()._rollback()  # type: ignore[misc]
        finally:
            self._leave_queue()

    def _close(self) -> Any:
        try:
            return super()._close()  # type: ignore[misc]
        finally:
            self._leave_queue()

    def _in_open_transaction(self) -> bool:
        connection = self.connection
        return bool(connection is not None and connection.in_transaction)
