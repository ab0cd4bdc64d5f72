"""The machine a run measures: what it is, and how busy others keep it.

The benchmark often shares its machine (other people's test runs): each step waits
for a quiet moment (wait_quiet) and records how much CPU other processes used
while it ran (Background), so a figure always comes with how noisy it may be.
"""

from __future__ import annotations

import contextlib
import os
import platform
import resource
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import datadir
from bench.stats import summary


class Background:
    """How busy the machine was with OTHER processes during a step, as a fraction
    of all cores: (busy CPU time from /proc/stat) - (CPU time of the bench and its
    children). Others' test runs on a shared machine inflate our figures; this
    says by how much the machine was shared, next to each figure."""

    def __enter__(self) -> Background:
        self.start = self._sample()
        return self

    def __exit__(self, *exc: object) -> None:
        end = self._sample()
        wall = end[0] - self.start[0]
        busy = end[1] - self.start[1]
        ours = end[2] - self.start[2]
        self.fraction = max(0.0, (busy - ours) / (wall * (os.cpu_count() or 1))) if wall else 0.0

    @staticmethod
    def _sample() -> tuple[float, float, float]:
        hz = os.sysconf("SC_CLK_TCK")
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
        busy = (user + nice + system + irq + softirq + steal) / hz
        me, children = (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
        ours = me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime
        return time.monotonic(), busy, ours


QUIET = {"max_wait": 0.0, "threshold": 0.10}


def wait_quiet(log: Callable[[str], None]) -> None:
    """Before a measured step: wait (up to --wait-quiet seconds) until other
    processes use less than 10% of the machine over 2 s."""
    deadline = time.monotonic() + QUIET["max_wait"]
    while QUIET["max_wait"] > 0:
        with Background() as probe:
            time.sleep(2)
        if probe.fraction < QUIET["threshold"]:
            return
        if time.monotonic() > deadline:
            log(f"machine still busy ({probe.fraction:.0%} used by others): measuring anyway")
            return


def fsync_probe() -> dict[str, float]:
    """The disk's fsync latency where the data lives: every audited read commits,
    and synchronous=FULL makes each commit wait for one."""
    datadir.DATA_ROOT.mkdir(parents=True, exist_ok=True)
    path = datadir.DATA_ROOT / ".fsync-probe"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    samples = []
    try:
        for _ in range(200):
            os.write(fd, b"x" * 4096)
            started = time.perf_counter()
            os.fsync(fd)
            samples.append((time.perf_counter() - started) * 1000)
    finally:
        os.close(fd)
        path.unlink()
    return {k: summary(samples)[k] for k in ("p50", "p95", "mean")}


def describe() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    with contextlib.suppress(OSError):
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split(":", 1)[1].strip()
    versions = {}
    for package in ("django", "cryptography", "allauth"):
        try:
            versions[package] = __import__(package).__version__
        except (ImportError, AttributeError):
            versions[package] = "?"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": mem,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "kernel": platform.release(),
        **versions,
        "git_head": datadir.git_head(),
        "fsync_ms": fsync_probe(),
        "load_average": os.getloadavg(),
    }
