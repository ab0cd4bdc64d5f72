"""`hygie user create|deactivate`, on the cast of tests/cast.py (practice A: Alice,
Bob, Denise...; practice B: Carla)."""

from __future__ import annotations

import io
import json
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.test import Client

from hygie.accounts.models import User, UserSession
from hygie.audit.actions import reason_text
from hygie.audit.enums import AuditEventType
from hygie.audit.models import AuditEvent
from hygie.practices.enums import Role
from hygie.practices.models import Membership, Practice
from tests.cast import RPPS_NUMBERS, Cast, open_session

NEW_RPPS = RPPS_NUMBERS[-1]  # not used by the cast


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def create(
    practice: Practice | str, email: str = "emma@a.test", role: str = Role.ASSISTANT, *extra: str
) -> str:
    practice_id = practice if isinstance(practice, str) else str(practice.pk)
    return run(
        "user", "create", "--email", email, "--practice", practice_id, "--role", role, *extra
    )


def users() -> set[str]:
    return set(User.objects.values_list("email", flat=True))


# --- user create ---------------------------------------------------------------------------


def test_create_prints_a_one_time_enrolment_link(cast: Cast) -> None:
    out = create(cast.practice_a)

    link = next(w for w in out.split() if w.startswith("http"))
    assert link.startswith(settings.BASE_URL.rstrip("/") + "/comptes/password/reset/key/")


def test_the_enrolment_link_opens_the_password_form(cast: Cast) -> None:
    out = create(cast.practice_a)
    path = urlsplit(next(w for w in out.split() if w.startswith("http"))).path

    response = Client().get(path, follow=True)

    assert response.status_code == 200
    assert b'name="password1"' in response.content


def test_create_makes_an_account_without_usable_password_and_a_membership(cast: Cast) -> None:
    create(cast.practice_a, "Emma@A.test", Role.ASSISTANT, "--first-name", "Emma")

    user = User.objects.get(email="emma@a.test")
    assert user.first_name == "Emma"
    assert not user.has_usable_password()
    membership = Membership.objects.get(user=user)
    assert (membership.practice, membership.role) == (cast.practice_a, Role.ASSISTANT)


def test_create_a_practitioner_records_their_rpps(cast: Cast) -> None:
    create(cast.practice_a, "eva@a.test", Role.PRACTITIONER, "--rpps", NEW_RPPS)

    user = User.objects.get(email="eva@a.test")
    assert user.practitioner.rpps == NEW_RPPS
    assert user.memberships.get().role == Role.PRACTITIONER


def test_create_is_audited(cast: Cast) -> None:
    create(cast.practice_a)

    user = User.objects.get(email="emma@a.test")
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.USER_CREATED, entity_id=str(user.pk)
    ).exists()
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.MEMBERSHIP_CREATED, entity_id=str(user.memberships.get().pk)
    ).exists()


def test_create_json_gives_the_account_and_its_link(cast: Cast) -> None:
    data = json.loads(create(cast.practice_a, "emma@a.test", Role.ASSISTANT, "--json"))

    user = User.objects.get(email="emma@a.test")
    assert data["id"] == str(user.pk)
    assert data["email"] == "emma@a.test"
    assert data["membership"] == str(user.memberships.get().pk)
    assert "/comptes/password/reset/key/" in data["enrolment_link"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ((), "doit avoir un numéro RPPS"),
        (("--rpps", "19999990014"), "clé de contrôle incorrecte"),
        (("--rpps", "1234"), "11 chiffres"),
        (("--rpps", RPPS_NUMBERS[0]), "déjà attribué"),  # Alice's
    ],
)
def test_create_refuses_a_practitioner_without_a_valid_rpps_and_creates_no_account(
    cast: Cast, extra: tuple[str, ...], message: str
) -> None:
    before = users()
    events = AuditEvent.objects.count()

    with pytest.raises(CommandError, match=message):
        create(cast.practice_a, "eva@a.test", Role.PRACTITIONER, *extra)

    assert users() == before
    assert AuditEvent.objects.count() == events


def test_create_refuses_an_rpps_for_a_role_that_does_not_hold_one(cast: Cast) -> None:
    with pytest.raises(CommandError, match="--rpps ne s'applique qu'au rôle practitioner"):
        create(cast.practice_a, "emma@a.test", Role.ASSISTANT, "--rpps", NEW_RPPS)

    assert not User.objects.filter(email="emma@a.test").exists()


@pytest.mark.parametrize(
    ("practice", "message"),
    [
        ("00000000-0000-0000-0000-000000000000", "aucun cabinet"),
        ("Cabinet A", "n'est pas un identifiant de cabinet"),
        ("42", "n'est pas un identifiant de cabinet"),
    ],
)
def test_create_refuses_an_unknown_or_malformed_practice(
    cast: Cast, practice: str, message: str
) -> None:
    before = users()

    with pytest.raises(CommandError, match=message):
        create(practice)

    assert users() == before


@pytest.mark.parametrize("email", ["bob@a.test", "BOB@a.test ", "carla@b.test"])
def test_create_refuses_an_email_that_already_has_an_account(cast: Cast, email: str) -> None:
    memberships = Membership.objects.count()

    with pytest.raises(CommandError, match="un compte existe déjà"):
        create(cast.practice_a, email)

    assert Membership.objects.count() == memberships


@pytest.mark.parametrize("email", ["emma", "emma@", "", "emma @a.test"])
def test_create_refuses_a_malformed_email(cast: Cast, email: str) -> None:
    before = users()

    with pytest.raises(CommandError, match="--email : adresse invalide"):
        create(cast.practice_a, email)

    assert users() == before


def test_create_refuses_an_unknown_role(cast: Cast) -> None:
    with pytest.raises(CommandError, match="invalid choice"):
        create(cast.practice_a, "emma@a.test", "doctor")

    assert not User.objects.filter(email="emma@a.test").exists()


# --- user deactivate -----------------------------------------------------------------------


def test_deactivate_disables_the_account(cast: Cast) -> None:
    out = run("user", "deactivate", "bob@a.test")

    bob = User.objects.get(email="bob@a.test")
    assert not bob.is_active
    assert bob.deactivated_at is not None
    assert "bob@a.test" in out


def test_deactivate_ends_every_session_of_the_account(cast: Cast) -> None:
    bob = cast.bob.user
    keys = [open_session(bob, cast.practice_a), open_session(bob, cast.practice_a)]
    alice_key = open_session(cast.alice.user, cast.practice_a)

    run("user", "deactivate", "bob@a.test")

    assert not UserSession.objects.filter(user=bob, revoked_at=None).exists()
    assert not Session.objects.filter(session_key__in=keys).exists()
    # Alice, in the same practice, keeps hers.
    assert Session.objects.filter(session_key=alice_key).exists()
    assert UserSession.objects.get(session_key=alice_key).revoked_at is None


def test_deactivate_is_audited(cast: Cast) -> None:
    run("user", "deactivate", "bob@a.test", "--reason", "départ")

    event = AuditEvent.objects.get(
        event_type=AuditEventType.ACCOUNT_DEACTIVATED, entity_id=str(cast.bob.user_id)
    )
    assert event.user_label == "system:cli:user-deactivate"
    assert event.detail == {}  # the free-text reason is sealed, not in clear
    assert reason_text(event) == "départ"


def test_deactivate_json(cast: Cast) -> None:
    data: dict[str, Any] = json.loads(run("user", "deactivate", "bob@a.test", "--json"))

    assert data == {"email": "bob@a.test", "active": False}


def test_deactivate_refuses_an_unknown_email_and_changes_nothing(cast: Cast) -> None:
    events = AuditEvent.objects.count()

    with pytest.raises(CommandError, match=re.escape("aucun compte pour nobody@a.test")):
        run("user", "deactivate", "nobody@a.test")

    assert AuditEvent.objects.count() == events
    assert User.objects.filter(is_active=False).count() == 0


def test_deactivate_refuses_an_account_already_disabled(cast: Cast) -> None:
    run("user", "deactivate", "bob@a.test")

    with pytest.raises(CommandError, match="déjà désactivé"):
        run("user", "deactivate", "bob@a.test")
