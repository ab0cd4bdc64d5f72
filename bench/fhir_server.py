"""One server process of the FHIR load benchmark: Hygie's WSGI application
(config/wsgi.py, as `hygie serve` loads it) under waitress, with `hygie serve`'s
options, listening on a port it shares with the other processes of the run.

Why several processes on one port: waitress runs threads in one process, and a
Patient read is CPU-bound Python, so one process uses one core whatever its
thread count (docs/performance.md, throughput). Each process binds the same
address with SO_REUSEPORT and the kernel spreads incoming connections over them:
no balancer process competing for the two cores. (`hygie serve` has no such
option today: see the proposals in docs/performance.md.)

A WSGI wrapper counts answers by kind and status, so the orchestrator can check
that no request failed and that the audit log holds exactly one event per
audited request answered. On SIGUSR1 the process writes its counters to
`--counters DIR/<pid>.json`.

Environment: the data's (HYGIE_DATA_DIR, DATABASE_URL, ...), HYGIE_BASE_URL, and
DJANGO_SETTINGS_MODULE=bench.bare_settings (Hygie's settings + the bare view).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

FHIR_PATIENT = "/fhir/R4/Patient"
# The bare view's URL (bench/bare_urls.py mounts it here; defined here because
# this module is imported before Django is set up).
BARE_PATH = "_bench/bare/patient/"
# How a searchset entry shown as a match is serialised (fhir/api/bundles.py, json.dumps).
SHOWN = b'"search": {"mode": "match"}'


def kind_of(path: str) -> str:
    if path.startswith(FHIR_PATIENT + "/"):
        return "read"
    if path == FHIR_PATIENT:
        return "search"
    if path.startswith("/" + BARE_PATH):
        return "bare"
    if path == "/fhir/R4/auth/token":
        return "token"
    return "other"


class CountingApp:
    """Counts "<kind> <status>" of every answer (one lock: a few hundred ns), and
    "search shown": the patients the searches showed."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.counts: Counter[str] = Counter()
        self.inflight = 0
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        kind = kind_of(environ.get("PATH_INFO", ""))

        def counting_start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
            with self.lock:
                self.counts[f"{kind} {status[:3]}"] += 1
            return start_response(status, headers, exc_info)

        with self.lock:
            self.inflight += 1
        try:
            # Django's responses are in memory already: joining costs nothing, and
            # the request is "in flight" until its audit writes are all done.
            result = self.app(environ, counting_start_response)
            try:
                body = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        finally:
            with self.lock:
                self.inflight -= 1
        if kind == "search":
            # A search audits one read per patient it shows: count them, so the
            # orchestrator can check those events too (a byte count, microseconds).
            with self.lock:
                self.counts["search shown"] += body.count(SHOWN)
        return [body]


def listening_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(1024)
    return sock


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fhir_server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--counters", required=True, help="directory for the counters")
    parser.add_argument("--what-if", action="append", default=[])
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.bare_settings")
    from bench import fhir_whatif

    fhir_whatif.apply(args.what_if, before_setup=True)
    from config.wsgi import application  # django.setup() and the key check, as serve

    fhir_whatif.apply(args.what_if, before_setup=False)
    from django.conf import settings
    from waitress import serve

    counting = CountingApp(application)
    out = Path(args.counters) / f"{os.getpid()}.json"

    def dump(_signum: int, _frame: Any) -> None:
        with counting.lock:
            counts, inflight = dict(counting.counts), counting.inflight
        tmp = out.with_suffix(".tmp")
        dumped = {"answers": counts, "inflight": inflight, "what_if": dict(fhir_whatif.STATS)}
        tmp.write_text(json.dumps(dumped))
        tmp.replace(out)  # the orchestrator never reads half a file

    signal.signal(signal.SIGUSR1, dump)
    sock = listening_socket(args.host, args.port)
    print("ready", flush=True)
    serve(
        counting,
        sockets=[sock],
        threads=args.threads,
        ident="Hygie",
        max_request_body_size=settings.HYGIE_MAX_REQUEST_BYTES * 2,
        clear_untrusted_proxy_headers=True,
        # The load generator keeps its connections open: more than waitress's
        # default 100 are never needed, and the backlog absorbs the start.
        backlog=1024,
    )
    sys.exit(0)


if __name__ == "__main__":
    main()
