from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError

from hygie.audit.actions import AuditSource
from hygie.core.cli import HygieCommand, fail_on_validation
from hygie.practices.actions import do_add_member, do_end_membership
from hygie.practices.cli import membership_arg, practice_arg, user_arg
from hygie.practices.enums import Role


class Command(HygieCommand):
    help = (
        "Rattache un compte existant à un cabinet (membership add EMAIL --practice P --role R) "
        "ou met fin à son rattachement (membership end EMAIL --practice P)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        add = sub.add_parser("add", help="rattache un compte existant à un autre cabinet")
        add.add_argument("email")
        add.add_argument("--practice", required=True)
        add.add_argument("--role", required=True, choices=Role.values)
        add.add_argument("--rpps", default="")
        add.add_argument("--admin", action="store_true", help="administrateur du cabinet")
        super().add_arguments(add)
        end = sub.add_parser("end", help="met fin à l'accès immédiatement")
        end.add_argument("email")
        end.add_argument("--practice", required=True)
        end.add_argument("--reason", default="fin de rattachement (ligne de commande)")
        super().add_arguments(end)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["verb"] == "add":
            self._add(options)
        else:
            self._end(options)

    def _add(self, options: dict[str, Any]) -> None:
        """The operator's way to give one person access to several practices (a
        practice admin cannot attach an account that belongs elsewhere)."""
        practice = practice_arg(options["practice"])
        user = user_arg(options["email"])
        try:
            membership = do_add_member(
                practice,
                user,
                role=options["role"],
                is_admin=options["admin"],
                rpps=options["rpps"],
                source=AuditSource.system("cli:membership-add", practice.pk),
            )
        except ValidationError as exc:
            raise fail_on_validation(exc) from exc
        self.emit(
            options,
            {"email": user.email, "practice": str(practice.pk), "membership": str(membership.pk)},
            f"{user.email} est rattaché(e) au cabinet {practice.name} ({membership.role}).",
        )

    def _end(self, options: dict[str, Any]) -> None:
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
