"""Serves Hygie with waitress (threads, pure Python), with the scheduled jobs and
the background task worker alongside.

One waitress process uses one core (a request is mostly Python, under the GIL).
`--processes N` starts N serving processes on the same address (Linux
SO_REUSEPORT: the kernel spreads the connections); the jobs and the task worker
run once, in the parent, which serves nothing and stops its children on exit
(docs/performance.md, "API FHIR")."""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import threading
import time
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hygie.crypto.errors import KeyConfigurationError
from hygie.crypto.keys import check_keys


class Command(BaseCommand):
    help = "Lance le serveur Hygie (par défaut sur http://127.0.0.1:8000)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument(
            "--processes",
            type=int,
            default=1,
            help="processus de service (un par cœur ; Linux)",
        )
        # Internal: a serving child of --processes, bound with SO_REUSEPORT.
        parser.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)
        parser.add_argument(
            "--no-jobs",
            action="store_true",
            help="sans tâches planifiées ni exécuteur de tâches de fond",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from waitress import serve

        from config.wsgi import application
        from hygie.web.jobs import start_scheduler

        if not 0 < options["port"] < 65536:
            raise CommandError("--port : entre 1 et 65535")
        if not 1 <= options["processes"] <= 64:
            raise CommandError("--processes : entre 1 et 64")
        if options["processes"] > 1 and not hasattr(socket, "SO_REUSEPORT"):
            raise CommandError("--processes demande un système qui partage un port (Linux).")
        try:
            check_keys()
        except KeyConfigurationError as exc:
            raise CommandError(str(exc)) from exc
        worker = None
        stop = threading.Event()
        if not options["no_jobs"]:
            start_scheduler(3600, stop)
            worker = subprocess.Popen([sys.executable, "-m", "hygie", "db_worker"])
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(
            f"Hygie sert sur {url}  (données : {settings.DATA_DIR}) — Ctrl-C pour arrêter"
        )
        children: list[subprocess.Popen[bytes]] = []
        try:
            if options["processes"] > 1:
                children = [
                    subprocess.Popen(self._child_command(options))  # noqa: S603 (checked options)
                    for _ in range(options["processes"])
                ]
                _wait_for_any(children)
                raise CommandError("un processus de service s'est arrêté : arrêt de Hygie.")
            listen = {"host": options["host"], "port": options["port"]}
            if options["reuse_port"]:
                listen = {"sockets": [_shared_socket(options["host"], options["port"])]}
            serve(
                application,
                **listen,
                threads=options["threads"],
                ident="Hygie",
                max_request_body_size=settings.HYGIE_MAX_REQUEST_BYTES * 2,
                clear_untrusted_proxy_headers=True,
            )
        finally:
            stop.set()
            for process in [*children, *([worker] if worker is not None else [])]:
                process.terminate()
            for process in [*children, *([worker] if worker is not None else [])]:
                process.wait(timeout=10)

    @staticmethod
    def _child_command(options: dict[str, Any]) -> list[str]:
        return [
            sys.executable,
            "-m",
            "hygie",
            "serve",
            "--host",
            str(options["host"]),
            "--port",
            str(options["port"]),
            "--threads",
            str(options["threads"]),
            "--no-jobs",
            "--reuse-port",
        ]


def _shared_socket(host: str, port: int) -> socket.socket:
    """A listening socket several processes bind together (SO_REUSEPORT)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(1024)
    return sock


def _wait_for_any(processes: list[subprocess.Popen[bytes]]) -> None:
    """Returns when one of `processes` has ended (Ctrl-C interrupts the wait)."""
    while all(p.poll() is None for p in processes):
        time.sleep(0.5)
