# ruff: noqa: S603 (subprocesses: this package's modules run with sys.executable,
# wrk and apt-get, with arguments built here: no outside input reaches them)
"""The mechanics of the FHIR load benchmark: the load generator (wrk, installed
from Debian when missing), the group of server processes, and what the
orchestrator reads from them between measurements (answer counters, CPU time,
peak memory). bench/fhir_load.py decides what to measure.
"""

from __future__ import annotations

import json
import os
import resource
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

from bench import ROOT

WRK_SCRIPT = ROOT / "bench" / "wrk" / "pick.lua"
HZ = os.sysconf("SC_CLK_TCK")


def ensure_wrk(log: Any) -> str:
    """wrk's path, installing Debian's package first if it is missing (the load
    generator is C: it takes a few % of a core where a Python one would take the
    core the server needs)."""
    found = shutil.which("wrk")
    if found:
        return found
    log("wrk is missing: apt-get update && apt-get install -y wrk")
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "wrk"]):
        done = subprocess.run([*sudo, *command], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(
                f"{' '.join(command)} failed ({done.stderr.strip()[-500:]}); as root run: "
                "apt-get update && apt-get install -y wrk"
            )
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("the wrk package installed but no wrk on PATH")
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process, all its threads (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / HZ


def machine_busy() -> tuple[float, float]:
    """(monotonic time, busy CPU seconds of the whole machine) from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return time.monotonic(), (user + nice + system + irq + softirq + steal) / HZ


def _status_mib(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mib(pid: int) -> float:
    """Peak resident set. With SQLite's file mapped (mmap_size) it counts the
    database pages read through the mapping: page cache, shared and reclaimable."""
    return _status_mib(pid, "VmHWM")


def private_rss_mib(pid: int) -> float:
    """Resident memory of the process's own (anonymous) pages, now."""
    return _status_mib(pid, "RssAnon")


class ServerGroup:
    """N processes of bench.fhir_server sharing one port (SO_REUSEPORT)."""

    def __init__(
        self,
        env: dict[str, str],
        *,
        processes: int,
        threads: int,
        work: Path,
        what_if: list[str],
        log_file: Path,
    ) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.counters_dir = work / "counters"
        self.what_if_stats: dict[int, dict[str, int]] = {}
        self.inflight: dict[int, int] = {}
        self.counters_dir.mkdir(parents=True, exist_ok=True)
        env = {
            **env,
            "HYGIE_BASE_URL": self.base_url,
            "DJANGO_SETTINGS_MODULE": "bench.bare_settings",
            "HYGIE_LOG_LEVEL": "WARNING",
        }
        command = [sys.executable, "-m", "bench.fhir_server", "--port", str(self.port)]
        command += ["--threads", str(threads), "--counters", str(self.counters_dir)]
        for name in what_if:
            command += ["--what-if", name]
        self.log = log_file.open("a")
        self.procs = [
            subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=self.log, text=True
            )
            for _ in range(processes)
        ]

    def __enter__(self) -> ServerGroup:
        deadline = time.monotonic() + 60
        for proc in self.procs:
            assert proc.stdout is not None
            wait = max(0.1, deadline - time.monotonic())
            ready, _, _ = select.select([proc.stdout], [], [], wait)
            if not ready or proc.stdout.readline().strip() != "ready":
                self.stop()
                raise SystemExit(f"a server process did not start: see {self.log.name}")
        with urllib.request.urlopen(self.base_url + "/fhir/R4/metadata", timeout=30) as answer:  # noqa: S310
            answer.read()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.log.close()

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def counters(self) -> dict[int, Counter[str]]:
        """Each process's answers so far, "<kind> <status>" → count."""
        for pid in self.pids:
            (self.counters_dir / f"{pid}.json").unlink(missing_ok=True)
            os.kill(pid, signal.SIGUSR1)
        deadline = time.monotonic() + 10
        found: dict[int, Counter[str]] = {}
        while len(found) < len(self.pids):
            if time.monotonic() > deadline:
                raise SystemExit("server processes did not report their counters")
            for pid in self.pids:
                path = self.counters_dir / f"{pid}.json"
                if pid not in found and path.exists():
                    dumped = json.loads(path.read_text())
                    found[pid] = Counter(dumped["answers"])
                    self.what_if_stats[pid] = dumped["what_if"]
                    self.inflight[pid] = dumped["inflight"]
            time.sleep(0.02)
        return found

    def settle(self) -> dict[int, Counter[str]]:
        """The counters once no request is in flight: wrk stops (or times out) with
        requests still in the servers, whose audit events and answers must fall
        on one side of the reading."""
        previous = self.counters()
        while True:
            time.sleep(0.3)
            current = self.counters()
            if current == previous and not any(self.inflight.values()):
                return current
            previous = current

    def cpu(self) -> dict[int, float]:
        return {pid: cpu_seconds(pid) for pid in self.pids}

    def peak_rss(self) -> dict[int, float]:
        return {pid: peak_rss_mib(pid) for pid in self.pids}

    def private_rss(self) -> dict[int, float]:
        return {pid: private_rss_mib(pid) for pid in self.pids}


def run_wrk(
    wrk: str,
    url: str,
    template: str,
    values: Path,
    token: str,
    *,
    connections: int,
    seconds: float,
) -> dict[str, Any]:
    """One wrk run (one thread: enough for a few thousand requests a second, and
    it leaves the cores to the servers). Returns wrk's WRKJSON line, plus the CPU
    seconds wrk used."""
    # --timeout 30s: a slow search under load must count in the latencies, not be
    # cut off as an error.
    command = [wrk, "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "30s"]
    command += ["-s", str(WRK_SCRIPT), url, "--", template, str(values), token]
    # The servers are children too, but are reaped only when stopped: between
    # these two readings, the only child that ends is wrk.
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    out, err = done.stdout, done.stderr
    if done.returncode != 0:
        raise SystemExit(f"wrk failed ({done.returncode}): {err.strip()[-1000:]}")
    lines = [line for line in out.splitlines() if line.startswith("WRKJSON ")]
    if not lines:
        raise SystemExit(f"wrk printed no WRKJSON line:\n{out[-2000:]}\n{err[-1000:]}")
    result: dict[str, Any] = json.loads(lines[-1].removeprefix("WRKJSON "))
    result["cpu_seconds"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return result
