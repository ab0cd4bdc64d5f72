"""The text report of one bench run (the JSON holds everything else)."""

from __future__ import annotations

from typing import Any

SCENARIO_NAMES = {"search": "name search (3 letters)", "detail": "patient page"}
TARGET_KEYS = {"search": "search_p95_ms", "detail": "detail_p95_ms"}


def verdicts(result: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(what, measured vs target, met?) for each target that was measured."""
    targets = result["targets"]
    out = []
    latency = result.get("latency", {})
    for scenario, key in TARGET_KEYS.items():
        row = latency.get(f"{scenario}/production")
        if row:
            out.append(
                (
                    f"{SCENARIO_NAMES[scenario]} p95",
                    f"{row['p95']:.1f} ms (target ≤ {targets[key]:.0f} ms)",
                    row["p95"] <= targets[key],
                )
            )
    demo = result.get("demo")
    if demo:
        out.append(
            (
                f"demo --patients {demo['patients']}",
                f"{demo['wall_seconds']:.1f} s (target < {targets['demo_10k_seconds']:.0f} s)",
                demo["wall_seconds"] < targets["demo_10k_seconds"],
            )
        )
    tp = result.get("throughput", {})
    on, off = tp.get("audit=on/workers=2/threads=1"), tp.get("audit=off/workers=2/threads=1")
    if on and off:
        ratio = on["rps"] / off["rps"]
        out.append(
            (
                "patient page throughput with audit / without (2 processes)",
                f"{ratio:.2f} (target ≥ {targets['audit_throughput_ratio']:.2f})",
                ratio >= targets["audit_throughput_ratio"],
            )
        )
    return out


def print_report(result: dict[str, Any]) -> None:
    m = result["machine"]
    print(
        f"\nMachine: {m['cpu']}, {m['cores']} cores, {m['memory']}; Python {m['python']}, "
        f"SQLite {m['sqlite']}, Django {m['django']}; fsync p50 {m['fsync_ms']['p50']:.2f} ms; "
        f"code {m['git_head']}"
    )
    for kind, meta in result["data"].items():
        print(
            f"Data ({kind}): {meta['patients']} patients, {meta['db_bytes'] / 2**20:.0f} MiB, "
            f"generated in {meta['wall_seconds']:.0f} s"
        )
    latency = result.get("latency")
    if latency:
        print(
            "\nServer-side latency (ms), in-process Django test client, one request at a time"
            "\n('others': CPU used by other processes on the machine during the run)"
        )
        print(
            f"{'request':26} {'variant':14} {'p50':>6} {'p95':>6} {'p99':>6} {'mean':>6} "
            f"{'queries':>7} {'peak RSS':>9} {'others':>6}"
        )
        for row in latency.values():
            print(
                f"{SCENARIO_NAMES[row['scenario']]:26} {row['variant']:14} {row['p50']:6.1f} "
                f"{row['p95']:6.1f} {row['p99']:6.1f} {row['mean']:6.1f} "
                f"{row['queries_per_request']:7d} {row['peak_rss_mib']:6.0f} MiB "
                f"{row['background_cpu']:6.0%}"
            )
        print("\nCost of audit and encryption (difference of means, ms)")
        for scenario in ("search", "detail"):
            rows = {
                v: latency.get(f"{scenario}/{v}")
                for v in ("production", "no audit", "no encryption", "neither")
            }
            if not (rows["production"] and rows["no audit"]):
                continue
            line = (
                f"  {SCENARIO_NAMES[scenario]:26} audit "
                f"{rows['production']['mean'] - rows['no audit']['mean']:+.1f}"
            )
            if rows["no encryption"] and rows["neither"]:
                production = rows["production"]["mean"]
                line += (
                    f", encryption {production - rows['no encryption']['mean']:+.1f}"
                    f", both {production - rows['neither']['mean']:+.1f}"
                    f" (neither: {rows['neither']['mean']:.1f})"
                )
            print(line)
        for row in latency.values():
            if "breakdown" not in row or row["variant"] != "production":
                continue
            b = row["breakdown"]
            print(
                f"\nBreakdown, {SCENARIO_NAMES[row['scenario']]}, production "
                f"(ms per request, inclusive; total {b['total_ms']:.1f})"
            )
            for label, seam in b["seams"].items():
                print(f"  {label:40} {seam['ms']:6.2f}  ({seam['calls']:.0f} calls)")
    if result.get("search_sql"):
        from bench.search_sql import print_table

        print()
        print_table(result["search_sql"])
    tp = result.get("throughput")
    if tp:
        print("\nThroughput, patient page, closed loop (encrypted data)")
        print(
            f"{'audit':6} {'processes':>9} {'threads':>7} {'req/s':>8} {'p50':>6} {'p95':>6} "
            f"{'peak RSS':>9} {'others':>6}"
        )
        for row in tp.values():
            print(
                f"{'on' if row['audit'] else 'off':6} {row['workers']:9d} {row['threads']:7d} "
                f"{row['rps']:8.1f} "
                f"{row['latency']['p50']:6.1f} {row['latency']['p95']:6.1f} "
                f"{row['peak_rss_mib']:6.0f} MiB {row['background_cpu']:6.0%}"
            )
    demo = result.get("demo")
    if demo:
        print(
            f"\nmanage.py demo --patients {demo['patients']}: {demo['wall_seconds']:.1f} s wall "
            f"({demo['reported_seconds']:.1f} s reported by the command; other processes "
            f"used {demo['background_cpu']:.0%} of the CPU meanwhile)"
        )
    if result.get("what_if"):
        print_what_if(result)
    print("\nTargets")
    for what, measured, met in verdicts(result):
        print(f"  [{'MET ' if met else 'MISS'}] {what}: {measured}")


def print_what_if(result: dict[str, Any]) -> None:
    print("\nWhat-if: proposed app changes, emulated (bench/whatif.py), vs production")
    latency, tp, demo = result.get("latency", {}), result.get("throughput", {}), result.get("demo")
    for key, row in result["what_if"].items():
        kind, *rest = key.split("/")
        change = rest[-1]
        if len(change) > 28:
            print(f"  {change}:")
            change = "  (these together)"
        if kind == "latency":
            base = latency.get(f"{row['scenario']}/production")
            if base:
                print(
                    f"  {SCENARIO_NAMES[row['scenario']]:24} {change:28} "
                    f"p50 {base['p50']:5.1f} → {row['p50']:5.1f}  p95 {base['p95']:5.1f} → "
                    f"{row['p95']:5.1f}  mean {base['mean']:5.1f} → {row['mean']:5.1f} ms  "
                    f"queries {base['queries_per_request']} → {row['queries_per_request']}"
                )
        elif kind == "throughput":
            base = tp.get("audit=on/workers=2/threads=1")
            if base:
                print(
                    f"  {'patient page, 2 processes':24} {change:28} {base['rps']:6.1f} → "
                    f"{row['rps']:6.1f} req/s with audit"
                )
        elif kind == "demo" and demo:
            print(
                f"  {'demo --patients ' + str(row['patients']):24} {change:28} "
                f"{demo['reported_seconds']:5.1f} → {row['reported_seconds']:5.1f} s"
            )
