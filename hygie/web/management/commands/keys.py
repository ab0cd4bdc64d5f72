"""`hygie keys rotate|reencrypt|status`: rotate encryption keys and follow progress.

Every argument is validated, and the keys checked, before anything changes: a
typo in a practice id must not leave half of the practices rotated.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from hygie.crypto.errors import KeyConfigurationError
from hygie.crypto.keys import check_keys
from hygie.crypto.models import DataKey
from hygie.crypto.providers import FileKeyProvider, get_key_provider
from hygie.crypto.rotation import (
    Progress,
    do_rewrap_all_keys,
    do_rotate_tenant_data_key,
    rows_on_old_versions,
    tenants,
)
from hygie.web.tasks import record_key_event, reencrypt_and_record, reencrypt_tenant_task


class Command(BaseCommand):
    help = "Rotation et état des clés de chiffrement des cabinets."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(
            dest="action", required=True, metavar="rotate|reencrypt|status"
        )
        rotate = actions.add_parser("rotate", help=_("nouvelle version des clés de données"))
        rotate.add_argument("--practice", help=_("un seul cabinet (identifiant)"))
        rotate.add_argument(
            "--master", action="store_true", help=_("changer la clé maîtresse et re-protéger")
        )
        rotate.add_argument(
            "--wait", action="store_true", help=_("re-chiffrer ici au lieu d'une tâche de fond")
        )
        rotate.add_argument("--json", action="store_true")
        reencrypt = actions.add_parser(
            "reencrypt", help=_("reprendre un re-chiffrement interrompu")
        )
        reencrypt.add_argument("--practice", help=_("un seul cabinet (identifiant)"))
        reencrypt.add_argument("--json", action="store_true")
        status = actions.add_parser("status", help=_("version active et lignes à re-chiffrer"))
        status.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        self.as_json = options["json"]
        if options["action"] == "status":
            self._emit(self._status())
            return
        if options["action"] == "reencrypt":
            targets = self._targets(options["practice"])
            self._check()
            self._emit({"practices": [self._reencrypt(t) for t in targets]})
            return
        if options["master"]:
            if options["practice"]:
                raise CommandError(
                    _("--master concerne tous les cabinets : ne pas le combiner avec --practice.")
                )
            self._check()
            self._emit(self._rotate_master())
            return
        targets = self._targets(options["practice"])
        self._check()
        if not targets:
            self._line(_("Aucun cabinet n'a de clés : rien à faire."))
        results = []
        for tenant in targets:
            version = do_rotate_tenant_data_key(tenant)
            record_key_event(tenant, "cli:keys-rotate", {"data_key_version": version})
            self._line(
                _("cabinet %(p)s : clé de données v%(v)d active") % {"p": tenant, "v": version}
            )
            result: dict[str, Any] = {"practice": str(tenant), "version": version}
            if options["wait"]:
                result.update(self._reencrypt(tenant))
            else:
                result["task_id"] = self._enqueue(tenant)
            results.append(result)
        self._emit({"practices": results})

    def _targets(self, practice: str | None) -> list[uuid.UUID]:
        if practice is None:
            return tenants()
        try:
            tenant = uuid.UUID(practice)
        except ValueError:
            raise CommandError(
                _("--practice : « %(value)s » n'est pas un identifiant de cabinet (UUID).")
                % {"value": practice}
            ) from None
        if not DataKey.objects.filter(tenant_id=tenant).exists():
            raise CommandError(_("Aucune clé pour le cabinet %(p)s.") % {"p": tenant})
        return [tenant]

    def _check(self) -> None:
        try:
            check_keys()
        except KeyConfigurationError as exc:
            raise CommandError(str(exc)) from None

    def _reencrypt(self, tenant: uuid.UUID) -> dict[str, Any]:
        def report(progress: Progress) -> None:
            self._line(
                _("  %(model)s : %(scanned)d lignes parcourues, %(done)d re-chiffrées")
                % {
                    "model": progress.model,
                    "scanned": progress.scanned,
                    "done": progress.reencrypted,
                }
            )

        count = reencrypt_and_record(tenant, "cli:keys-reencrypt", progress=report)
        self._line(_("cabinet %(p)s : %(n)d lignes re-chiffrées") % {"p": tenant, "n": count})
        return {"practice": str(tenant), "reencrypted": count}

    def _enqueue(self, tenant: uuid.UUID) -> str:
        result = reencrypt_tenant_task.enqueue(str(tenant))
        self._line(_("  re-chiffrement en tâche de fond (%(id)s)") % {"id": result.id})
        return str(result.id)

    def _rotate_master(self) -> dict[str, Any]:
        provider = get_key_provider()
        if isinstance(provider, FileKeyProvider):
            kid = provider.create_new_master()
            self._line(
                _("nouvelle clé maîtresse %(kid)s : %(path)s")
                % {"kid": kid, "path": provider.path_for(kid)}
            )
        else:
            # Hosted: the operator has already put the new key in HYGIE_MASTER_KEY
            # and the old one in HYGIE_MASTER_KEY_PREVIOUS; only re-wrapping is left.
            kid = provider.current_kid()
        count = do_rewrap_all_keys()
        record_key_event(None, "cli:keys-rotate-master", {"master_kid": kid, "rewrapped": count})
        self._line(
            _(
                "%(n)d clés re-protégées par %(kid)s. Gardez l'ancienne clé maîtresse tant "
                "que vous gardez des sauvegardes antérieures."
            )
            % {"n": count, "kid": kid}
        )
        return {"master_kid": kid, "rewrapped": count}

    def _status(self) -> dict[str, Any]:
        try:
            current_kid: str | None = get_key_provider().current_kid()
        except KeyConfigurationError as exc:
            current_kid = None
            self._line(str(exc))
        practices = []
        for tenant in tenants():
            keys = DataKey.objects.filter(tenant_id=tenant)
            active = keys.filter(status=DataKey.Status.ACTIVE)
            data = active.filter(purpose=DataKey.Purpose.DATA).values_list("version", flat=True)
            practices.append(
                {
                    "practice": str(tenant),
                    "data_version": data.first(),
                    "retired_versions": keys.filter(status=DataKey.Status.RETIRED).count(),
                    "master_kids": sorted(set(keys.values_list("master_kid", flat=True))),
                    "rows_on_old_versions": rows_on_old_versions(tenant),
                }
            )
        pending = DataKey.objects.exclude(master_kid=current_kid or "").count()
        status = {"master_kid": current_kid, "keys_to_rewrap": pending, "practices": practices}
        if not self.as_json:
            self.stdout.write(
                _("clé maîtresse courante : %(kid)s ; clés à re-protéger : %(n)d")
                % {"kid": current_kid or "?", "n": pending}
            )
            for p in practices:
                self.stdout.write(
                    _(
                        "cabinet %(practice)s : v%(data_version)s active, "
                        "%(rows_on_old_versions)d lignes à re-chiffrer"
                    )
                    % p
                )
        return status

    def _line(self, text: str) -> None:
        # With --json, stdout carries only the JSON document; progress goes to stderr.
        (self.stderr if self.as_json else self.stdout).write(text)

    def _emit(self, payload: dict[str, Any]) -> None:
        if self.as_json:
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
