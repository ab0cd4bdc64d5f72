"""`hygie audit verify | checkpoint | lockdown`: the operator's audit commands.

verify exits 0 when every chain is intact, 1 naming the first bad entry of each
damaged chain. Run verify then checkpoint from cron (e.g. hourly), with
HYGIE_AUDIT_CHECKPOINT_DIR on storage the database's users cannot write.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from hygie.audit.actions import AuditSource, record_event
from hygie.audit.enums import AuditAction, AuditEventType, AuditOutcome, PurposeOfUse
from hygie.audit.protection import LockdownError, lock_down
from hygie.audit.verify import Problem, verify_chains, write_checkpoint


class Command(BaseCommand):
    help = "Vérifie le journal d'audit, écrit un point de contrôle, ou verrouille ses droits."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="subcommand", required=True)
        verify = commands.add_parser("verify", help="vérifie toutes les chaînes")
        checkpoint = commands.add_parser(
            "checkpoint", help="vérifie, puis écrit les têtes de chaîne hors de la base"
        )
        for sub in (verify, checkpoint):
            sub.add_argument("--json", action="store_true", help="sortie JSON")
            sub.add_argument(
                "--checkpoint-dir",
                type=Path,
                default=None,
                help="répertoire des points de contrôle (défaut : HYGIE_AUDIT_CHECKPOINT_DIR)",
            )
        lockdown = commands.add_parser(
            "lockdown", help="PostgreSQL : retire UPDATE, DELETE, TRUNCATE au rôle applicatif"
        )
        lockdown.add_argument("--app-role", required=True, help="rôle PostgreSQL de l'application")

    def handle(self, *args: Any, **options: Any) -> None:
        subcommand = options["subcommand"]
        if subcommand == "lockdown":
            self._lockdown(options["app_role"])
            return
        directory: Path = options["checkpoint_dir"] or settings.AUDIT_CHECKPOINT_DIR
        if subcommand == "verify":
            self._verify(directory, output="json" if options["json"] else "text")
        else:
            # A checkpoint vouches for what it records: never write one of a damaged log.
            self._verify(directory, output="quiet")
            self._checkpoint(directory, as_json=options["json"])

    def _verify(self, directory: Path, *, output: str) -> None:
        report = verify_chains(directory)
        record_event(
            AuditSource.system("audit verify"),
            AuditEventType.AUDIT_VERIFIED,
            action=AuditAction.EXECUTE,
            outcome=AuditOutcome.SUCCESS if report.ok else AuditOutcome.SERIOUS_FAILURE,
            purpose=PurposeOfUse.SYSADMIN,
            detail={"checked": report.checked, "chains": report.chains, "ok": report.ok},
        )
        if output == "json":
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=1))
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(_describe(problem))
            for name in report.missing_triggers:
                self.stderr.write(_("Déclencheur de protection absent ou désactivé : %s") % name)
            first = report.first_problem
            raise CommandError(
                _("Journal d'audit altéré : %s")
                % (_describe(first) if first else _("protections manquantes"))
            )
        if output == "text":
            message = _(
                "Journal d'audit intègre : %(checked)s événement(s) vérifié(s), "
                "%(chains)s chaîne(s)."
            ) % {"checked": report.checked, "chains": report.chains}
            if report.checkpoint:
                message += " " + _("Point de contrôle comparé : %s") % report.checkpoint
            self.stdout.write(message)

    def _checkpoint(self, directory: Path, *, as_json: bool) -> None:
        checkpoint = write_checkpoint(directory)
        if as_json:
            self.stdout.write(
                json.dumps(
                    {
                        "path": str(checkpoint.path),
                        "written_at": checkpoint.written_at,
                        "chains": {
                            name: {"seq": mark.seq, "hash": mark.hash}
                            for name, mark in checkpoint.chains.items()
                        },
                    },
                    indent=1,
                )
            )
        else:
            self.stdout.write(
                _("Point de contrôle écrit : %(path)s (%(count)s chaîne(s)).")
                % {"path": checkpoint.path, "count": len(checkpoint.chains)}
            )

    def _lockdown(self, role: str) -> None:
        try:
            result = lock_down(role)
        except LockdownError as exc:
            raise CommandError(str(exc)) from exc
        for table, privileges in result.revoked.items():
            self.stdout.write(
                _("%(table)s : %(privileges)s retirés au rôle %(role)s.")
                % {"table": table, "privileges": ", ".join(privileges), "role": role}
            )


def _describe(problem: Problem) -> str:
    where = _("chaîne %s") % problem.chain if problem.chain else _("points de contrôle")
    if problem.seq is not None:
        where += ", " + _("événement n° %s") % problem.seq
    if problem.event_id is not None:
        where += f" (id {problem.event_id})"
    return f"{where} : {problem.message} [{problem.kind}]"
