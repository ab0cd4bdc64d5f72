"""Serves Hygie with waitress (threads, pure Python), with the scheduled jobs and
the background task worker alongside."""

from __future__ import annotations

import subprocess
import sys
import threading
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
        try:
            serve(
                application,
                host=options["host"],
                port=options["port"],
                threads=options["threads"],
                ident="Hygie",
                max_request_body_size=settings.HYGIE_MAX_REQUEST_BYTES * 2,
                clear_untrusted_proxy_headers=True,
            )
        finally:
            stop.set()
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=10)
