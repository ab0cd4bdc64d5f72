# ruff: noqa: S603 (subprocesses are this package's modules and manage.py, run with
# sys.executable and fixed arguments: no outside input reaches them)
"""`python -m bench`: the benchmark of docs/performance.md, in one command.

Steps (each measurement in processes of its own, so patches and memory never leak):
1. data: bench/.data/ directories with N synthetic patients from the demo
   generator, one encrypted (production) and one in clear (baseline); made once,
   then reused (--regenerate to make them again).
2. demo: `manage.py demo --patients 10000` timed in a fresh data directory.
3. latency: 500 name-prefix searches and 500 patient pages as the treating
   doctor, in four variants: production, without audit, without encryption,
   without both. p50/p95/p99, queries per request, peak RSS, and a breakdown.
4. search SQL: the name search's query alone, now and as proposed.
5. throughput: the patient page in a closed loop, 1 and 2 processes (both
   cores) and 2 threads in one process (as `hygie serve`), with and without audit.
6. with --what-if: the proposed app changes, emulated, measured the same way.
Prints a table and writes bench/results/<time>-p<N>.json (and latest.json).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import ROOT, datadir, search_sql
from bench.machine import QUIET, Background, describe, wait_quiet
from bench.report import print_report
from bench.stats import summary

RESULTS = ROOT / "bench" / "results"
TARGETS = {
    "search_p95_ms": 30.0,
    "detail_p95_ms": 50.0,
    "demo_10k_seconds": 60.0,
    "audit_throughput_ratio": 0.5,
}
# (name, audit, encryption)
VARIANTS = [
    ("production", True, True),
    ("no audit", False, True),
    ("no encryption", True, False),
    ("neither", False, False),
]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def server_command(
    mode: str, data_dir: str, scenario: str, *, audit: bool, encryption: bool, extra: list[str]
) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "bench.server",
        mode,
        "--data-dir",
        data_dir,
        "--scenario",
        scenario,
        *extra,
    ]
    if not audit:
        command.append("--no-audit")
    if not encryption:
        command.append("--no-encryption")
    return command


def run_json(command: list[str], data_dir: str) -> dict[str, Any]:
    done = subprocess.run(
        command,
        cwd=ROOT,
        env=datadir.env_for(Path(data_dir)),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def latency_run(
    args: argparse.Namespace,
    data_dir: str,
    scenario: str,
    name: str,
    *,
    audit: bool,
    encryption: bool,
    what_if: tuple[str, ...] = (),
) -> dict[str, Any]:
    log(
        f"latency: {scenario}, {name}{' + ' + ', '.join(what_if) if what_if else ''} "
        f"({args.requests} requests)"
    )
    extra = [
        "--requests",
        str(args.requests),
        "--seed",
        str(args.seed),
        "--breakdown",
        str(args.breakdown),
    ]
    for change in what_if:
        extra += ["--what-if", change]
    if args.profile and name == "production" and not what_if:
        extra += ["--profile", str(args.profile)]
    wait_quiet(log)
    with Background() as background:
        out = run_json(
            server_command(
                "latency", data_dir, scenario, audit=audit, encryption=encryption, extra=extra
            ),
            data_dir,
        )
    samples = out.pop("samples_ms")
    return {
        "scenario": scenario,
        "variant": name,
        "audit": audit,
        "encryption": encryption,
        "what_if": list(what_if),
        **summary(samples),
        **out,
        "background_cpu": background.fraction,
    }


def latency(args: argparse.Namespace, dirs: dict[bool, dict[str, Any]]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for scenario in ("search", "detail"):
        for name, audit, encryption in VARIANTS:
            if encryption in dirs:
                results[f"{scenario}/{name}"] = latency_run(
                    args,
                    dirs[encryption]["path"],
                    scenario,
                    name,
                    audit=audit,
                    encryption=encryption,
                )
    return results


def throughput_run(
    args: argparse.Namespace,
    data_dir: str,
    *,
    audit: bool,
    workers: int,
    threads: int = 1,
    what_if: tuple[str, ...] = (),
) -> dict[str, Any]:
    log(
        f"throughput: patient page, {workers} process(es) x {threads} thread(s), "
        f"audit {'on' if audit else 'off'}"
        f"{' + ' + ', '.join(what_if) if what_if else ''} ({args.seconds:.0f} s)"
    )
    wait_quiet(log)
    with Background() as background:
        outs = _throughput_workers(
            args, data_dir, audit=audit, workers=workers, threads=threads, what_if=what_if
        )
    samples = [s for out in outs for s in out["samples_ms"]]
    seconds = max(out["seconds"] for out in outs)
    return {
        "audit": audit,
        "workers": workers,
        "threads": threads,
        "what_if": list(what_if),
        "requests": len(samples),
        "seconds": seconds,
        "rps": len(samples) / seconds,
        "latency": summary(samples),
        "peak_rss_mib": max(o["peak_rss_mib"] for o in outs),
        "background_cpu": background.fraction,
    }


def _throughput_workers(
    args: argparse.Namespace,
    data_dir: str,
    *,
    audit: bool,
    workers: int,
    threads: int,
    what_if: tuple[str, ...],
) -> list[dict[str, Any]]:
    procs = []
    for i in range(workers):
        extra = [
            "--seconds",
            str(args.seconds),
            "--seed",
            str(args.seed + 100 + i),
            "--threads",
            str(threads),
        ]
        for change in what_if:
            extra += ["--what-if", change]
        command = server_command(
            "throughput", data_dir, "detail", audit=audit, encryption=True, extra=extra
        )
        procs.append(
            subprocess.Popen(
                command,
                cwd=ROOT,
                env=datadir.env_for(Path(data_dir)),
                text=True,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        )
    try:
        for proc in procs:  # every worker warmed up before anyone starts
            assert proc.stdout is not None
            if proc.stdout.readline().strip() != "ready":
                raise SystemExit("a throughput worker failed to start (its error is above)")
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        outs = []
        for proc in procs:
            stdout, _ = proc.communicate()
            if proc.returncode != 0:
                raise SystemExit("a throughput worker failed (its error is above)")
            outs.append(json.loads(stdout.strip().splitlines()[-1]))
    finally:
        for proc in procs:  # the others, if one failed: they would wait for "go" forever
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return outs


def throughput(args: argparse.Namespace, data_dir: str) -> dict[str, Any]:
    """Processes use both cores; threads in one process are what `hygie serve`
    (waitress) does, so they show what the GIL leaves of the second core."""
    results = {}
    for audit in (True, False):
        for workers, threads in ((1, 1), (2, 1), (1, 2)):
            key = f"audit={'on' if audit else 'off'}/workers={workers}/threads={threads}"
            results[key] = throughput_run(
                args, data_dir, audit=audit, workers=workers, threads=threads
            )
    return results


WHAT_IF_LATENCY = [
    ("search", ("search-token-driven",)),
    ("search", ("search-list-columns",)),
    ("search", ("persistent-connections",)),
    ("search", ("synchronous-normal",)),
    ("search", ("search-token-driven", "search-list-columns", "persistent-connections")),
    ("detail", ("persistent-connections",)),
    ("detail", ("synchronous-normal",)),
]
WHAT_IF_THROUGHPUT = [("synchronous-normal",), ("persistent-connections",)]


def what_if(args: argparse.Namespace, dirs: dict[bool, dict[str, Any]]) -> dict[str, Any]:
    """The proposed app changes of docs/performance.md, each emulated (bench.whatif)
    and measured against the production figures of the same run."""
    path = dirs[True]["path"]
    results: dict[str, Any] = {}
    for scenario, changes in WHAT_IF_LATENCY:
        results[f"latency/{scenario}/{' + '.join(changes)}"] = latency_run(
            args, path, scenario, "production", audit=True, encryption=True, what_if=changes
        )
    for changes in WHAT_IF_THROUGHPUT:
        results[f"throughput/{' + '.join(changes)}"] = throughput_run(
            args, path, audit=True, workers=2, what_if=changes
        )
    return results


def demo_timing(args: argparse.Namespace) -> dict[str, Any]:
    """The user's command, as the issue states it, in a fresh data directory."""
    path = datadir.DATA_ROOT / "demo-timing"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    env = datadir.env_for(path)
    try:
        for step in (["migrate", "--noinput", "-v0"], ["createcachetable"]):
            datadir.run_checked([sys.executable, "manage.py", *step], env)
        command = [
            sys.executable,
            "manage.py",
            "demo",
            "--patients",
            str(args.demo_patients),
            "--seed",
            str(args.seed),
            "--json",
        ]
        log(f"demo: {args.demo_patients} patients")
        wait_quiet(log)
        started = time.monotonic()
        with Background() as background:
            done = datadir.run_checked(command, env)
        wall = time.monotonic() - started
    finally:
        shutil.rmtree(path, ignore_errors=True)
    reported = json.loads(done.stdout.strip().splitlines()[-1])["seconds"]
    return {
        "patients": args.demo_patients,
        "reported_seconds": reported,
        "wall_seconds": round(wall, 1),
        "background_cpu": background.fraction,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=500, help="per latency run")
    parser.add_argument(
        "--breakdown", type=int, default=200, help="requests timed again with seam timers (0: none)"
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="per throughput run")
    parser.add_argument("--demo-patients", type=int, default=10_000)
    parser.add_argument(
        "--profile", type=int, default=0, help="cProfile this many production requests per scenario"
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="before each step, wait up to this long for other processes "
        "to leave the CPU idle (0: never wait)",
    )
    parser.add_argument(
        "--regenerate",
        action="store_true",
        help="generate the data directories again even if they exist",
    )
    parser.add_argument(
        "--what-if",
        action="store_true",
        help="also measure the proposed app changes (bench.whatif)",
    )
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=["demo", "baseline", "latency", "search-sql", "throughput"],
        help="leave a step out (repeatable); baseline = the plaintext data",
    )
    args = parser.parse_args()

    QUIET["max_wait"] = args.wait_quiet
    stamp = time.strftime("%Y%m%d-%H%M%S")
    started = time.monotonic()
    result: dict[str, Any] = {
        "started_at": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": describe(),
        "targets": TARGETS,
        "args": {k: v for k, v in vars(args).items()},
    }
    log(f"data: {args.patients} patients, seed {args.seed}")
    dirs = {
        True: datadir.ensure(
            args.patients, args.seed, encryption=True, regenerate=args.regenerate, log=log
        )
    }
    if "baseline" not in args.skip:
        dirs[False] = datadir.ensure(
            args.patients, args.seed, encryption=False, regenerate=args.regenerate, log=log
        )
    result["data"] = {("encrypted" if k else "plaintext"): v for k, v in dirs.items()}
    if "demo" not in args.skip:
        result["demo"] = demo_timing(args)
    if "latency" not in args.skip:
        result["latency"] = latency(args, dirs)
        for row in result["latency"].values():
            if "profile" in row:  # cProfile text: a file of its own, named in the JSON
                RESULTS.mkdir(exist_ok=True)
                path = RESULTS / f"{stamp}-p{args.patients}-profile-{row['scenario']}.txt"
                path.write_text(row.pop("profile"))
                row["profile_file"] = str(path.relative_to(ROOT))
    if "search-sql" not in args.skip:
        log("search SQL alone, on a copy of the database")
        result["search_sql"] = search_sql.measure(dirs[True]["path"])
    if "throughput" not in args.skip:
        result["throughput"] = throughput(args, dirs[True]["path"])
    if args.what_if:
        result["what_if"] = what_if(args, dirs)
    result["elapsed_seconds"] = round(time.monotonic() - started, 1)

    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{stamp}-p{args.patients}.json"
    text = json.dumps(result, indent=2, default=str)
    path.write_text(text)
    (RESULTS / "latest.json").write_text(text)
    print_report(result)
    print(f"\nJSON: {path.relative_to(ROOT)}  ({result['elapsed_seconds']:.0f} s)")


if __name__ == "__main__":
    main()
