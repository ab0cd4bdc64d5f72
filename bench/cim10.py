# ruff: noqa: S603 (the subprocess is this module, run with sys.executable and
# arguments built here: no outside input reaches it)
"""`python -m bench.cim10` (`make bench-cim10`): loading and searching the CIM-10.

For each database (a fresh SQLite file; with --db postgres or both, a throwaway
database on postgresql://postgres@127.0.0.1:5432, dropped at the end), in a
process of its own:
1. migrate the terminology app, then time `load_cim10()` three ways: the first
   load into empty tables, the same file again (must write nothing), and a
   replacement of the loaded list (what an upgrade of edsnlp does);
2. draw --queries realistic searches from the loaded list (seeded; a category,
   then a code in it, unless --draw codes): code
   prefixes typed in any case, with or without the dot; 1 to 3 words of a label,
   each cut to a prefix of 3 letters or more, with or without accents; the same
   with one letter wrong (a typo: usually no result); and 2-letter prefixes, the
   first keystrokes of a search box;
3. run them once to warm up, then time each `search_cim10(query)` (limit 20) in
   process: p50/p95/p99 overall and per kind, results and queries per search.
Target: search p95 <= 20 ms. Prints a table and writes
bench/results/<time>-cim10.json (and cim10-latest.json).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench import ROOT
from bench.machine import Background, describe
from bench.stats import summary

RESULTS = ROOT / "bench" / "results"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
TARGET_P95_MS = 20.0
# Share of each kind of query in a run.
MIX = {"code": 0.30, "words": 0.50, "typo": 0.15, "2 letters": 0.05}
# Words nobody types into a search box.
FUNCTION_WORDS = {"a", "au", "aux", "d", "de", "des", "du", "en", "et", "l", "la", "le", "les"}
FUNCTION_WORDS |= {"ou", "par", "pour", "sans", "sur", "un", "une", "avec", "dans", "non"}


def log(message: str) -> None:
    print(f"[cim10 {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the measured side (a subprocess per database) ---------------------------------


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


Labels = dict[str, list[tuple[str, str]]]


def draw_queries(labels: Labels, n: int, rng: random.Random) -> list[tuple[str, str]]:
    """(kind, query) pairs in the proportions of MIX, from (code, label) pairs
    grouped by 3-character category (or one group per code)."""
    kinds = rng.choices(list(MIX), weights=list(MIX.values()), k=n)
    # A category first, then a code in it: each category is as likely as another.
    # Drawn straight from the 42,886 codes, 63% of the searches would be for the
    # external causes of chapter XX (V01-Y98: 27,097 codes in 373 categories,
    # "piéton blessé dans une collision avec un véhicule à moteur, en exerçant une
    # activité lucrative"...), which few doctors look for; this way, 18%.
    # --draw codes measures the other way.
    groups = list(labels.values())
    return [(kind, draw_query(kind, rng.choice(groups), rng)) for kind in kinds]


def draw_query(kind: str, group: list[tuple[str, str]], rng: random.Random) -> str:
    code, label = rng.choice(group)
    if kind == "code":
        written = code if rng.random() < 0.5 else code.replace(".", "")
        written = written[: rng.randint(2, len(written))]
        return written.lower() if rng.random() < 0.5 else written
    words = [w for w in label.replace("'", " ").split() if w.isalpha()]
    words = [w for w in words if w.lower() not in FUNCTION_WORDS] or words or [label]
    if kind == "2 letters":
        return words[0][:2].lower()
    start = rng.randrange(len(words))
    chosen = words[start : start + rng.randint(1, 3)]
    typed = [w[: rng.randint(min(3, len(w)), len(w))] for w in chosen]
    if kind == "typo":
        i = rng.randrange(len(typed))
        word = typed[i]
        at = rng.randrange(len(word))
        typed[i] = word[:at] + rng.choice("qxzkwj") + word[at + 1 :]
    query = " ".join(typed)
    return strip_accents(query).lower() if rng.random() < 0.5 else query


def worker(args: argparse.Namespace) -> None:
    """Runs with HYGIE_DATA_DIR/DATABASE_URL set: migrate, load, search; prints JSON."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from hygie.terminology.loading import load_cim10
    from hygie.terminology.models import Cim10Code, Cim10Release
    from hygie.terminology.queries import search_cim10

    call_command("migrate", "terminology", verbosity=0)
    result: dict[str, Any] = {"database": connection.vendor}
    with Background() as background:
        first = load_cim10()
    result["load_first_s"] = round(first.seconds, 2)
    result["load_background_cpu"] = round(background.fraction, 2)
    result["codes"] = first.release.codes
    result["load_same_file_s"] = round(load_cim10().seconds, 3)
    Cim10Release.objects.all().delete()  # forget it was loaded: the next load replaces
    with Background() as background:
        result["load_replace_s"] = round(load_cim10().seconds, 2)
    result["replace_background_cpu"] = round(background.fraction, 2)

    labels: Labels = defaultdict(list)
    for code, label in Cim10Code.objects.order_by("code").values_list("code", "label"):
        labels[code[:3] if args.draw == "categories" else code].append((code, label))
    queries = draw_queries(labels, args.queries, random.Random(args.seed))
    for _, query in queries[:200]:
        search_cim10(query)
    samples: dict[str, list[float]] = defaultdict(list)
    found: dict[str, list[int]] = defaultdict(list)
    timed: list[tuple[float, str]] = []
    with Background() as background:
        for kind, query in queries:
            started = time.perf_counter()
            hits = search_cim10(query)
            elapsed = (time.perf_counter() - started) * 1000
            samples[kind].append(elapsed)
            found[kind].append(len(hits))
            timed.append((elapsed, query))
    result["search_background_cpu"] = round(background.fraction, 2)
    most_queries = 0
    for _, query in queries[:300]:
        with CaptureQueriesContext(connection) as captured:
            search_cim10(query)
        most_queries = max(most_queries, len(captured.captured_queries))
    everything = [ms for ms, _ in timed]
    result["search"] = {"all": summary(everything)} | {k: summary(v) for k, v in samples.items()}
    result["empty_share"] = {k: round(v.count(0) / len(v), 2) for k, v in found.items()}
    result["slowest"] = [(round(ms, 1), q) for ms, q in sorted(timed)[-8:]]
    result["max_queries_per_search"] = most_queries
    result["examples"] = {kind: [q for k, q in queries if k == kind][:5] for kind in MIX}
    print(json.dumps(result))


# --- the orchestrator ---------------------------------------------------------------


def run_database(db: str, args: argparse.Namespace) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix=f"hygie-bench-cim10-{db}-"))
    env = dict(os.environ, HYGIE_DATA_DIR=str(work), PYTHONPATH=str(ROOT))
    env.pop("DATABASE_URL", None)  # SQLite: a fresh file in the data directory
    name = f"hygie_bench_cim10_{os.getpid()}"
    if db == "postgres":
        import psycopg

        # CREATE/DROP DATABASE cannot run in a transaction; the name is built here.
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = f"{PG_SERVER}/{name}"
    log(f"{db}: migrate, load three times, {args.queries} searches")
    command = [sys.executable, "-m", "bench.cim10", "--worker", "--queries", str(args.queries)]
    command += ["--seed", str(args.seed), "--draw", args.draw]
    try:
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    finally:
        if db == "postgres":
            import psycopg

            with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(work, ignore_errors=True)
    if done.returncode != 0:
        raise SystemExit(f"bench.cim10 worker ({db}) failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def print_report(report: dict[str, Any]) -> None:
    print(
        f"\nCIM-10 load and search ({report['queries']} searches drawn by {report['draw']}, "
        f"seed {report['seed']})"
    )
    for db, r in report["databases"].items():
        print(
            f"\n{db}: {r['codes']} codes; load {r['load_first_s']} s (empty tables), "
            f"{r['load_replace_s']} s (replacing the list), {r['load_same_file_s']} s "
            f"(same file: nothing written); machine used by others: "
            f"{r['load_background_cpu']:.0%} during the first load, "
            f"{r['replace_background_cpu']:.0%} during the replacement, "
            f"{r['search_background_cpu']:.0%} during searches"
            + (" (the PostgreSQL server is one of them)" if db == "postgres" else "")
        )
        print(f"  {'kind':<10} {'n':>5} {'p50':>6} {'p95':>6} {'p99':>6} {'max':>6}  no result")
        for kind, s in r["search"].items():
            empty = r["empty_share"].get(kind)
            shown = "" if empty is None else f"{empty:.0%}"
            print(
                f"  {kind:<10} {s['n']:>5} {s['p50']:>6.1f} {s['p95']:>6.1f} "
                f"{s['p99']:>6.1f} {s['max']:>6.1f}  {shown}"
            )
        p95 = r["search"]["all"]["p95"]
        verdict = "met" if p95 <= TARGET_P95_MS else "NOT met"
        print(f"  target p95 <= {TARGET_P95_MS:.0f} ms: {verdict} ({p95:.1f} ms)")
        print(f"  queries per search: at most {r['max_queries_per_search']}")
        print(f"  slowest: {r['slowest']}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.cim10",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--draw",
        choices=["categories", "codes"],
        default="categories",
        help="labels searched for: each category equally likely (default), or each code",
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.worker:
        worker(args)
        return
    started = time.monotonic()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    report: dict[str, Any] = {
        "command": " ".join(["python -m bench.cim10", *(argv or sys.argv[1:])]),
        "queries": args.queries,
        "seed": args.seed,
        "draw": args.draw,
        "machine": describe(),
        "databases": {},
    }
    for db in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        report["databases"][db] = run_database(db, args)
    report["seconds"] = round(time.monotonic() - started, 1)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{stamp}-cim10.json"
    path.write_text(json.dumps(report, indent=2, default=str))
    (RESULTS / "cim10-latest.json").write_text(path.read_text())
    print_report(report)
    print(f"\nresults: {path.relative_to(ROOT)} ({report['seconds']:.0f} s)")


if __name__ == "__main__":
    main()
