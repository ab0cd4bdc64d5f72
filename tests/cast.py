"""The cast of every test that touches a patient, built through the real actions
(so the audit trail is exercised too). All of it is synthetic.

- Dr Alice Aubert: treating doctor of the patient, in practice A.
- Dr Bob Berger: colleague in practice A, no care relationship with the patient.
- Dr Carla Colin: doctor of practice B: must see nothing of practice A.
- Denise Dumas: assistant in practice A: identity yes, clinical content never.
- Dr Damien Delmas: left practice A (membership ended): must be refused everywhere.
- Ernest Estève: office manager of practice A (admin role, no patient access).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from importlib import import_module

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.test import Client

from hygie.accounts.actions import do_create_user
from hygie.accounts.models import User, UserSession
from hygie.audit.actions import AuditSource
from hygie.core import clock
from hygie.patients.actions import do_add_care_relationship, do_create_patient
from hygie.patients.enums import CareRelationshipKind, Gender, InsOid
from hygie.patients.forms_data import IdentityData
from hygie.patients.models import Patient
from hygie.practices.actions import do_add_member, do_create_practice, do_end_membership
from hygie.practices.context import Actor, as_system
from hygie.practices.enums import Role
from hygie.practices.models import Membership, Practice

SETUP = AuditSource.system("test-setup")
PASSWORD = "Hiboux-Trombone-Garance-1789"

# Synthetic RPPS numbers with a valid Luhn key.
RPPS_NUMBERS = [
    "19999990013",
    "19999990021",
    "19999990039",
    "19999990047",
    "19999990054",
    "19999990062",
    "19999990070",
    "19999990088",
]


def make_user(email: str, first: str, last: str) -> User:
    user = do_create_user(email, first_name=first, last_name=last, source=SETUP)
    user.set_password(PASSWORD)
    user.save()
    return user


def make_member(
    practice: Practice,
    email: str,
    first: str,
    last: str,
    role: str,
    rpps: str = "",
    is_admin: bool = False,
) -> Membership:
    user = make_user(email, first, last)
    return do_add_member(
        practice,
        user,
        role=role,
        rpps=rpps,
        is_admin=is_admin,
        start_date=dt.date(2024, 1, 1),
        source=SETUP,
    )


def actor_of(membership: Membership) -> Actor:
    membership.refresh_from_db()
    return Actor(
        practice=membership.practice,
        user=membership.user,
        membership=membership,
        source=AuditSource(
            user_id=membership.user.pk,
            user_label=membership.user.email,
            practice_id=membership.practice_id,
            source_address="192.0.2.1",
            user_agent="pytest",
            session_ref="",
        ),
    )


def identity(**overrides: object) -> IdentityData:
    values: dict[str, object] = dict(
        birth_family_name="Lefèvre",
        birth_given_names="Jeanne Marie",
        birth_date=dt.date(1984, 3, 12),
        sex=Gender.FEMALE,
        birthplace_insee="75112",
        nir="284037511200149",
        ins_oid=InsOid.TEST_NIR,
        phone="01 99 00 12 34",
        email="jeanne.lefevre@exemple.test",
        address="12 rue des Écoles, 75005 Paris",
    )
    values.update(overrides)
    return IdentityData(**values)  # type: ignore[arg-type]


def enrol_totp(user: User) -> bytes:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def open_session(user: User, practice: Practice) -> str:
    """A logged-in session of `user` working in `practice`, as the login flow leaves
    it (Django session and tracked session); returns the session key."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store["_auth_user_id"] = str(user.pk)
    store.create()
    UserSession.objects.create(
        user=user,
        session_key=store.session_key,
        device_id="d" * 24,
        practice_id=practice.pk,
        last_seen_at=clock.now(),
    )
    return str(store.session_key)


def login(client: Client, user: User) -> Client:
    """A browser session that went through password and second factor. The real
    flow (forms, TOTP codes) is exercised in accounts/tests/test_login_flow.py."""
    if not Authenticator.objects.filter(user=user).exists():
        enrol_totp(user)
    client.force_login(user)
    # What allauth's MFA stage leaves in the session after a valid code.
    session = client.session
    session["account_authentication_methods"] = [
        {"method": "password", "at": time.time(), "email": user.email},
        {"method": "mfa", "at": time.time(), "type": "totp"},
    ]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()
    return client


@dataclass
class Cast:
    practice_a: Practice
    practice_b: Practice
    alice: Membership
    bob: Membership
    carla: Membership
    denise: Membership
    damien: Membership
    ernest: Membership
    patient: Patient

    def actor(self, name: str) -> Actor:
        return actor_of(getattr(self, name))


def build_cast() -> Cast:
    rpps = iter(RPPS_NUMBERS)
    a = do_create_practice("Cabinet A", source=SETUP)
    b = do_create_practice("Cabinet B", source=SETUP)
    alice = make_member(a, "alice@a.test", "Alice", "Aubert", Role.PRACTITIONER, next(rpps))
    bob = make_member(a, "bob@a.test", "Bob", "Berger", Role.PRACTITIONER, next(rpps))
    carla = make_member(b, "carla@b.test", "Carla", "Colin", Role.PRACTITIONER, next(rpps))
    denise = make_member(a, "denise@a.test", "Denise", "Dumas", Role.ASSISTANT)
    damien = make_member(a, "damien@a.test", "Damien", "Delmas", Role.PRACTITIONER, next(rpps))
    ernest = make_member(a, "ernest@a.test", "Ernest", "Estève", Role.ADMIN)
    patient = do_create_patient(as_system(a, "test-setup"), identity())
    do_add_care_relationship(
        as_system(a, "test-setup"), patient, alice, kind=CareRelationshipKind.TREATING
    )
    do_add_care_relationship(
        as_system(a, "test-setup"), patient, damien, kind=CareRelationshipKind.CARE_TEAM
    )
    do_end_membership(damien, reason="départ", source=SETUP)
    return Cast(a, b, alice, bob, carla, denise, damien, ernest, patient)
