from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.db import DatabaseError
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from hygie.core.cli import HygieCommand
from hygie.terminology.loading import load_cim10
from hygie.terminology.models import Cim10Release
from hygie.terminology.queries import current_release
from hygie.terminology.source import Cim10SourceError, packaged_source, sha256_of


class Command(HygieCommand):
    help = (
        "Référentiels : charge la CIM-10 fournie par edsnlp (terminology load) "
        "ou dit laquelle est chargée (terminology status)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        load = sub.add_parser(
            "load",
            help="charge la CIM-10 ; ne fait rien si ce fichier est déjà chargé",
        )
        load.add_argument(
            "--file",
            type=Path,
            help="un cim10.csv.gz au format d'edsnlp (par défaut : celui du paquet installé)",
        )
        super().add_arguments(load)
        status = sub.add_parser("status", help="la CIM-10 chargée, et si le paquet en a une autre")
        super().add_arguments(status)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["verb"] == "load":
            self._load(options)
        else:
            self._status(options)

    def _load(self, options: dict[str, Any]) -> None:
        try:
            report = load_cim10(options["file"])
        except Cim10SourceError as exc:
            raise CommandError(
                _("CIM-10 non chargée, rien n'a changé :\n%(e)s") % {"e": exc}
            ) from exc
        except DatabaseError as exc:
            # A load running at the same time (first load on PostgreSQL): this one
            # rolled back; running it again finds the list loaded.
            raise CommandError(
                _("CIM-10 non chargée, rien n'a changé (%(e)s) ; relancez la commande") % {"e": exc}
            ) from exc
        release = report.release
        if report.loaded:
            text = _(
                "CIM-10 chargée : %(codes)s codes (%(selectable)s sélectionnables) "
                "depuis %(source)s, en %(seconds)s s."
            ) % {
                "codes": _number(release.codes),
                "selectable": _number(release.selectable_codes),
                "source": _source(release),
                "seconds": number_format(report.seconds, decimal_pos=1, use_l10n=True),
            }
        else:
            text = _("CIM-10 déjà chargée depuis ce fichier (%(source)s) : rien à faire.") % {
                "source": _source(release)
            }
        data = {"loaded": report.loaded, "seconds": round(report.seconds, 2), **_as_data(release)}
        self.emit(options, data, text)

    def _status(self, options: dict[str, Any]) -> None:
        release = current_release()
        installed, problem = _installed_sha256()
        data: dict[str, Any] = {"loaded": release is not None}
        if release is None:
            lines = [_("CIM-10 non chargée : lancez « hygie terminology load ».")]
        else:
            data.update(_as_data(release))
            lines = [
                _("CIM-10 chargée le %(at)s : %(codes)s codes (%(selectable)s sélectionnables).")
                % {
                    "at": timezone.localtime(release.loaded_at).strftime("%d/%m/%Y %H:%M"),
                    "codes": _number(release.codes),
                    "selectable": _number(release.selectable_codes),
                },
                _("Source : %(source)s, SHA-256 %(sha)s.")
                % {"source": _source(release), "sha": release.sha256},
            ]
        data["installed_sha256"] = installed
        data["up_to_date"] = release is not None and installed == release.sha256
        if problem:
            lines.append(_("Paquet : %(problem)s") % {"problem": problem})
        elif release is not None and not data["up_to_date"]:
            lines.append(
                _(
                    "Le paquet installé fournit une autre version : "
                    "lancez « hygie terminology load » pour la charger."
                )
            )
        self.emit(options, data, "\n".join(lines))


def _installed_sha256() -> tuple[str | None, str]:
    """The SHA-256 of the file the installed package ships, or why there is none."""
    try:
        return sha256_of(packaged_source()), ""
    except Cim10SourceError as exc:
        return None, str(exc)


def _number(n: int) -> str:
    return number_format(n, force_grouping=True, use_l10n=True)  # "42 886"


def _source(release: Cim10Release) -> str:
    if release.package:
        return f"{release.package} {release.package_version} ({release.source_file})"
    return release.source_file


def _as_data(release: Cim10Release) -> dict[str, Any]:
    return {
        "codes": release.codes,
        "selectable_codes": release.selectable_codes,
        "source_file": release.source_file,
        "package": release.package,
        "package_version": release.package_version,
        "sha256": release.sha256,
        "loaded_at": release.loaded_at.isoformat(),
    }
