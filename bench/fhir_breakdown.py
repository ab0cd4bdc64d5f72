"""Where the time of one FHIR Patient read goes, in process (no HTTP): the same
request as the load run (a backend client's bearer token, a random patient)
through Django's test Client and the whole middleware stack, timed three ways:
plain (the in-process total), with timers on the app's seams (bench.breakdown's
wrappers, labels below), and under cProfile (written beside the results).

`python -m bench.fhir_breakdown --client-id ID --key FILE --ids FILE --out DIR`
in the data's environment; prints one JSON object on its last stdout line.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import time
import urllib.parse
from pathlib import Path
from typing import Any

from bench.breakdown import Seams, _owner
from bench.stats import summary

# label -> (module, attribute), looked up by the app at call time. Indented labels
# are inside the one above them (times are inclusive).
READ_SEAMS: dict[str, tuple[str, str]] = {
    "token lookup (grant_for_request)": ("hygie.fhir.api.views", "grant_for_request"),
    "  token query (load_live_access_token)": ("hygie.fhir.smart.grants", "load_live_access_token"),
    "handler (perform: route, scope, access, map)": ("hygie.fhir.api.views", "perform"),
    "  access_patient (fetch, check, audit)": ("hygie.patients.access", "access_patient"),
    "    access check (decision_for)": ("hygie.patients.access", "decision_for"),
    "    audit write (record_event)": ("hygie.patients.access", "record_event"),
    "  FHIR mapping (mappers.patient.to_fhir)": ("hygie.fhir.mappers.patient", "to_fhir"),
    "JSON serialisation (fhir_response)": ("hygie.fhir.api.views", "fhir_response"),
    "decrypt (aead.decrypt, everywhere)": ("hygie.crypto.aead", "decrypt"),
    "SQL execute (all queries, no fetch)": ("django.db.backends.utils", "CursorWrapper._execute"),
    "commit (audit transaction)": ("django.db.backends.base.base", "BaseDatabaseWrapper._commit"),
}
# What the view does itself; the rest of a request is the framework's.
TOP_LEVEL = (
    "token lookup (grant_for_request)",
    "handler (perform: route, scope, access, map)",
    "JSON serialisation (fhir_response)",
)


class ReadSeams(Seams):
    def install(self) -> None:
        for label, (module_name, path) in READ_SEAMS.items():
            owner, attr = _owner(module_name, path)
            setattr(owner, attr, self._wrap(label, getattr(owner, attr)))


def bearer_token(client: Any, client_id: str, key_file: str) -> str:
    from joserfc.jwk import ECKey

    from bench.fhir_token import ASSERTION_TYPE, ClientKey
    from hygie.fhir.smart.endpoints import endpoint_url

    data = json.loads(Path(key_file).read_text())
    key = ClientKey(ECKey.import_key(data), data["kid"])
    form = {
        "grant_type": "client_credentials",
        "scope": "system/Patient.rs",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": key.assertion(client_id, endpoint_url("token")),
    }
    response = client.post(
        "/fhir/R4/auth/token",
        urllib.parse.urlencode(form),
        content_type="application/x-www-form-urlencoded",
    )
    if response.status_code != 200:
        raise SystemExit(f"token: {response.status_code} {response.content[:300]!r}")
    return str(response.json()["access_token"])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fhir_breakdown")
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--key", required=True, help="the client's private JWK (JSON)")
    parser.add_argument("--ids", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--profile", type=int, default=300)
    parser.add_argument("--prefixes", help="single-word searches to time (refused ones)")
    parser.add_argument("--queries", help="the load run's name searches, to time and profile")
    args = parser.parse_args()
    # Hygie's settings plus the bare view (bench/bare_urls.py), as in the load run.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.bare_settings")
    import django

    django.setup()
    from django.db import close_old_connections, connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(SERVER_NAME="localhost", HTTP_ACCEPT="application/fhir+json")
    token = bearer_token(client, args.client_id, args.key)
    ids = Path(args.ids).read_text().split()
    rng = random.Random(7)
    authorization = f"Bearer {token}"

    def read() -> float:
        started = time.perf_counter()
        response = client.get(
            f"/fhir/R4/Patient/{rng.choice(ids)}", HTTP_AUTHORIZATION=authorization
        )
        close_old_connections()  # what the WSGI handler does after each request
        if response.status_code != 200:
            raise SystemExit(f"read answered {response.status_code}: {response.content[:300]!r}")
        return (time.perf_counter() - started) * 1000

    for _ in range(50):
        read()
    with CaptureQueriesContext(connection) as captured:
        read()
    # Now: captured_queries reads the connection's log, which the next request resets.
    queries = [q["sql"][:160] for q in captured.captured_queries]
    plain = [read() for _ in range(args.requests)]
    seams = ReadSeams()
    seams.install()
    timed = [read() for _ in range(args.requests)]
    per_request = seams.per_request(args.requests)
    total = sum(timed) / len(timed)
    inside = sum(per_request.get(label, {"ms": 0.0})["ms"] for label in TOP_LEVEL)
    result: dict[str, Any] = {
        "requests": args.requests,
        "queries_per_read": len(queries),
        "queries": queries,
        "in_process_ms": summary(plain),
        "with_timers_mean_ms": total,
        "seams": per_request,
        "framework_ms": total - inside,
    }
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.profile):
            read()
        profiler.disable()
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        stats.sort_stats("cumulative").print_stats(50)
        stats.sort_stats("tottime").print_stats(30)
        path = Path(args.out) / "profile-read.txt"
        path.write_text(text.getvalue())
        result["profile_file"] = str(path)
    if args.prefixes:
        result["refused_search"] = refused_searches(client, authorization, args.prefixes)
    if args.queries:
        result["search"] = name_searches(client, authorization, args.queries, Path(args.out))
    result["bare_in_process_ms"] = bare_view(client, ids)
    print(json.dumps(result), flush=True)


def bare_view(client: Any, ids: list[str]) -> dict[str, float]:
    """The bare view in process: with the load run's figure at one connection,
    what waitress and HTTP add to any request."""
    from django.db import close_old_connections

    from bench.fhir_server import BARE_PATH

    samples = []
    for pk in ids[:300]:
        started = time.perf_counter()
        response = client.get(f"/{BARE_PATH}{pk}")
        close_old_connections()
        samples.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"bare view answered {response.status_code}")
    return summary(samples[50:])


def name_searches(client: Any, authorization: str, queries_file: str, out: Path) -> dict[str, Any]:
    """The load run's name searches (two 3-letter prefixes) one at a time, in
    process: their time, and a cProfile of 100 of them (profile-search.txt)."""
    from django.db import close_old_connections

    # As wrk sends them: URL-encoded; a few match too many and are answered 400.
    queries = [urllib.parse.unquote(q) for q in Path(queries_file).read_text().split()]
    rng = random.Random(11)
    statuses: dict[str, int] = {}

    def search() -> float:
        started = time.perf_counter()
        response = client.get(
            "/fhir/R4/Patient", {"name": rng.choice(queries)}, HTTP_AUTHORIZATION=authorization
        )
        close_old_connections()
        if response.status_code not in (200, 400):
            raise SystemExit(f"search answered {response.status_code}: {response.content[:300]!r}")
        statuses[str(response.status_code)] = statuses.get(str(response.status_code), 0) + 1
        return (time.perf_counter() - started) * 1000

    for _ in range(20):
        search()
    samples = [search() for _ in range(200)]
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(100):
        search()
    profiler.disable()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("cumulative").print_stats(60)
    stats.sort_stats("tottime").print_stats(30)
    path = out / "profile-search.txt"
    path.write_text(text.getvalue())
    return {"ms": summary(samples), "statuses": statuses, "profile_file": str(path)}


def refused_searches(client: Any, authorization: str, prefixes_file: str) -> dict[str, Any]:
    """What a search the API refuses as too broad (one 3-letter word) costs the
    server before it answers 400: 20 of them, in process."""
    statuses: dict[str, int] = {}
    samples = []
    for prefix in Path(prefixes_file).read_text().split()[:20]:
        started = time.perf_counter()
        response = client.get(
            "/fhir/R4/Patient", {"name": prefix}, HTTP_AUTHORIZATION=authorization
        )
        samples.append((time.perf_counter() - started) * 1000)
        statuses[str(response.status_code)] = statuses.get(str(response.status_code), 0) + 1
    return {"statuses": statuses, "ms": summary(samples)}


if __name__ == "__main__":
    main()
