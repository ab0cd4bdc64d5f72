"""SQLite writers queue for the write lock (hygie/core/sqlite): a transaction waits
for the one before it, across threads and processes, wakes as soon as it ends,
and gives up with "database is locked" after the connection's timeout.

The suite's own SQLite database is in memory (not queued), so these tests open a
database file of their own."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError, connections, transaction


@pytest.fixture
def file_db(tmp_path: Path, django_db_blocker: Any) -> Iterator[str]:
    """An alias for a fresh SQLite file with Hygie's backend and options."""
    alias = f"queue_{tmp_path.name}"[:60]
    base = connections.settings["default"]
    if "sqlite" not in base["ENGINE"]:
        pytest.skip("SQLite backend only")
    connections.settings[alias] = {
        **base,
        "NAME": str(tmp_path / "queue.sqlite3"),
        "OPTIONS": {**base["OPTIONS"], "timeout": 1},
        "TEST": {},
    }
    with django_db_blocker.unblock():
        with connections[alias].cursor() as cursor:
            cursor.execute("CREATE TABLE counter (n INTEGER NOT NULL)")
            cursor.execute("INSERT INTO counter VALUES (0)")
        yield alias
        for conn in connections.all(initialized_only=True):
            if conn.alias == alias:
                conn.close()
    del connections.settings[alias]


def in_thread(alias: str, django_db_blocker: Any, work: Any) -> threading.Thread:
    def run() -> None:
        with django_db_blocker.unblock():
            try:
                work()
            finally:
                connections[alias].close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def hold(alias: str, seconds: float, entered: threading.Event, log: list[str]) -> None:
    with transaction.atomic(using=alias):
        log.append("holder in")
        entered.set()
        time.sleep(seconds)
        log.append("holder out")


def test_a_second_writer_waits_for_the_first_and_then_goes_in(file_db, django_db_blocker):
    log: list[str] = []
    entered = threading.Event()
    holder = in_thread(file_db, django_db_blocker, lambda: hold(file_db, 0.3, entered, log))
    assert entered.wait(5)

    def second() -> None:
        with transaction.atomic(using=file_db):
            log.append("second in")

    waiter = in_thread(file_db, django_db_blocker, second)
    holder.join(5)
    waiter.join(5)
    assert log == ["holder in", "holder out", "second in"]


def test_a_writer_gives_up_after_the_timeout_with_database_is_locked(file_db, django_db_blocker):
    log: list[str] = []
    entered = threading.Event()
    errors: list[BaseException] = []
    holder = in_thread(file_db, django_db_blocker, lambda: hold(file_db, 1.6, entered, log))
    assert entered.wait(5)

    def second() -> None:
        try:
            with transaction.atomic(using=file_db):
                log.append("second in")
        except OperationalError as exc:
            errors.append(exc)

    waiter = in_thread(file_db, django_db_blocker, second)
    waiter.join(5)
    holder.join(5)
    assert "second in" not in log
    assert len(errors) == 1 and "database is locked" in str(errors[0])


def test_a_rolled_back_transaction_leaves_the_queue(file_db, django_db_blocker):
    with django_db_blocker.unblock():
        with pytest.raises(ZeroDivisionError), transaction.atomic(using=file_db):
            1 / 0  # noqa: B018
        # Nothing is still held: another thread gets in at once.
        done = threading.Event()

        def other() -> None:
            with transaction.atomic(using=file_db):
                done.set()

        in_thread(file_db, django_db_blocker, other).join(5)
        assert done.is_set()


def test_many_threads_increment_without_losing_a_write(file_db, django_db_blocker):
    def increment() -> None:
        for _ in range(25):
            with transaction.atomic(using=file_db), connections[file_db].cursor() as cursor:
                cursor.execute("SELECT n FROM counter")
                (n,) = cursor.fetchone()
                cursor.execute("UPDATE counter SET n = %s", [n + 1])

    threads = [in_thread(file_db, django_db_blocker, increment) for _ in range(6)]
    for thread in threads:
        thread.join(30)
    with django_db_blocker.unblock(), connections[file_db].cursor() as cursor:
        cursor.execute("SELECT n FROM counter")
        assert cursor.fetchone() == (150,)


# Another Hygie process in its write transaction: it holds the queue's file lock,
# and writes a marker just before letting go.
HOLDER = """
import fcntl, pathlib, sys, time
fd = open(sys.argv[1], "a")
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(0.3)
pathlib.Path(sys.argv[2]).write_text("released")
fcntl.flock(fd, fcntl.LOCK_UN)
"""


def test_another_process_holding_the_queue_makes_this_one_wait(
    file_db, django_db_blocker, tmp_path
):
    lock_file = connections.settings[file_db]["NAME"] + "-writers.lock"
    marker = tmp_path / "released"
    other = subprocess.Popen(  # noqa: S603 (this interpreter, a fixed script)
        [sys.executable, "-c", HOLDER, lock_file, str(marker)], stdout=subprocess.PIPE, text=True
    )
    assert other.stdout is not None and other.stdout.readline().strip() == "held"
    with django_db_blocker.unblock(), transaction.atomic(using=file_db):
        went_in_after_release = marker.exists()
    other.wait(5)
    assert went_in_after_release


def test_a_writer_that_gave_up_on_another_process_leaves_no_lock_behind(
    file_db, django_db_blocker, tmp_path
):
    """The other process holds the queue past this connection's 1 s timeout:
    this transaction fails with "database is locked"; once the other process
    lets go, the lock taken on behalf of the one that gave up is not kept."""
    lock_file = connections.settings[file_db]["NAME"] + "-writers.lock"
    script = HOLDER.replace("time.sleep(0.3)", "time.sleep(1.5)")
    other = subprocess.Popen(  # noqa: S603 (this interpreter, a fixed script)
        [sys.executable, "-c", script, lock_file, str(tmp_path / "released")],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert other.stdout is not None and other.stdout.readline().strip() == "held"
    with django_db_blocker.unblock():
        with (
            pytest.raises(OperationalError, match="database is locked"),
            transaction.atomic(using=file_db),
        ):
            pass
        other.wait(5)
        with transaction.atomic(using=file_db), connections[file_db].cursor() as cursor:
            cursor.execute("UPDATE counter SET n = n + 1")
    # And another process can take it too: nothing of ours is left holding it.
    probe = subprocess.run(  # noqa: S603 (this interpreter, a fixed script)
        [
            sys.executable,
            "-c",
            "import fcntl, sys; fd = open(sys.argv[1], 'a'); "
            "fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB); print('free')",
            lock_file,
        ],
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert probe.stdout.strip() == "free", probe.stderr


def test_a_forked_child_closing_its_inherited_connection_does_not_free_the_parents_lock(
    file_db, django_db_blocker
):
    """The file lock belongs to the open file, shared after a fork: a child that
    closes the connection it inherited mid-transaction (the usual advice after a
    fork) must not let a third writer in beside the parent."""
    import os

    lock_file = connections.settings[file_db]["NAME"] + "-writers.lock"
    probe = (
        "import fcntl, sys; fd = open(sys.argv[1], 'a')\n"
        "try:\n    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB); print('free')\n"
        "except BlockingIOError:\n    print('held')\n"
    )

    def other_process_sees() -> str:
        done = subprocess.run(  # noqa: S603 (this interpreter, a fixed script)
            [sys.executable, "-c", probe, lock_file], capture_output=True, text=True, timeout=10
        )
        return done.stdout.strip()

    with django_db_blocker.unblock(), transaction.atomic(using=file_db):
        pid = os.fork()
        if pid == 0:  # the child: close what it inherited, then leave at once
            try:
                connections[file_db].close()
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        assert other_process_sees() == "held"
    assert other_process_sees() == "free"
