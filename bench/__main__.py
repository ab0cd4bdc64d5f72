"""`python -m bench`: the benchmark of docs/performance.md, in one command.

Steps (each in processes of their own, so patches and memory never leak):
1. data: bench/.data/ directories with N synthetic patients from the demo
   generator, one encrypted (production) and one in clear (baseline); made once,
   then reused.
2. demo: `manage.py demo --patients 10000` timed in a fresh data directory.
3. latency: 500 name-prefix searches and 500 patient pages as the treating
   doctor, in four variants: production, without audit, without encryption,
   without both. p50/p95/p99, queries per request, peak RSS, and a breakdown.
4. throughput: the patient page in a closed loop by 1 and 2 worker processes
   (2 cores), with and without audit.
Prints a table and writes bench/results/<time>.json (and latest.json).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import ROOT, datadir
from bench.report import print_report
from bench.stats import summary

RESULTS = ROOT / "bench" / "results"
TARGETS = {"search_p95_ms": 30.0, "detail_p95_ms": 50.0, "demo_10k_seconds": 60.0,
           "audit_throughput_ratio": 0.5}
# (name, audit, encryption)
VARIANTS = [("production", True, True), ("no audit", False, True),
            ("no encryption", True, False), ("neither", False, False)]


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
        import resource

        hz = os.sysconf("SC_CLK_TCK")
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
        busy = (user + nice + system + irq + softirq + steal) / hz
        me, children = (resource.getrusage(resource.RUSAGE_SELF),
                        resource.getrusage(resource.RUSAGE_CHILDREN))
        ours = me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime
        return time.monotonic(), busy, ours


QUIET = {"max_wait": 0.0, "threshold": 0.10}


def wait_quiet() -> None:
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


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def server_command(mode: str, data_dir: str, scenario: str, *, audit: bool, encryption: bool,
                   extra: list[str]) -> list[str]:
    command = [sys.executable, "-m", "bench.server", mode, "--data-dir", data_dir,
               "--scenario", scenario, *extra]
    if not audit:
        command.append("--no-audit")
    if not encryption:
        command.append("--no-encryption")
    return command


def run_json(command: list[str], data_dir: str) -> dict[str, Any]:
    done = subprocess.run(command, cwd=ROOT, env=datadir.env_for(Path(data_dir)),
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def latency_run(args: argparse.Namespace, data_dir: str, scenario: str, name: str, *,
                audit: bool, encryption: bool, what_if: tuple[str, ...] = ()) -> dict[str, Any]:
    log(f"latency: {scenario}, {name}{' + ' + ', '.join(what_if) if what_if else ''} "
        f"({args.requests} requests)")
    extra = ["--requests", str(args.requests), "--seed", str(args.seed),
             "--breakdown", str(args.breakdown)]
    for change in what_if:
        extra += ["--what-if", change]
    if args.profile and name == "production" and not what_if:
        extra += ["--profile", str(args.profile)]
    wait_quiet()
    with Background() as background:
        out = run_json(server_command("latency", data_dir, scenario, audit=audit,
                                      encryption=encryption, extra=extra), data_dir)
    samples = out.pop("samples_ms")
    return {"scenario": scenario, "variant": name, "audit": audit, "encryption": encryption,
            "what_if": list(what_if), **summary(samples), **out,
            "background_cpu": background.fraction}


def latency(args: argparse.Namespace, dirs: dict[bool, dict[str, Any]]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for scenario in ("search", "detail"):
        for name, audit, encryption in VARIANTS:
            if encryption in dirs:
                results[f"{scenario}/{name}"] = latency_run(
                    args, dirs[encryption]["path"], scenario, name, audit=audit,
                    encryption=encryption)
    return results


def throughput_run(args: argparse.Namespace, data_dir: str, *, audit: bool, workers: int,
                   what_if: tuple[str, ...] = ()) -> dict[str, Any]:
    log(f"throughput: patient page, {workers} worker(s), audit {'on' if audit else 'off'}"
        f"{' + ' + ', '.join(what_if) if what_if else ''} ({args.seconds:.0f} s)")
    wait_quiet()
    with Background() as background:
        outs = _throughput_workers(args, data_dir, audit=audit, workers=workers,
                                   what_if=what_if)
    samples = [s for out in outs for s in out["samples_ms"]]
    seconds = max(out["seconds"] for out in outs)
    return {"audit": audit, "workers": workers, "what_if": list(what_if),
            "requests": len(samples), "seconds": seconds, "rps": len(samples) / seconds,
            "latency": summary(samples), "peak_rss_mib": max(o["peak_rss_mib"] for o in outs),
            "background_cpu": background.fraction}


def _throughput_workers(args: argparse.Namespace, data_dir: str, *, audit: bool, workers: int,
                        what_if: tuple[str, ...]) -> list[dict[str, Any]]:
    procs = []
    for i in range(workers):
        extra = ["--seconds", str(args.seconds), "--seed", str(args.seed + 100 + i)]
        for change in what_if:
            extra += ["--what-if", change]
        command = server_command("throughput", data_dir, "detail", audit=audit,
                                 encryption=True, extra=extra)
        procs.append(subprocess.Popen(command, cwd=ROOT, env=datadir.env_for(Path(data_dir)),
                                      text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE))
    for proc in procs:  # every worker warmed up before anyone starts
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "ready":
            raise SystemExit("a throughput worker failed to start")
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    outs = []
    for proc in procs:
        stdout, _ = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit("a throughput worker failed")
        outs.append(json.loads(stdout.strip().splitlines()[-1]))
    return outs


def throughput(args: argparse.Namespace, data_dir: str) -> dict[str, Any]:
    return {f"audit={'on' if audit else 'off'}/workers={workers}":
            throughput_run(args, data_dir, audit=audit, workers=workers)
            for audit in (True, False) for workers in (1, 2)}


def what_if(args: argparse.Namespace, dirs: dict[bool, dict[str, Any]]) -> dict[str, Any]:
    """The proposed app changes of docs/performance.md, each emulated (bench.whatif)
    and measured against the production figures of the same run."""
    path = dirs[True]["path"]
    results: dict[str, Any] = {}
    for scenario, changes in (
        ("search", ["search-token-driven", "persistent-connections", "synchronous-normal"]),
        ("detail", ["patient-page-one-decision", "persistent-connections",
                    "synchronous-normal"]),
    ):
        for change in changes:
            results[f"latency/{scenario}/{change}"] = latency_run(
                args, path, scenario, "production", audit=True, encryption=True,
                what_if=(change,))
    for change in ("synchronous-normal", "persistent-connections"):
        results[f"throughput/{change}"] = throughput_run(args, path, audit=True, workers=2,
                                                         what_if=(change,))
    if "demo" not in args.skip:
        results["demo/pinned-key-version"] = demo_timing(args, what_if=("pinned-key-version",))
    return results


def demo_timing(args: argparse.Namespace, what_if: tuple[str, ...] = ()) -> dict[str, Any]:
    """The user's command, as the issue states it, in a fresh data directory (with a
    what-if, bench.seed runs the same command in process, after migrate)."""
    path = datadir.DATA_ROOT / "demo-timing"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    env = datadir.env_for(path)
    demo = ["--patients", str(args.demo_patients), "--seed", str(args.seed)]
    try:
        if what_if:
            command = [sys.executable, "-m", "bench.seed", "--data-dir", str(path), *demo]
            for change in what_if:
                command += ["--what-if", change]
        else:
            for step in (["migrate", "--noinput", "-v0"], ["createcachetable"]):
                subprocess.run([sys.executable, "manage.py", *step], cwd=ROOT, env=env,
                               check=True)
            command = [sys.executable, "manage.py", "demo", *demo, "--json"]
        log(f"demo: {args.demo_patients} patients{' + ' + ', '.join(what_if) if what_if else ''}")
        wait_quiet()
        started = time.monotonic()
        with Background() as background:
            done = subprocess.run(command, cwd=ROOT, env=env, check=True,
                                  capture_output=True, text=True)
        wall = time.monotonic() - started
    finally:
        shutil.rmtree(path, ignore_errors=True)
    reported = json.loads(done.stdout.strip().splitlines()[-1])["seconds"]
    return {"patients": args.demo_patients, "what_if": list(what_if),
            "reported_seconds": reported, "wall_seconds": round(wall, 1),
            "background_cpu": background.fraction}


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split(":", 1)[1].strip()
    except OSError:
        pass
    versions = {}
    for package in ("django", "cryptography", "allauth"):
        try:
            versions[package] = __import__(package).__version__
        except (ImportError, AttributeError):
            versions[package] = "?"
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": mem,
            "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            "kernel": platform.release(), **versions, "git_head": datadir.git_head()}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=500, help="per latency run")
    parser.add_argument("--breakdown", type=int, default=200,
                        help="requests timed again with seam timers (0: none)")
    parser.add_argument("--seconds", type=float, default=20.0, help="per throughput run")
    parser.add_argument("--demo-patients", type=int, default=10_000)
    parser.add_argument("--profile", type=int, default=0,
                        help="cProfile this many production requests per scenario")
    parser.add_argument("--wait-quiet", type=float, default=60.0, metavar="SECONDS",
                        help="before each step, wait up to this long for other processes "
                             "to leave the CPU idle (0: never wait)")
    parser.add_argument("--what-if", action="store_true",
                        help="also measure the proposed app changes (bench.whatif)")
    parser.add_argument("--skip", action="append", default=[],
                        choices=["demo", "baseline", "latency", "throughput"],
                        help="leave a step out (repeatable); baseline = the plaintext data")
    args = parser.parse_args()

    QUIET["max_wait"] = args.wait_quiet
    started = time.monotonic()
    result: dict[str, Any] = {"started_at": time.strftime("%Y-%m-%d %H:%M:%S"),
                              "machine": machine(), "targets": TARGETS,
                              "args": {k: v for k, v in vars(args).items()}}
    log(f"data: {args.patients} patients, seed {args.seed}")
    dirs = {True: datadir.ensure(args.patients, args.seed, encryption=True, log=log)}
    if "baseline" not in args.skip:
        dirs[False] = datadir.ensure(args.patients, args.seed, encryption=False, log=log)
    result["data"] = {("encrypted" if k else "plaintext"): v for k, v in dirs.items()}
    if "demo" not in args.skip:
        result["demo"] = demo_timing(args)
    if "latency" not in args.skip:
        result["latency"] = latency(args, dirs)
    if "throughput" not in args.skip:
        result["throughput"] = throughput(args, dirs[True]["path"])
    if args.what_if:
        result["what_if"] = what_if(args, dirs)
    result["elapsed_seconds"] = round(time.monotonic() - started, 1)

    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = RESULTS / f"{stamp}-p{args.patients}.json"
    text = json.dumps(result, indent=2, default=str)
    path.write_text(text)
    (RESULTS / "latest.json").write_text(text)
    print_report(result)
    print(f"\nJSON: {path.relative_to(ROOT)}  ({result['elapsed_seconds']:.0f} s)")


if __name__ == "__main__":
    main()
