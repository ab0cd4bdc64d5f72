# ruff: noqa: S603 (subprocesses are this package's modules, run with sys.executable
# and arguments built here: no outside input reaches them)
"""`python -m bench.fhir_load`: the FHIR API under load (issue 3), over HTTP.

For each database (SQLite in embedded mode, PostgreSQL in hosted mode), on the
100,000-patient synthetic practice (bench.datadir, bench.pgdata):
1. register a backend client (`hygie apiclient create --jwks`), draw patient ids
   and 3-letter name prefixes (bench.fhir_prepare);
2. start --processes server processes on one port (bench.fhir_server: waitress,
   SO_REUSEPORT) and, per measurement, get a fresh access token over HTTP;
3. run wrk against: Patient read of random ids, name search with two 3-letter
   prefixes (family, given) drawn from the data, and the bare view
   (bench/bare_urls.py) doing the same row lookup without token, access check,
   audit, decryption or mapping; each at one connection (latency) and at
   --connections (throughput);
4. check every answer was 2xx and that the audit log gained exactly the events
   the answers imply (a read: one; a search: one, plus one per patient
   shown); record CPU of servers, wrk and others, and peak RSS;
5. unless --skip-what-if: the read again under emulated changes
   (bench.fhir_whatif);
6. unless --breakdown 0: where one read's time goes (bench.fhir_breakdown).
Prints tables; writes bench/results/<time>-fhir-p<N>.json and fhir-latest.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import ROOT, datadir, pgdata
from bench.fhir_report import print_report
from bench.fhir_run import ServerGroup, ensure_wrk, machine_busy, run_wrk
from bench.fhir_token import ClientKey, fetch_token
from bench.machine import describe

RESULTS = ROOT / "bench" / "results"
SCOPES = "system/Patient.rs"
# name -> (path template for pick.lua, values file, authenticated and audited)
SCENARIOS: dict[str, tuple[str, str, bool]] = {
    "read": ("/fhir/R4/Patient/%s", "ids.txt", True),
    "search": ("/fhir/R4/Patient?name=%s", "queries.txt", True),
    "bare": ("/_bench/bare/patient/%s", "ids.txt", False),
}
# name -> (bench.fhir_whatif changes, server processes or None for --processes,
# databases it applies to)
BOTH = ("sqlite", "postgres")
WHAT_IFS: dict[str, tuple[list[str], int | None, tuple[str, ...]]] = {
    "no fsync per commit": (["no-fsync"], None, BOTH),
    # SQLite's writers now queue (hygie/core/sqlite/write_queue.py): group commit
    # can be measured there too.
    "audit group commit": (["audit-group-commit"], None, BOTH),
    "group commit + no fsync": (["audit-group-commit", "no-fsync"], None, BOTH),
    "GIL switch interval 0.5 ms": (["switch-interval"], None, BOTH),
    "4 processes": ([], 4, BOTH),
    "audit off (ceiling, not a proposal)": (["audit-off"], None, BOTH),
}
WARMUP_SECONDS = 3.0
TOKEN_SECONDS = 300  # settings.OAUTH2_PROVIDER["ACCESS_TOKEN_EXPIRE_SECONDS"]


def log(message: str) -> None:
    print(f"[fhir-load {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class Target:
    """One database under test and what the run needs to talk to it."""

    db: str
    env: dict[str, str]
    data: dict[str, Any]
    work: Path
    key: ClientKey
    client: dict[str, Any]

    def audit_events(self) -> Counter[int]:
        """Events recorded for this run's client (grants.py's user_label), by type."""
        sql = "SELECT event_type, count(*) FROM audit_auditevent WHERE user_label = {} GROUP BY 1"
        label = self.client["user_label"]
        if self.db == "sqlite":
            uri = f"file:{Path(self.data['path']) / 'hygie.sqlite3'}?mode=ro"
            with closing(sqlite3.connect(uri, uri=True, timeout=30)) as conn:
                rows = conn.execute(sql.format("?"), (label,)).fetchall()
        else:
            import psycopg

            with psycopg.connect(self.data["database_url"]) as conn:
                rows = conn.execute(sql.format("%s"), (label,)).fetchall()  # type: ignore[arg-type]
        return Counter({int(kind): int(n) for kind, n in rows})

    def expected_events(self, scenario: str, served: Counter[str]) -> Counter[int]:
        """The audit events the answers imply: a read, one read event; a search,
        one search event and one read event per patient shown."""
        types = self.client["event_types"]
        if scenario == "read":
            return Counter({types["read"]: served["read 200"]})
        if scenario == "search":
            return Counter(
                {types["search"]: served["search 200"], types["read"]: served["search shown"]}
            )
        return Counter()


def prepare(db: str, args: argparse.Namespace) -> Target:
    if db == "sqlite":
        data = datadir.ensure(
            args.patients, args.seed, encryption=True, regenerate=args.regenerate, log=log
        )
        env = datadir.env_for(Path(data["path"]))
    else:
        data = pgdata.ensure(args.patients, args.seed, regenerate=args.regenerate, log=log)
        env = pgdata.env_for(Path(data["path"]), data["database_url"])
    work = Path(tempfile.mkdtemp(prefix=f"fhir-load-{db}-"))
    key = ClientKey.generate()
    key.write_jwks(work / "jwks.json")
    (work / "key.json").write_text(json.dumps({**key.key.as_dict(private=True), "kid": key.kid}))
    done = datadir.run_checked(
        [
            *(sys.executable, "-m", "bench.fhir_prepare", "--jwks", str(work / "jwks.json")),
            *("--out", str(work), "--seed", str(args.seed)),
        ],
        env,
    )
    client = json.loads(done.stdout.strip().splitlines()[-1])
    (work / "client.json").write_text(json.dumps(client))  # to rerun a step by hand
    log(f"{db}: client {client['client_id']} registered, {client['patients']} patients")
    return Target(db, env, data, work, key, client)


def answers(before: dict[int, Counter[str]], after: dict[int, Counter[str]]) -> dict[str, Any]:
    """What the servers answered between two readings: by "<kind> <status>", and
    per process (how evenly the kernel spread the connections)."""
    total: Counter[str] = Counter()
    per_process = {}
    for pid, counts in after.items():
        delta = counts - before.get(pid, Counter())
        total += delta
        per_process[str(pid)] = sum(delta.values())
    return {"by_status": dict(total), "per_process": per_process}


def measure(
    group: ServerGroup,
    target: Target,
    wrk: str,
    scenario: str,
    connections: int,
    seconds: float,
    *,
    audit_on: bool = True,
) -> dict[str, Any]:
    """One wrk run after a warm-up, with its checks. `audit_on`: False when a
    what-if takes the audit out (then no event is expected)."""
    template, values, authenticated = SCENARIOS[scenario]
    audited = authenticated and audit_on
    if WARMUP_SECONDS + seconds + 30 > TOKEN_SECONDS:
        raise SystemExit(f"--duration {seconds}: a token lasts {TOKEN_SECONDS} s")
    token = (
        fetch_token(group.base_url, target.client["client_id"], target.key, SCOPES)
        if authenticated
        else ""
    )
    values_file = target.work / values

    def load(duration: float) -> dict[str, Any]:
        return run_wrk(
            wrk,
            group.base_url,
            template,
            values_file,
            token,
            connections=connections,
            seconds=duration,
        )

    load(WARMUP_SECONDS)  # connections, caches, lazy imports in every process
    before = group.settle()
    audit_before = target.audit_events()
    cpu_before, (t0, busy0) = group.cpu(), machine_busy()
    self0 = resource.getrusage(resource.RUSAGE_SELF)
    out = load(seconds)
    cpu_after, (t1, busy1) = group.cpu(), machine_busy()
    self1 = resource.getrusage(resource.RUSAGE_SELF)
    after = group.settle()
    audit_events = target.audit_events() - audit_before
    served = answers(before, after)
    statuses = {k: n for k, n in served["by_status"].items() if k != "search shown"}
    ok = sum(n for key, n in statuses.items() if key.split()[1].startswith("2"))
    failed = sum(statuses.values()) - ok
    expected = target.expected_events(scenario, Counter(served["by_status"])) if audited else {}
    wall = t1 - t0
    server_cpu = sum(cpu_after[p] - cpu_before[p] for p in cpu_after)
    own = (self1.ru_utime + self1.ru_stime) - (self0.ru_utime + self0.ru_stime)
    wrk_errors = {k: v for k, v in out["errors"].items() if v}
    lat = {k: v / 1000 for k, v in out["latency_us"].items()}
    result = {
        "scenario": scenario,
        "connections": connections,
        "seconds": out["duration_us"] / 1e6,
        "requests": out["requests"],
        "throughput": out["requests"] / (out["duration_us"] / 1e6),
        "latency_ms": lat,
        "wrk_errors": wrk_errors,
        "served": served,
        "non_2xx": failed,
        "audited_answers": ok if audited else 0,
        "audit_events": sum(audit_events.values()),
        "audit_events_by_type": {str(k): n for k, n in audit_events.items()},
        "audit_events_expected": sum(expected.values()),
        "audit_ok": audit_events == Counter(expected),
        "cpu_cores": {
            "servers": server_cpu / wall,
            "per_server": [(cpu_after[p] - cpu_before[p]) / wall for p in cpu_after],
            "wrk": out["cpu_seconds"] / wall,
            "others": max(0.0, (busy1 - busy0) - server_cpu - out["cpu_seconds"] - own) / wall,
        },
        "peak_rss_mib": list(group.peak_rss().values()),
        "private_rss_mib": list(group.private_rss().values()),
    }
    stats = [group.what_if_stats.get(pid, {}) for pid in group.pids]
    if any(stats):
        result["what_if_stats"] = stats
    result["valid"] = failed == 0 and not wrk_errors and result["audit_ok"]
    log(
        f"  {scenario:<6} c={connections:<3} {result['throughput']:7.1f} req/s  "
        f"p50 {lat['p50']:.1f}  p95 {lat['p95']:.1f} ms  non-2xx {failed}  "
        f"audit events {result['audit_events']}/{result['audit_events_expected']} expected"
        f"{'' if result['valid'] else '  INVALID'}"
    )
    return result


def servers(target: Target, args: argparse.Namespace, what_if: list[str], n: int) -> ServerGroup:
    return ServerGroup(
        target.env,
        processes=n,
        threads=args.threads,
        work=target.work,
        what_if=what_if,
        log_file=args.server_log,
    )


def run_database(db: str, args: argparse.Namespace, wrk: str) -> dict[str, Any]:
    target = prepare(db, args)
    result: dict[str, Any] = {"client": target.client, "data": target.data}
    production: dict[str, Any] = {}
    log(f"{db}: {args.processes} processes x {args.threads} threads")
    with servers(target, args, [], args.processes) as group:
        for scenario in SCENARIOS:
            # One connection: the latency of a request alone. --connections: the
            # throughput of both cores, with the queueing that saturation brings.
            plan = ((1, args.latency_duration), (args.connections, args.duration))
            for connections, seconds in plan:
                production[f"{scenario}/c{connections}"] = measure(
                    group, target, wrk, scenario, connections, seconds
                )
    result["production"] = production
    if not args.skip_what_if:
        result["what_if"] = {}
        for name, (changes, processes, dbs) in WHAT_IFS.items():
            if db not in dbs or (args.what_if and name not in args.what_if):
                continue
            log(f"{db}: what if: {name}")
            with servers(target, args, changes, processes or args.processes) as group:
                result["what_if"][name] = measure(
                    group,
                    target,
                    wrk,
                    "read",
                    args.connections,
                    args.duration,
                    audit_on="audit-off" not in changes,
                )
    if args.breakdown:
        log(f"{db}: breakdown of one read ({args.breakdown} requests, in process)")
        result["breakdown"] = breakdown(target, args)
    shutil.rmtree(target.work)  # the client's private key, the ids: this run's only
    return result


def breakdown(target: Target, args: argparse.Namespace) -> dict[str, Any]:
    out = args.results_dir / f"{args.stamp}-{target.db}"
    out.mkdir(parents=True, exist_ok=True)
    done = datadir.run_checked(
        [
            *(sys.executable, "-m", "bench.fhir_breakdown"),
            *("--client-id", target.client["client_id"], "--key", str(target.work / "key.json")),
            *("--ids", str(target.work / "ids.txt"), "--out", str(out)),
            *("--prefixes", str(target.work / "prefixes.txt")),
            *("--queries", str(target.work / "queries.txt")),
            *("--requests", str(args.breakdown), "--profile", str(args.breakdown)),
        ],
        target.env,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.fhir_load",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--duration", type=float, default=20, help="seconds per throughput run")
    parser.add_argument("--latency-duration", type=float, default=10, help="seconds, 1 connection")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--processes", type=int, default=2, help="server processes (cores)")
    parser.add_argument(
        "--threads", type=int, default=8, help="waitress threads per process (hygie serve: 8)"
    )
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--regenerate", action="store_true", help="make the data again")
    parser.add_argument("--skip-what-if", action="store_true")
    parser.add_argument(
        "--what-if", action="append", choices=sorted(WHAT_IFS), help="only these (repeatable)"
    )
    parser.add_argument("--breakdown", type=int, default=300, help="reads in process; 0 skips")
    return parser.parse_args(argv)


def _stop(signum: int, _frame: Any) -> None:
    # SystemExit unwinds the `with ServerGroup` blocks: no server outlives the run.
    raise SystemExit(f"stopped by signal {signum}")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _stop)
    started = time.monotonic()
    args.stamp = time.strftime("%Y%m%d-%H%M%S")
    args.results_dir = RESULTS
    RESULTS.mkdir(parents=True, exist_ok=True)
    args.server_log = RESULTS / f"{args.stamp}-fhir-servers.log"
    wrk = ensure_wrk(log)
    wrk_version = subprocess.run([wrk, "-v"], capture_output=True, text=True).stdout.split()[:2]
    report: dict[str, Any] = {
        "command": " ".join(["python -m bench.fhir_load", *(argv or sys.argv[1:])]),
        "options": {k: str(v) for k, v in vars(args).items()},
        "machine": {**describe(), "wrk": " ".join(wrk_version)},
        "databases": {},
    }
    for db in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        report["databases"][db] = run_database(db, args, wrk)
    report["seconds"] = round(time.monotonic() - started, 1)
    path = RESULTS / f"{args.stamp}-fhir-p{args.patients}.json"
    path.write_text(json.dumps(report, indent=2, default=str))
    (RESULTS / "fhir-latest.json").write_text(path.read_text())
    print_report(report)
    print(f"\nresults: {path.relative_to(ROOT)} ({report['seconds']:.0f} s)")
    invalid = [
        f"{db}/{name}"
        for db, found in report["databases"].items()
        for group in ("production", "what_if")
        for name, run in found.get(group, {}).items()
        if not run["valid"]
    ]
    if invalid:
        raise SystemExit(f"INVALID runs (non-2xx, wrk errors or audit mismatch): {invalid}")


if __name__ == "__main__":
    main()
