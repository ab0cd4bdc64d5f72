from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import CommandError
from django.db import IntegrityError

from hygie.core.cli import HygieCommand
from hygie.patients.importing import COLUMNS, ImportRefused, ImportReport, do_import_patients
from hygie.practices.cli import practice_arg
from hygie.practices.context import as_system


class Command(HygieCommand):
    help = "Importe des patients depuis un fichier CSV (patients import --practice P FICHIER)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        imp = sub.add_parser(
            "import",
            help=f"importe un CSV UTF-8 (colonnes : {', '.join(COLUMNS)} ; séparateur , ou ;)",
        )
        imp.add_argument("file")
        imp.add_argument("--practice", required=True)
        imp.add_argument(
            "--skip-invalid",
            action="store_true",
            help="importe les lignes valides et signale les autres",
        )
        super().add_arguments(imp)

    def handle(self, *args: Any, **options: Any) -> None:
        practice = practice_arg(options["practice"])
        path = Path(options["file"])
        try:
            # utf-8-sig: spreadsheets often write a byte order mark.
            text = path.read_bytes().decode("utf-8-sig")
        except OSError as exc:
            raise CommandError(f"{path} : lecture impossible ({exc.strerror})") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(
                f"{path} : le fichier doit être encodé en UTF-8 (octet "
                f"illisible à la position {exc.start}) ; réenregistrez-le "
                "en « CSV UTF-8 »"
            ) from exc
        actor = as_system(practice, "cli:patients-import")
        try:
            report = do_import_patients(actor, text, skip_invalid=options["skip_invalid"])
        except PermissionDenied as exc:
            raise CommandError(str(exc) or "import refusé") from exc
        except IntegrityError as exc:
            # Checked beforehand; only a concurrent write can get here. Nothing was written.
            raise CommandError(
                "un patient portant l'un de ces NIR a été créé pendant l'import ; "
                "rien n'a été importé, relancez la commande"
            ) from exc
        except ImportRefused as refused:
            # The report goes to stdout with --json, so that a script can read it
            # whatever the outcome; the exit status says the file was refused.
            if options["json"]:
                self.stdout.write(json.dumps(_as_data(refused.report), ensure_ascii=False))
            lines = [f"ligne {e.line} : {e.reason}" for e in refused.report.errors]
            if refused.report.unusable:
                heading = "fichier inutilisable, rien n'a été importé"
            else:
                heading = (
                    f"{len(lines)} ligne(s) invalide(s), rien n'a été importé "
                    "(--skip-invalid importe les lignes valides)"
                )
            raise CommandError(heading + " :\n" + "\n".join(lines)) from refused
        text_out = f"{report.imported} patient(s) importé(s)."
        if report.errors:
            text_out += f"\n{len(report.errors)} ligne(s) invalide(s) non importée(s) :\n"
            text_out += "\n".join(f"ligne {e.line} : {e.reason}" for e in report.errors)
        if report.ignored_columns:
            text_out += f"\nColonnes ignorées : {', '.join(report.ignored_columns)}"
        self.emit(options, _as_data(report), text_out)


def _as_data(report: ImportReport) -> dict[str, Any]:
    return {
        "imported": report.imported,
        "errors": [{"line": e.line, "reason": e.reason} for e in report.errors],
        "ignored_columns": report.ignored_columns,
    }
