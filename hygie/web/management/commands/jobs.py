from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from hygie.core.cli import HygieCommand
from hygie.web.jobs import run_scheduled_jobs


class Command(HygieCommand):
    help = (
        "Exécute une fois les tâches planifiées : fin des rattachements échus, "
        "désactivation des comptes dormants, point de contrôle du journal d'audit."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        run = sub.add_parser("run")
        super().add_arguments(run)

    def handle(self, *args: Any, **options: Any) -> None:
        result = run_scheduled_jobs()
        self.emit(options, result, "\n".join(f"{k}: {v}" for k, v in result.items()))
