"""The server side of a benchmark run, in a process of its own.

Django is set up on one data directory, the variant switches are applied (see
bench.variants), a practitioner logs in (session with second factor, as
tests/cast.py does), and requests go through the full middleware stack with
Django's test Client, in process: no network, no HTTP parsing, so the figures are
the server's own cost. After each request the connection is handed back as the
WSGI handler does (`request_finished` → close_old_connections), which with the
embedded settings (CONN_MAX_AGE=0) closes it: every request opens SQLite afresh,
as it does under `hygie serve`.

Invoked by bench.__main__ as `python -m bench.server MODE --data-dir ... [...]`;
prints one JSON object on its last stdout line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import threading
import time
from typing import Any
from unittest import mock

SEARCH_URL = "/patients/"
DETAIL_URL = "/patients/{}/"
PRACTITIONER = "claire.martin@cabinet-des-tilleuls.test"


def setup(data_dir: str, *, audit: bool, encryption: bool, what_if: list[str]) -> None:
    os.environ["HYGIE_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    from bench import variants, whatif

    whatif.apply(what_if, before_setup=True)
    django.setup()
    variants.apply(audit=audit, encryption=encryption)
    whatif.apply(what_if, before_setup=False)


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mib() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


_LOGIN = threading.Lock()  # mock.patch is not thread-safe: one login at a time


def logged_in_client(email: str) -> Any:
    """A session past password and second factor, made by the tests' own helper
    (tests/cast.py:login) so the bench follows the login flow as it changes."""
    from django.db import close_old_connections
    from django.test import Client

    from hygie.accounts.models import User
    from tests.cast import login

    # SERVER_NAME: a host the settings allow (the test environment is not set up,
    # so "testserver" is not added to ALLOWED_HOSTS).
    client = Client(SERVER_NAME="localhost")
    # force_login's request carries no device cookie, so every bench login is a
    # "new device" whose mail allauth cannot send outside a request its
    # middleware has seen. Not part of what is measured: skip the mail.
    with _LOGIN, mock.patch("hygie.accounts.receivers._notify"):
        client = login(client, User.objects.get(email=email))
    close_old_connections()
    return client


def patient_ids(email: str, count: int, rng: random.Random) -> list[str]:
    """Random patients the practitioner is treating doctor of (clinical access)."""
    from hygie.patients.models import CareRelationship

    ids = sorted(
        str(pk)
        for pk in CareRelationship.objects.filter(
            practitioner__email=email, ends_at=None
        ).values_list("patient_id", flat=True)
    )
    if not ids:
        raise SystemExit(f"{email} treats no patient in this data directory")
    return [rng.choice(ids) for _ in range(count)]


def name_prefixes(count: int, rng: random.Random, length: int = 3) -> list[str]:
    """What a user types: the first letters of a name from the demo's own lists."""
    from hygie.crypto.blind import normalize_name
    from hygie.patients.demo import FAMILY, FEMALE, MALE

    words = [
        w
        for name in (*FAMILY, *FEMALE, *MALE)
        for w in normalize_name(name).split()
        if len(w) >= length
    ]
    return [rng.choice(words)[:length] for _ in range(count)]


def requests_for(scenario: str, count: int, seed: int) -> list[tuple[str, dict[str, Any]]]:
    rng = random.Random(seed)
    if scenario == "search":
        # The request search-as-you-type sends (htmx: the results fragment).
        return [
            (SEARCH_URL, {"data": {"q": q}, "headers": {"HX-Request": "true"}})
            for q in name_prefixes(count, rng)
        ]
    if scenario == "detail":
        return [(DETAIL_URL.format(pk), {}) for pk in patient_ids(PRACTITIONER, count, rng)]
    raise SystemExit(f"unknown scenario {scenario}")


def timed_get(client: Any, url: str, kwargs: dict[str, Any]) -> float:
    from django.db import close_old_connections

    started = time.perf_counter()
    response = client.get(url, **kwargs)
    close_old_connections()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"GET {url} {kwargs} answered {response.status_code}")
    return elapsed


def query_count(client: Any, url: str, kwargs: dict[str, Any]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        client.get(url, **kwargs)
    from django.db import close_old_connections

    close_old_connections()
    return len(ctx.captured_queries)


def run_latency(args: argparse.Namespace) -> dict[str, Any]:
    client = logged_in_client(PRACTITIONER)
    plan = requests_for(args.scenario, args.warmup + args.requests, args.seed)
    for url, kwargs in plan[: args.warmup]:
        timed_get(client, url, kwargs)
    rss_before = current_rss_mib()
    queries = query_count(client, *plan[0])
    samples = [timed_get(client, url, kwargs) for url, kwargs in plan[args.warmup :]]
    result: dict[str, Any] = {
        "samples_ms": samples,
        "queries_per_request": queries,
        "rss_after_warmup_mib": rss_before,
        "peak_rss_mib": rss_mib(),
    }
    if args.breakdown:
        result["breakdown"] = breakdown(client, plan[args.warmup :][: args.breakdown])
    if args.profile:
        result["profile"] = profile(client, plan[args.warmup :][: args.profile])
    return result


def breakdown(client: Any, plan: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """A separate pass with timers on the app's seams (bench.breakdown)."""
    from bench.breakdown import Seams

    seams = Seams()
    seams.install()
    samples = [timed_get(client, url, kwargs) for url, kwargs in plan]
    return {
        "requests": len(plan),
        "total_ms": sum(samples) / len(plan),
        "seams": seams.per_request(len(plan)),
    }


def profile(client: Any, plan: list[tuple[str, dict[str, Any]]]) -> str:
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for url, kwargs in plan:
        timed_get(client, url, kwargs)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(25)
    return out.getvalue()


def run_throughput(args: argparse.Namespace) -> dict[str, Any]:
    """Warm up, say "ready", wait for "go" on stdin, then loop for --seconds, in
    --threads threads (each its own session and connection, as waitress threads)."""
    from django.db import connections

    plans = [requests_for(args.scenario, 5000, args.seed * 1000 + t) for t in range(args.threads)]
    clients: list[Any] = [None] * args.threads
    samples: list[list[float]] = [[] for _ in range(args.threads)]
    failures: list[BaseException] = []
    ready = threading.Barrier(args.threads + 1)
    go = threading.Event()

    def worker(t: int) -> None:
        try:
            try:
                clients[t] = logged_in_client(PRACTITIONER)
                for url, kwargs in plans[t][: args.warmup]:
                    timed_get(clients[t], url, kwargs)
            finally:
                ready.wait()
            go.wait()
            deadline = time.perf_counter() + args.seconds
            i = args.warmup
            while time.perf_counter() < deadline:
                url, kwargs = plans[t][i % len(plans[t])]
                samples[t].append(timed_get(clients[t], url, kwargs))
                i += 1
        except BaseException as exc:  # reported by the main thread, not lost with this one
            failures.append(exc)
        finally:
            connections.close_all()

    # Daemons: a thread that failed to log in must not keep the process waiting.
    threads = [threading.Thread(target=worker, args=(t,), daemon=True) for t in range(args.threads)]
    for thread in threads:
        thread.start()
    ready.wait()
    if failures or not all(clients):
        raise SystemExit(f"a thread failed before the start: {failures!r}")
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        raise SystemExit("no go")
    started = time.perf_counter()
    go.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"a thread failed: {failures!r}")
    flat = [x for per_thread in samples for x in per_thread]
    return {
        "requests": len(flat),
        "seconds": elapsed,
        "samples_ms": flat,
        "peak_rss_mib": rss_mib(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.server")
    parser.add_argument("mode", choices=["latency", "throughput"])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--scenario", choices=["search", "detail"], required=True)
    parser.add_argument("--no-audit", action="store_true")
    parser.add_argument("--no-encryption", action="store_true")
    parser.add_argument(
        "--what-if",
        action="append",
        default=[],
        help="emulate a proposed app change (bench.whatif), repeatable",
    )
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--threads", type=int, default=1, help="throughput: threads")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--breakdown",
        type=int,
        default=0,
        help="then time this many more requests with seam timers",
    )
    parser.add_argument(
        "--profile", type=int, default=0, help="then profile this many more requests with cProfile"
    )
    args = parser.parse_args()
    setup(
        args.data_dir,
        audit=not args.no_audit,
        encryption=not args.no_encryption,
        what_if=args.what_if,
    )
    result = run_latency(args) if args.mode == "latency" else run_throughput(args)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
