"""Sessions: idle and absolute limits, listing and revoking one's own sessions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from hygie.accounts.models import UserSession
from tests.cast import login

pytestmark = pytest.mark.django_db


def patients_page(client: Client) -> int:
    return client.get(reverse("patients:list")).status_code


def test_a_session_idle_for_15_minutes_is_closed(cast):
    client = login(Client(), cast.alice.user)
    assert patients_page(client) == 200
    UserSession.objects.filter(user=cast.alice.user).update(
        last_seen_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16)
    )
    assert patients_page(client) == 302
    assert UserSession.objects.get(user=cast.alice.user).revoked_reason == "idle timeout"


def test_a_session_older_than_12_hours_is_closed_even_when_active(cast):
    client = login(Client(), cast.alice.user)
    UserSession.objects.filter(user=cast.alice.user).update(
        created_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=12, minutes=1)
    )
    assert patients_page(client) == 302


def test_the_session_cookie_is_httponly_and_samesite(cast):
    assert settings.SESSION_COOKIE_HTTPONLY
    assert settings.SESSION_COOKIE_SAMESITE in ("Lax", "Strict")
    assert settings.SESSION_IDLE_SECONDS == 15 * 60
    assert settings.SESSION_ABSOLUTE_SECONDS == 12 * 3600


def test_a_user_sees_their_sessions_and_revokes_another(cast):
    laptop = login(Client(), cast.alice.user)
    phone = login(Client(), cast.alice.user)
    page = laptop.get(reverse("accounts:security"))
    sessions = list(page.context["sessions"])
    assert len(sessions) == 2
    other = next(s for s in sessions if s.pk != page.context["current_id"])
    laptop.post(reverse("accounts:revoke_session", args=[other.pk]))
    assert patients_page(phone) == 302
    assert patients_page(laptop) == 200


def test_a_user_cannot_revoke_someone_elses_session(cast):
    login(Client(), cast.bob.user)
    bobs = UserSession.objects.get(user=cast.bob.user)
    alice = login(Client(), cast.alice.user)
    alice.post(reverse("accounts:revoke_session", args=[bobs.pk]))
    bobs.refresh_from_db()
    assert bobs.revoked_at is None


def test_the_security_page_needs_the_second_factor(cast):
    client = Client()
    client.force_login(cast.alice.user)
    assert client.get(reverse("accounts:security"))["Location"] == reverse("accounts:mfa_required")
