"""Seeds a synthetic demo practice: team, patients and care relationships."""

from __future__ import annotations

import datetime as dt
import os
import random
import secrets
import time
from argparse import ArgumentParser
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.db import transaction
from stdnum import luhn

from hygie.accounts.actions import do_create_user
from hygie.accounts.models import User
from hygie.audit.actions import AuditSource
from hygie.core import clock
from hygie.core.cli import HygieCommand, fail_on_validation
from hygie.patients.actions import build_patient, do_create_built_patients
from hygie.patients.demo import synthetic_identity
from hygie.patients.forms_data import IdentityData, check_identity
from hygie.practices.actions import do_add_member, do_create_practice, do_end_membership
from hygie.practices.context import as_system
from hygie.practices.enums import Role, Specialty
from hygie.practices.models import Membership, Practice, Practitioner

DOMAIN = "cabinet-des-tilleuls.test"
# (e-mail, first name, last name, role, admin, specialty)
TEAM = [
    ("claire.martin", "Claire", "Martin", Role.PRACTITIONER, True, "SM54"),
    ("paul.bernard", "Paul", "Bernard", Role.PRACTITIONER, False, "SM54"),
    ("sophie.durand", "Sophie", "Durand", Role.ASSISTANT, False, ""),
    ("marc.lefort", "Marc", "Lefort", Role.PRACTITIONER, False, "SM54"),
]
BATCH = 1000
# Synthetic RPPS numbers: this prefix, a serial and a Luhn key (19999990013, ...).
RPPS_PREFIX = "1999999"


class Command(HygieCommand):
    help = "Crée un cabinet de démonstration avec des données entièrement fictives."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--patients", type=int, default=300)
        parser.add_argument(
            "--if-empty", action="store_true", help="ne fait rien si un cabinet existe déjà"
        )
        parser.add_argument("--seed", type=int, default=None)
        super().add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        count = options["patients"]
        if count < 0 or count > 1_000_000:
            raise CommandError("--patients : entre 0 et 1 000 000")
        if options["if_empty"] and Practice.objects.exists():
            self.emit(
                options,
                {"created": False},
                "Données existantes conservées (aucune donnée de démonstration ajoutée).",
            )
            return
        taken = User.objects.filter(email__in=[f"{t[0]}@{DOMAIN}" for t in TEAM]).first()
        if taken is not None:
            raise CommandError(
                f"{taken.email} existe déjà : la démo a déjà été créée "
                "(--if-empty pour ne rien faire dans ce cas)"
            )
        started = time.monotonic()
        rng = random.Random(options["seed"])  # noqa: S311 (synthetic data, not secrets)
        # One transaction: a demo that fails half-way leaves nothing behind.
        try:
            with transaction.atomic():
                practice, logins = self._team()
                created = self._patients(practice, count, rng)
        except ValidationError as exc:
            raise fail_on_validation(exc) from exc
        elapsed = time.monotonic() - started
        path = self._write_logins(logins)
        data = {
            "practice": str(practice.pk),
            "patients": created,
            "seconds": round(elapsed, 1),
            "logins": [{"email": e, "password": p, "role": r} for e, p, r in logins],
        }
        lines = [
            f"Cabinet de démonstration « {practice.name} » : {created} patients fictifs "
            f"créés en {elapsed:.1f} s.",
            "",
            "Comptes de démonstration :",
        ]
        lines += [f"  {e:40} {p}   ({r})" for e, p, r in logins]
        lines += [
            "",
            f"(mots de passe enregistrés dans {path}, lisible par vous seul)",
            "À la première connexion, Hygie impose un second facteur : choisissez "
            "l'application d'authentification, confirmez votre mot de passe, scannez le QR "
            "code (ou ajoutez une clé de sécurité), puis saisissez le code affiché.",
            "Marc Lefort a quitté le cabinet : son compte est refusé (scénario de novembre 2025).",
        ]
        self.emit(options, data, "\n".join(lines))

    def _team(self) -> tuple[Practice, list[tuple[str, str, str]]]:
        source = AuditSource.system("demo")
        logins = []
        rpps_numbers = _free_rpps_numbers()
        practice = do_create_practice("Cabinet médical des Tilleuls (démo)", source=source)
        for local, first, last, role, admin, specialty in TEAM:
            email = f"{local}@{DOMAIN}"
            user = do_create_user(email, first_name=first, last_name=last, source=source)
            password = "-".join(secrets.token_urlsafe(6) for _ in range(3))
            user.set_password(password)
            user.last_seen_at = clock.now()
            user.save()
            membership = do_add_member(
                practice,
                user,
                role=role,
                is_admin=admin,
                rpps=next(rpps_numbers) if role == Role.PRACTITIONER else "",
                specialty=specialty if specialty in Specialty.values else "",
                start_date=clock.today() - dt.timedelta(days=400),
                source=source,
            )
            if local == "marc.lefort":
                do_end_membership(membership, reason="départ du cabinet", source=source)
            logins.append((email, password, membership.get_role_display()))
        return practice, logins

    def _patients(self, practice: Practice, count: int, rng: random.Random) -> int:
        actor = as_system(practice, "demo")
        doctors = list(
            Membership.objects.filter(practice=practice, role=Role.PRACTITIONER, ended_at=None)
        )
        today = clock.today()
        nirs: set[str] = set()
        created = 0
        while created < count:
            size = min(BATCH, count - created)
            built = []
            for _ in range(size):
                patient, tokens = build_patient(
                    actor, check_identity(_new_identity(rng, today, nirs), today)
                )
                if doctors:
                    patient.treating_practitioner = rng.choice(doctors)
                built.append((patient, tokens))
            do_create_built_patients(actor, built, via="demo")
            created += size
        return created

    @staticmethod
    def _write_logins(logins: list[tuple[str, str, str]]) -> Path:
        path = Path(settings.DATA_DIR) / "demo-logins.txt"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.writelines(f"{e}\t{p}\t{r}\n" for e, p, r in logins)
        return path


def _new_identity(rng: random.Random, today: dt.date, nirs: set[str]) -> IdentityData:
    """A synthetic identity whose NIR no earlier one has: two people drawn with the
    same sex, month, birthplace and serial would otherwise share one (a practice
    holds each NIR once)."""
    while True:
        identity = synthetic_identity(rng, today)
        if not identity.nir or identity.nir not in nirs:
            if identity.nir:
                nirs.add(identity.nir)
            return identity


def _free_rpps_numbers() -> Iterator[str]:
    """Synthetic RPPS numbers that no practitioner of this database holds yet."""
    taken = set(
        Practitioner.objects.filter(rpps__startswith=RPPS_PREFIX).values_list("rpps", flat=True)
    )
    for serial in range(1, 1000):
        body = f"{RPPS_PREFIX}{serial:03d}"
        number = body + luhn.calc_check_digit(body)
        if number not in taken:
            yield number
    raise CommandError("plus de numéro RPPS fictif disponible pour la démo")
