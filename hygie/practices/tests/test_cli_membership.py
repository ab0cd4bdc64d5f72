"""`hygie membership end EMAIL --practice P`: access ends now, in that practice only."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command

from hygie.accounts.models import UserSession
from hygie.audit.actions import AuditSource, reason_text
from hygie.audit.enums import AuditEventType
from hygie.audit.models import AuditEvent
from hygie.core import clock
from hygie.practices.actions import do_add_member
from hygie.practices.enums import Role
from hygie.practices.models import Membership, Practice
from tests.cast import Cast, open_session


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def end(email: str, practice: Practice, *extra: str) -> str:
    return run("membership", "end", email, "--practice", str(practice.pk), *extra)


def test_end_closes_the_membership_now(cast: Cast) -> None:
    out = end("bob@a.test", cast.practice_a)

    cast.bob.refresh_from_db()
    assert cast.bob.ended_at is not None
    assert cast.bob.end_date == clock.today()
    assert not cast.bob.is_current(clock.today())
    assert "bob@a.test" in out


def test_end_revokes_the_sessions_working_in_that_practice_only(cast: Cast) -> None:
    """Bob also works at practice B: that session survives."""
    bob = cast.bob.user
    do_add_member(cast.practice_b, bob, role=Role.PRACTITIONER, source=AuditSource.system("t"))
    in_a = open_session(bob, cast.practice_a)
    in_b = open_session(bob, cast.practice_b)

    end("bob@a.test", cast.practice_a)

    assert UserSession.objects.get(session_key=in_a).revoked_at is not None
    assert not Session.objects.filter(session_key=in_a).exists()
    assert UserSession.objects.get(session_key=in_b).revoked_at is None
    assert Session.objects.filter(session_key=in_b).exists()
    assert Membership.objects.get(user=bob, practice=cast.practice_b).ended_at is None


def test_end_is_audited_with_its_reason(cast: Cast) -> None:
    end("bob@a.test", cast.practice_a, "--reason", "fin de remplacement")

    event = AuditEvent.objects.get(
        event_type=AuditEventType.MEMBERSHIP_ENDED, entity_id=str(cast.bob.pk)
    )
    assert event.practice_id == cast.practice_a.pk
    assert event.user_label == "system:cli:membership-end"
    assert "reason" not in event.detail  # free text is sealed, not in clear
    assert reason_text(event) == "fin de remplacement"


def test_end_json(cast: Cast) -> None:
    data = json.loads(end("bob@a.test", cast.practice_a, "--json"))

    assert data == {"email": "bob@a.test", "practice": str(cast.practice_a.pk), "ended": True}


def test_end_refuses_a_membership_already_ended(cast: Cast) -> None:
    """Damien left practice A when the cast was built."""
    events = AuditEvent.objects.count()

    with pytest.raises(CommandError, match="déjà terminée"):
        end("damien@a.test", cast.practice_a)

    assert AuditEvent.objects.count() == events


def test_end_refuses_someone_who_is_not_a_member_of_that_practice(cast: Cast) -> None:
    with pytest.raises(CommandError, match=re.escape("carla@b.test n'est pas membre du cabinet")):
        end("carla@b.test", cast.practice_a)

    assert Membership.objects.get(user=cast.carla.user).ended_at is None


def test_end_refuses_an_unknown_email(cast: Cast) -> None:
    with pytest.raises(CommandError, match=re.escape("aucun compte pour nobody@a.test")):
        end("nobody@a.test", cast.practice_a)


def test_end_refuses_a_malformed_practice_id(cast: Cast) -> None:
    with pytest.raises(CommandError, match="n'est pas un identifiant de cabinet"):
        run("membership", "end", "bob@a.test", "--practice", "Cabinet A")

    assert Membership.objects.get(pk=cast.bob.pk).ended_at is None


def test_the_operator_attaches_an_existing_account_to_a_second_practice(cast):
    from django.core.management import call_command

    call_command(
        "membership",
        "add",
        "alice@a.test",
        "--practice",
        str(cast.practice_b.pk),
        "--role",
        "practitioner",
    )
    assert Membership.objects.filter(user=cast.alice.user, practice=cast.practice_b).exists()


def test_the_operator_reactivates_an_account_with_a_new_enrolment(cast, capsys):
    from django.core.management import call_command

    from hygie.accounts.actions import do_deactivate_user
    from tests.cast import SETUP

    do_deactivate_user(cast.bob.user, reason="dormant", source=SETUP)
    call_command("user", "reactivate", "bob@a.test")
    assert "/comptes/password/reset/key/" in capsys.readouterr().out
    cast.bob.user.refresh_from_db()
    assert cast.bob.user.is_active and not cast.bob.user.has_usable_password()
