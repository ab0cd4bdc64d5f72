"""The November 2025 attack path, end to end: a doctor's membership ends while a
session of theirs is open (or while someone holds their password)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from hygie.accounts.actions import do_disable_dormant_accounts
from hygie.accounts.models import User, UserSession
from hygie.audit.actions import AuditSource
from hygie.audit.enums import AuditEventType
from hygie.audit.models import AuditEvent
from hygie.core import clock
from hygie.patients.access import PatientNotFound, access_patient
from hygie.practices.actions import do_close_expired_memberships, do_end_membership
from tests.cast import PASSWORD, actor_of, login

pytestmark = pytest.mark.django_db


def detail(cast) -> str:
    return reverse("patients:detail", args=[cast.patient.pk])


def test_ending_a_membership_refuses_the_very_next_request(cast):
    client = login(Client(), cast.alice.user)
    assert client.get(detail(cast)).status_code == 200
    reads_before = AuditEvent.objects.filter(event_type=AuditEventType.PATIENT_READ).count()

    do_end_membership(cast.alice, reason="départ du cabinet", source=AuditSource.system("t"))

    response = client.get(detail(cast))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert AuditEvent.objects.filter(event_type=AuditEventType.PATIENT_READ).count() == reads_before
    assert not UserSession.objects.filter(user=cast.alice.user, revoked_at=None).exists()
    # The cookie is now worthless, whatever page it is used on.
    for url in (reverse("patients:list") + "?q=lef", reverse("accounts:security"), detail(cast)):
        assert client.get(url).status_code == 302


def test_the_departed_doctor_cannot_log_in_again(cast):
    do_end_membership(cast.alice, reason="départ du cabinet", source=AuditSource.system("t"))
    client = Client()
    response = client.post("/comptes/login/", {"login": "alice@a.test", "password": PASSWORD})
    assert response.status_code == 200  # the login form again, as for a wrong password
    assert not response.wsgi_request.user.is_authenticated
    assert client.get(detail(cast)).status_code == 302


def test_an_actor_kept_from_before_the_end_reads_nothing(cast):
    """A long request, a job or a token built before the end must not outlive it."""
    actor = actor_of(cast.alice)
    do_end_membership(cast.alice, reason="départ du cabinet", source=AuditSource.system("t"))
    cast.alice.refresh_from_db()
    with pytest.raises(PatientNotFound):
        access_patient(actor_of(cast.alice), cast.patient.pk)
    assert actor.membership is not None


def test_an_end_date_in_the_past_closes_access_even_before_the_job_runs(cast):
    client = login(Client(), cast.bob.user)
    cast.bob.end_date = clock.today() - dt.timedelta(days=1)
    cast.bob.save()
    assert client.get(detail(cast)).status_code == 302
    assert do_close_expired_memberships(source=AuditSource.system("t")) == 1
    cast.bob.refresh_from_db()
    assert cast.bob.ended_at is not None


def test_a_deactivated_account_is_logged_out_at_once(cast):
    client = login(Client(), cast.alice.user)
    User.objects.filter(pk=cast.alice.user.pk).update(is_active=False)
    assert client.get(detail(cast)).status_code == 302


def test_accounts_dormant_for_90_days_are_disabled_and_their_sessions_revoked(cast):
    client = login(Client(), cast.bob.user)
    User.objects.filter(pk=cast.bob.user.pk).update(
        last_seen_at=clock.now() - dt.timedelta(days=91)
    )
    User.objects.exclude(pk=cast.bob.user.pk).update(last_seen_at=clock.now())
    disabled = do_disable_dormant_accounts(source=AuditSource.system("t"))
    assert [u.email for u in disabled] == ["bob@a.test"]
    assert client.get(detail(cast)).status_code == 302
    assert AuditEvent.objects.filter(event_type=AuditEventType.ACCOUNT_DEACTIVATED).exists()


def test_the_audit_shows_everything_the_departed_account_touched(cast):
    client = login(Client(), cast.alice.user)
    client.get(detail(cast))
    client.get(reverse("patients:list"), {"q": "lef"})
    do_end_membership(cast.alice, reason="départ", source=AuditSource.system("t"))
    touched = AuditEvent.objects.filter(user_id=cast.alice.user.pk)
    kinds = set(touched.values_list("event_type", flat=True))
    assert {AuditEventType.PATIENT_READ, AuditEventType.PATIENT_SEARCH} <= kinds
    assert touched.filter(patient_id=cast.patient.pk).exists()
