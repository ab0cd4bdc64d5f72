from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from hygie.core.cli import HygieCommand
from hygie.patients.importing import ImportRefused, do_import_patients
from hygie.practices.cli import practice_arg
from hygie.practices.context import as_system


class Command(HygieCommand):
    help = "Importe des patients depuis un fichier CSV (patients import --practice P FICHIER)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        imp = sub.add_parser("import", help="importe un CSV (colonnes : family, given, "
                             "birth_date, sex, nir, birthplace_insee, phone, email)")
        imp.add_argument("file")
        imp.add_argument("--practice", required=True)
        imp.add_argument("--skip-invalid", action="store_true",
                         help="importe les lignes valides et signale les autres")
        super().add_arguments(imp)

    def handle(self, *args: Any, **options: Any) -> None:
        practice = practice_arg(options["practice"])
        path = Path(options["file"])
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except OSError as exc:
            raise CommandError(f"{path} : lecture impossible ({exc.strerror})") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path} : le fichier doit être encodé en UTF-8") from exc
        actor = as_system(practice, "cli:patients-import")
        try:
            report = do_import_patients(actor, text, skip_invalid=options["skip_invalid"])
        except ImportRefused as refused:
            lines = [f"ligne {e.line} : {e.reason}" for e in refused.report.errors]
            if options["json"]:
                self.stderr.write(json.dumps({"imported": 0, "errors": [
                    {"line": e.line, "reason": e.reason} for e in refused.report.errors]},
                    ensure_ascii=False))
            raise CommandError(
                f"{len(lines)} ligne(s) invalide(s), rien n'a été importé "
                "(--skip-invalid importe les lignes valides) :\n" + "\n".join(lines)
            ) from refused
        errors = [{"line": e.line, "reason": e.reason} for e in report.errors]
        text_out = f"{report.imported} patient(s) importé(s)."
        if errors:
            text_out += f" {len(errors)} ligne(s) ignorée(s) :\n" + "\n".join(
                f"ligne {e['line']} : {e['reason']}" for e in errors)
        self.emit(options, {"imported": report.imported, "errors": errors}, text_out)
