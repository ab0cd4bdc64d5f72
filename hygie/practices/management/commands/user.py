from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.core.validators import validate_email
from django.db import transaction

from hygie.accounts.actions import (
    do_create_user,
    do_deactivate_user,
    do_reactivate_user,
    enrolment_path,
)
from hygie.accounts.models import User
from hygie.audit.actions import AuditSource
from hygie.core.cli import HygieCommand, fail_on_validation
from hygie.practices.actions import do_add_member
from hygie.practices.cli import practice_arg, user_arg
from hygie.practices.enums import Role


class Command(HygieCommand):
    help = "Crée un compte rattaché à un cabinet, ou désactive un compte."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="crée un compte et affiche son lien d'enrôlement")
        create.add_argument("--email", required=True)
        create.add_argument("--practice", required=True)
        create.add_argument("--role", required=True, choices=Role.values)
        create.add_argument("--rpps", default="")
        create.add_argument("--first-name", default="")
        create.add_argument("--last-name", default="")
        create.add_argument("--admin", action="store_true", help="administrateur du cabinet")
        super().add_arguments(create)
        deactivate = sub.add_parser("deactivate", help="désactive un compte partout")
        deactivate.add_argument("email")
        deactivate.add_argument("--reason", default="désactivé en ligne de commande")
        super().add_arguments(deactivate)
        reactivate = sub.add_parser(
            "reactivate", help="réactive un compte (nouveau mot de passe et second facteur)"
        )
        reactivate.add_argument("email")
        super().add_arguments(reactivate)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["verb"] == "create":
            self._create(options)
        elif options["verb"] == "reactivate":
            self._reactivate(options)
        else:
            self._deactivate(options)

    def _create(self, options: dict[str, Any]) -> None:
        practice = practice_arg(options["practice"])
        email = options["email"].strip().lower()
        try:
            validate_email(email)
        except ValidationError as exc:
            raise CommandError(f"--email : adresse invalide : {email!r}") from exc
        if User.objects.filter(email=email).exists():
            raise CommandError(f"un compte existe déjà pour {email}")
        if options["rpps"] and options["role"] != Role.PRACTITIONER:
            # do_add_member would drop it silently: refuse rather than lose it.
            raise CommandError(f"--rpps ne s'applique qu'au rôle {Role.PRACTITIONER.value}")
        source = AuditSource.system("cli:user-create", practice_id=practice.pk)
        try:
            with transaction.atomic():
                user = do_create_user(
                    email,
                    first_name=options["first_name"],
                    last_name=options["last_name"],
                    source=source,
                )
                membership = do_add_member(
                    practice,
                    user,
                    role=options["role"],
                    is_admin=options["admin"],
                    rpps=options["rpps"],
                    source=source,
                )
        except ValidationError as exc:
            raise fail_on_validation(exc) from exc
        link = settings.BASE_URL.rstrip("/") + enrolment_path(user)
        self.emit(
            options,
            {
                "id": str(user.pk),
                "email": user.email,
                "membership": str(membership.pk),
                "enrolment_link": link,
            },
            f"Compte créé : {user.email}\nLien d'enrôlement (usage unique) : {link}",
        )

    def _reactivate(self, options: dict[str, Any]) -> None:
        user = user_arg(options["email"])
        if user.is_active:
            raise CommandError(f"{user.email} est actif : rien à réactiver")
        path = do_reactivate_user(user, source=AuditSource.system("cli:user-reactivate"))
        link = settings.BASE_URL.rstrip("/") + path
        self.emit(
            options,
            {"email": user.email, "active": True, "enrolment_link": link},
            f"Compte réactivé : {user.email}\nLien d'enrôlement (usage unique) : {link}",
        )

    def _deactivate(self, options: dict[str, Any]) -> None:
        user = user_arg(options["email"])
        if not user.is_active:
            raise CommandError(f"{user.email} est déjà désactivé")
        do_deactivate_user(
            user, reason=options["reason"], source=AuditSource.system("cli:user-deactivate")
        )
        self.emit(
            options,
            {"email": user.email, "active": False},
            f"Compte désactivé, sessions fermées : {user.email}",
        )
