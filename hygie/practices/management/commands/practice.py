from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError

from hygie.audit.actions import AuditSource
from hygie.core.cli import HygieCommand, fail_on_validation
from hygie.practices.actions import do_create_practice
from hygie.practices.models import Practice


class Command(HygieCommand):
    help = "Crée ou liste les cabinets (practice create NOM | practice list)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="crée un cabinet et affiche son identifiant")
        create.add_argument("name")
        super().add_arguments(create)
        listing = sub.add_parser("list", help="liste les cabinets")
        super().add_arguments(listing)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["verb"] == "create":
            try:
                practice = do_create_practice(
                    options["name"], source=AuditSource.system("cli:practice-create")
                )
            except ValidationError as exc:
                raise fail_on_validation(exc) from exc
            self.emit(options, {"id": str(practice.pk), "name": practice.name}, str(practice.pk))
            return
        practices = Practice.objects.order_by("name")
        data = [{"id": str(p.pk), "name": p.name} for p in practices]
        self.emit(
            options, data, "\n".join(f"{p['id']}  {p['name']}" for p in data) or "Aucun cabinet."
        )
