"""`hygie jobs run`: the scheduled jobs, once (cron, or hourly inside `hygie serve`)."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command

from hygie.accounts.models import User, UserSession
from hygie.audit.enums import AuditEventType
from hygie.audit.models import AuditEvent
from hygie.core import clock
from hygie.fhir.models import AccessToken
from hygie.practices.actions import do_add_member
from hygie.practices.enums import Role
from hygie.practices.models import Membership
from tests.cast import SETUP, Cast, api_client_for, make_user, open_session

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("jobs", "run", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def replacement(cast: Cast, email: str, last_day: dt.date) -> Membership:
    """A locum in practice A until `last_day` (included)."""
    user = make_user(email, "Rémi", "Remplaçant")
    return do_add_member(
        cast.practice_a,
        user,
        role=Role.ASSISTANT,
        start_date=dt.date(2024, 1, 1),
        end_date=last_day,
        source=SETUP,
    )


def last_seen(user: User, days_ago: int) -> None:
    User.objects.filter(pk=user.pk).update(last_seen_at=clock.now() - dt.timedelta(days=days_ago))


def test_it_closes_memberships_whose_end_date_has_passed(cast: Cast) -> None:
    gone = replacement(cast, "remi@a.test", clock.today() - dt.timedelta(days=1))

    run()

    gone.refresh_from_db()
    assert gone.ended_at is not None
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.MEMBERSHIP_ENDED, entity_id=str(gone.pk)
    ).exists()


def test_it_leaves_memberships_that_end_today_or_later(cast: Cast) -> None:
    today = replacement(cast, "remi@a.test", clock.today())
    later = replacement(cast, "rose@a.test", clock.today() + dt.timedelta(days=30))

    run()

    for membership in (today, later, cast.alice, cast.bob):
        membership.refresh_from_db()
        assert membership.ended_at is None


def test_closing_a_membership_revokes_its_sessions(cast: Cast) -> None:
    gone = replacement(cast, "remi@a.test", clock.today() - dt.timedelta(days=1))
    key = open_session(gone.user, cast.practice_a)
    bob_key = open_session(cast.bob.user, cast.practice_a)

    run()

    assert UserSession.objects.get(session_key=key).revoked_at is not None
    assert not Session.objects.filter(session_key=key).exists()
    assert UserSession.objects.get(session_key=bob_key).revoked_at is None


def test_it_disables_accounts_unused_for_90_days_and_ends_their_sessions(cast: Cast) -> None:
    alice = cast.alice.user
    key = open_session(alice, cast.practice_a)
    last_seen(alice, 91)

    run()

    alice.refresh_from_db()
    assert not alice.is_active
    assert not Session.objects.filter(session_key=key).exists()
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.ACCOUNT_DEACTIVATED, entity_id=str(alice.pk)
    ).exists()


def test_it_leaves_accounts_used_recently(cast: Cast) -> None:
    last_seen(cast.alice.user, 91)
    last_seen(cast.bob.user, 89)

    run()

    assert set(User.objects.filter(is_active=False).values_list("email", flat=True)) == {
        "alice@a.test"
    }


def test_json_reports_what_it_did(cast: Cast) -> None:
    replacement(cast, "remi@a.test", clock.today() - dt.timedelta(days=1))
    last_seen(cast.bob.user, 120)

    data = json.loads(run("--json"))

    assert data["memberships_closed"] == 1
    assert data["dormant_disabled"] == ["bob@a.test"]


def test_each_run_is_audited(cast: Cast) -> None:
    run()

    event = AuditEvent.objects.get(event_type=AuditEventType.JOB_RUN)
    assert event.user_label == "system:scheduler"
    assert event.detail["memberships_closed"] == 0


def test_a_second_run_has_nothing_left_to_do(cast: Cast) -> None:
    replacement(cast, "remi@a.test", clock.today() - dt.timedelta(days=1))
    last_seen(cast.bob.user, 120)
    run()

    data = json.loads(run("--json"))

    assert (data["memberships_closed"], data["dormant_disabled"]) == (0, [])


def test_the_jobs_remove_expired_api_tokens_and_keep_live_ones(cast):
    service = api_client_for(cast.practice_a, "system/Patient.rs")
    service.token()
    service.token()
    expired, live = AccessToken.objects.order_by("created")[:2]
    AccessToken.objects.filter(pk=expired.pk).update(expires=clock.now() - dt.timedelta(hours=1))
    run()
    assert list(AccessToken.objects.values_list("pk", flat=True)) == [live.pk]
