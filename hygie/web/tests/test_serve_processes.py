"""`hygie serve --processes N`: N serving processes on one address, stopped
together; the parent runs no server itself."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.mark.skipif(not hasattr(socket, "SO_REUSEPORT"), reason="Linux only")
def test_two_processes_serve_one_port_and_stop_with_the_parent(tmp_path: Path) -> None:
    env = {
        k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("HYGIE_")
    }
    env["HYGIE_DATA_DIR"] = str(tmp_path)
    manage = str(Path(settings.BASE_DIR) / "manage.py")
    migrated = subprocess.run(  # noqa: S603 (our own interpreter and script)
        [sys.executable, manage, "migrate", "--no-input", "-v", "0"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert migrated.returncode == 0, migrated.stderr
    port = free_port()
    parent = subprocess.Popen(  # noqa: S603
        [sys.executable, manage, "serve", "--port", str(port), "--processes", "2", "--no-jobs"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        answered = 0
        while time.monotonic() < deadline and answered < 10:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/sante/", timeout=5) as r:
                    answered += r.status == 200
            except OSError:
                time.sleep(0.3)
        assert answered == 10
        servers = children_of(parent.pid)
        assert len(servers) == 2
    finally:
        parent.send_signal(signal.SIGINT)
        parent.wait(timeout=30)
    time.sleep(0.5)
    assert all(
        not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
        for pid in servers
    )


def test_a_number_of_processes_out_of_range_is_refused(tmp_path: Path) -> None:
    env = {
        k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("HYGIE_")
    }
    env["HYGIE_DATA_DIR"] = str(tmp_path)
    manage = str(Path(settings.BASE_DIR) / "manage.py")
    done = subprocess.run(  # noqa: S603
        [sys.executable, manage, "serve", "--processes", "0"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "--processes" in done.stderr
