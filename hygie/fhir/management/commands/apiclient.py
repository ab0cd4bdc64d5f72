from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from hygie.audit.actions import AuditSource
from hygie.core.cli import HygieCommand, fail_on_validation
from hygie.fhir.models import ApiClient
from hygie.fhir.smart.actions import (
    do_register_app_client,
    do_register_backend_client,
    do_revoke_api_client,
)
from hygie.practices.cli import practice_arg

MAX_JWKS_BYTES = 64 * 1024


class Command(HygieCommand):
    help = (
        "Clients de l'API FHIR : apiclient create --practice P --name N --scopes S --jwks FICHIER "
        "(service, SMART Backend Services) ou --redirect-uri URI (application SMART) | "
        "apiclient list [--practice P] | apiclient revoke CLIENT_ID."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="enregistre un client et affiche son client_id")
        create.add_argument("--name", required=True)
        create.add_argument(
            "--scopes", required=True, help='portées SMART v2, ex. "system/Patient.rs"'
        )
        create.add_argument("--practice", help="cabinet (obligatoire pour un service)")
        create.add_argument("--jwks", help="fichier JWKS des clés publiques (service)")
        create.add_argument(
            "--redirect-uri",
            action="append",
            default=[],
            help="adresse de retour (application SMART ; répétable)",
        )
        super().add_arguments(create)
        listing = sub.add_parser("list", help="liste les clients")
        listing.add_argument("--practice")
        super().add_arguments(listing)
        revoke = sub.add_parser("revoke", help="révoque un client et tous ses jetons")
        revoke.add_argument("client_id")
        revoke.add_argument("--reason", default="révoqué en ligne de commande")
        super().add_arguments(revoke)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["verb"] == "create":
            self._create(options)
        elif options["verb"] == "list":
            self._list(options)
        else:
            self._revoke(options)

    def _create(self, options: dict[str, Any]) -> None:
        jwks_file, uris = options["jwks"], options["redirect_uri"]
        if bool(jwks_file) == bool(uris):
            raise CommandError(
                "indiquez soit --jwks (service, SMART Backend Services), soit "
                "--redirect-uri (application SMART), pas les deux"
            )
        practice = practice_arg(options["practice"]) if options["practice"] else None
        source = AuditSource.system("cli:apiclient-create", practice.pk if practice else None)
        try:
            if jwks_file:
                if practice is None:
                    raise CommandError("un service (--jwks) appartient à un cabinet : --practice")
                client = do_register_backend_client(
                    practice,
                    name=options["name"],
                    scopes=options["scopes"],
                    jwks=_read_jwks(jwks_file),
                    source=source,
                )
            else:
                client = do_register_app_client(
                    name=options["name"],
                    scopes=options["scopes"],
                    redirect_uris=uris,
                    practice=practice,
                    source=source,
                )
        except ValidationError as exc:
            raise fail_on_validation(exc) from exc
        self.emit(options, {"client_id": client.client_id}, client.client_id)

    def _list(self, options: dict[str, Any]) -> None:
        clients = ApiClient.objects.select_related("practice").order_by("created")
        if options["practice"]:
            clients = clients.filter(practice=practice_arg(options["practice"]))
        data = [
            {
                "client_id": c.client_id,
                "name": c.name,
                "kind": c.kind,
                "practice": str(c.practice_id) if c.practice_id else None,
                "scopes": c.registered_scopes,
                "redirect_uris": c.redirect_uris.split(),
                "revoked": c.disabled_at is not None,
            }
            for c in clients
        ]
        lines = [
            f"{d['client_id']}  {d['kind']:<8} {d['name']}"
            f"{'  (révoqué)' if d['revoked'] else ''}  {d['scopes']}"
            for d in data
        ]
        self.emit(options, data, "\n".join(lines) or "Aucun client.")

    def _revoke(self, options: dict[str, Any]) -> None:
        client = ApiClient.objects.filter(client_id=options["client_id"].strip()).first()
        if client is None:
            raise CommandError(f"aucun client {options['client_id']}")
        try:
            counts = do_revoke_api_client(
                client,
                reason=options["reason"],
                source=AuditSource.system("cli:apiclient-revoke", client.practice_id),
            )
        except ValidationError as exc:
            raise fail_on_validation(exc) from exc
        self.emit(
            options,
            {"client_id": client.client_id, "revoked": True, **counts},
            f"Client {client.client_id} révoqué ; {counts['access_tokens']} jeton(s) d'accès "
            f"et {counts['refresh_tokens']} jeton(s) de rafraîchissement supprimés.",
        )


def _read_jwks(name: str) -> Any:
    path = Path(name)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CommandError(f"--jwks : impossible de lire {name} ({exc.strerror})") from exc
    if len(raw) > MAX_JWKS_BYTES:
        raise CommandError(f"--jwks : fichier trop gros ({MAX_JWKS_BYTES} octets au plus)")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CommandError(f"--jwks : {name} n'est pas du JSON valide") from exc
