"""The printed report of bench.fhir_load: the tables docs/performance.md quotes."""

from __future__ import annotations

from typing import Any

READ_TARGET_RPS = 1000.0
SEARCH_TARGET_P95_MS = 30.0
NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
LABELS = {"read": "Patient read", "search": "name search", "bare": "bare view"}


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _run_cells(run: dict[str, Any]) -> list[str]:
    lat = run["latency_ms"]
    cores = run["cpu_cores"]
    return [
        f"{run['throughput']:.0f}",
        f"{lat['p50']:.1f}",
        f"{lat['p95']:.1f}",
        f"{lat['p99']:.1f}",
        f"{run['non_2xx'] + sum(run['wrk_errors'].values())}",
        f"{run['audit_events']}/{run['audit_events_expected']}" + ("" if run["audit_ok"] else " !"),
        f"{cores['servers']:.2f} ({'+'.join(f'{c:.2f}' for c in cores['per_server'])})",
        f"{cores['wrk']:.2f}",
        f"{cores['others']:.2f}",
        f"{max(run['peak_rss_mib']):.0f}",
        # Older result files lack it.
        f"{max(run.get('private_rss_mib', [float('nan')])):.0f}",
    ]


HEADER = [
    "req/s",
    "p50",
    "p95",
    "p99",
    "errors",
    "audit events/expected",
    "server CPU (cores)",
    "wrk",
    "others",
    "peak RSS/process MiB (with the mapped database)",
    "private RSS/process MiB",
]


def print_report(report: dict[str, Any]) -> None:
    machine = report["machine"]
    options = report["options"]
    print(
        f"\nFHIR API over HTTP: {options['patients']} patients, {options['processes']} server "
        f"processes x {options['threads']} waitress threads, {machine['wrk']} (1 thread); "
        f"{machine['cpu']}, {machine['cores']} cores; code {machine['git_head']}"
    )
    print("\nLatency in ms (wrk, client side); errors = non-2xx + socket errors\n")
    print(_row(["database", "request", "connections", *HEADER]))
    print(_row(["---"] * (3 + len(HEADER))))
    for db, found in report["databases"].items():
        for run in found["production"].values():
            label = LABELS[run["scenario"]]
            print(_row([NAMES[db], label, str(run["connections"]), *_run_cells(run)]))
    print("\nTargets (issue 3)\n")
    for db, found in report["databases"].items():
        runs = found["production"]
        reads = max(r["throughput"] for k, r in runs.items() if k.startswith("read/"))
        search_1 = runs["search/c1"]["latency_ms"]["p95"]
        loaded = [r for k, r in runs.items() if k.startswith("search/") and k != "search/c1"]
        loaded_text = (
            f" (at {loaded[0]['connections']} connections: {loaded[0]['latency_ms']['p95']:.1f})"
            if loaded
            else ""
        )
        print(
            f"- {NAMES[db]}: authenticated audited reads {reads:.0f} req/s, target ≥ "
            f"{READ_TARGET_RPS:.0f}: {'met' if reads >= READ_TARGET_RPS else 'NOT MET'}; "
            f"name search p95 {search_1:.1f} ms one at a time{loaded_text}, target ≤ "
            f"{SEARCH_TARGET_P95_MS:.0f}: "
            f"{'met' if search_1 <= SEARCH_TARGET_P95_MS else 'NOT MET'}"
        )
    _print_what_ifs(report)
    _print_breakdowns(report)


def _print_what_ifs(report: dict[str, Any]) -> None:
    if not any("what_if" in found for found in report["databases"].values()):
        return
    print("\nWhat if (Patient read, emulated in the benchmark's servers only)\n")
    print(_row(["database", "change", "req/s", "vs production", "p95", "server CPU", "valid"]))
    print(_row(["---"] * 7))
    for db, found in report["databases"].items():
        base = max(
            (r for k, r in found["production"].items() if k.startswith("read/")),
            key=lambda r: r["connections"],
        )
        print(
            _row(
                [
                    NAMES[db],
                    "production (same run)",
                    f"{base['throughput']:.0f}",
                    "",
                    f"{base['latency_ms']['p95']:.1f}",
                    f"{base['cpu_cores']['servers']:.2f}",
                    "yes" if base["valid"] else "NO",
                ]
            )
        )
        for name, run in found.get("what_if", {}).items():
            print(
                _row(
                    [
                        NAMES[db],
                        name,
                        f"{run['throughput']:.0f}",
                        f"{run['throughput'] / base['throughput'] - 1:+.0%}",
                        f"{run['latency_ms']['p95']:.1f}",
                        f"{run['cpu_cores']['servers']:.2f}",
                        "yes" if run["valid"] else "NO",
                    ]
                )
            )


def _print_breakdowns(report: dict[str, Any]) -> None:
    found = {db: r["breakdown"] for db, r in report["databases"].items() if "breakdown" in r}
    if not found:
        return
    dbs = list(found)
    print("\nOne Patient read, in process (no HTTP), mean ms per request (inclusive)\n")
    print(_row(["", *(NAMES[db] for db in dbs)]))
    print(_row(["---"] * (1 + len(dbs))))
    plain = (f"{found[d]['in_process_ms']['p50']:.2f}" for d in dbs)
    print(_row(["in process, no timers (p50)", *plain]))
    print(_row(["with timers (mean)", *(f"{found[d]['with_timers_mean_ms']:.2f}" for d in dbs)]))
    labels = list(next(iter(found.values()))["seams"])
    for label in labels:
        cells = []
        for db in dbs:
            seam = found[db]["seams"].get(label)
            cells.append(f"{seam['ms']:.2f} (x{seam['calls']:.0f})" if seam else "")
        print(_row([label, *cells]))
    print(_row(["framework (rest)", *(f"{found[d]['framework_ms']:.2f}" for d in dbs)]))
    print(_row(["queries per read", *(str(found[d]["queries_per_read"]) for d in dbs)]))
    for db in dbs:
        runs = report["databases"][db]["production"]
        for label, key, inside in (
            ("read", "read/c1", found[db]["in_process_ms"]["p50"]),
            ("bare view", "bare/c1", found[db].get("bare_in_process_ms", {}).get("p50")),
        ):
            if inside is None:
                continue
            http_c1 = runs[key]["latency_ms"]["p50"]
            print(
                f"- {NAMES[db]} {label}: over HTTP at one connection p50 {http_c1:.2f} ms, in "
                f"process {inside:.2f} ms: waitress + HTTP + wrk ≈ {http_c1 - inside:.2f} ms"
            )
    for db in dbs:
        refused = found[db].get("refused_search")
        if refused:
            print(
                f"- {NAMES[db]}: a one-word 3-letter search, answered {refused['statuses']}, "
                f"takes p50 {refused['ms']['p50']:.1f} ms in process"
            )
