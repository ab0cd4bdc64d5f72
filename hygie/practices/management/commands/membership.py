from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError

from hygie.audit.actions import AuditSource
from hygie.core.cli import HygieCommand, fail_on_validation
from hygie.practices.actions import do_end_membership
from hygie.practices.cli import membership_arg, practice_arg, user_arg


class Command(HygieCommand):
    help = "Met fin au rattachement d'un compte à un cabinet (membership end EMAIL --practice P)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        end = sub.add_parser("end", help="met fin à l'accès immédiatement")
        end.add_argument("email")
        end.add_argument("--practice", required=True)
        end.add_argument("--reason", default="fin de rattachement (ligne de commande)")
        super().add_arguments(end)

    def handle(self, *args: Any, **options: Any) -> None:
        practice = practice_arg(options["practice"])
        user = user_arg(options["email"])
        membership = membership_arg(user, practice)
        try:
            do_end_membership(
                membership,
                reason=options["reason"],
                source=AuditSource.system("cli:membership-end", practice.pk),
            )
        except ValidationError as exc:
            raise fail_on_validation(exc) from exc
        self.emit(
            options,
            {"email": user.email, "practice": str(practice.pk), "ended": True},
            f"Accès de {user.email} au cabinet {practice.name} terminé ; sessions fermées.",
        )
