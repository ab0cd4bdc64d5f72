"""The real login flow: password, forced enrolment, second factor, notifications."""

from __future__ import annotations

import re
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from hygie.accounts.models import UserSession
from hygie.audit.enums import AuditEventType
from hygie.audit.models import AuditEvent
from tests.cast import PASSWORD

# Transactional: allauth announces a new factor (and mails about it) once the
# enrolment has committed, as it does in production.
pytestmark = pytest.mark.django_db(transaction=True)

LOGIN = "/comptes/login/"


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Rate limits and used TOTP codes live in the cache, shared by all tests.
    cache.clear()
    yield
    cache.clear()


def code(secret: str, step: int = 0) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + step))


def at_step(secret: str, counter: int) -> str:
    return format_hotp_value(hotp_value(secret, counter))


def password_step(client: Client, email: str, password: str = PASSWORD):
    return client.post(LOGIN, {"login": email, "password": password})


def enrol_totp(client: Client) -> str:
    # Adding a factor is a sensitive change: allauth asks for the password again.
    page = client.get(reverse("mfa_activate_totp"))
    if page.status_code == 302 and "reauthenticate" in page["Location"]:
        client.post(page["Location"], {"password": PASSWORD})
        page = client.get(reverse("mfa_activate_totp"))
    secret = client.session["mfa.totp.secret"]
    assert page.status_code == 200
    client.totp_counter = int(time.time()) // 30  # type: ignore[attr-defined]
    response = client.post(
        reverse("mfa_activate_totp"),
        {"code": at_step(secret, client.totp_counter)},  # type: ignore[attr-defined]
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return secret


def test_first_login_forces_enrolment_before_any_patient_data(cast):
    client = Client()
    response = password_step(client, "alice@a.test")
    assert response.status_code == 302
    patients = client.get(reverse("patients:list"))
    assert patients["Location"] == reverse("accounts:mfa_required")
    enrol_totp(client)
    assert client.get(reverse("patients:list")).status_code == 200


def test_the_next_login_asks_for_the_code_and_a_code_cannot_be_used_twice(cast):
    first = Client()
    password_step(first, "alice@a.test")
    secret = enrol_totp(first)
    first.post(reverse("account_logout"))

    second = Client()
    response = password_step(second, "alice@a.test")
    assert response["Location"] == reverse("mfa_authenticate")
    used = code(secret, step=1)
    assert second.post(reverse("mfa_authenticate"), {"code": used}).status_code == 302
    assert second.get(reverse("patients:list")).status_code == 200

    third = Client()
    password_step(third, "alice@a.test")
    replay = third.post(reverse("mfa_authenticate"), {"code": used})
    assert replay.status_code == 200
    assert third.get(reverse("patients:list")).status_code == 302


def test_a_correct_password_then_a_wrong_code_is_mailed_and_audited(cast, mailoutbox):
    first = Client()
    password_step(first, "alice@a.test")
    enrol_totp(first)
    mailoutbox.clear()
    client = Client()
    password_step(client, "alice@a.test")
    client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert any("second facteur" in m.subject.lower() for m in mailoutbox)
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.MFA_FAILURE, user_label="alice@a.test"
    ).exists()


def test_unknown_account_and_wrong_password_get_the_same_answer(cast):
    wrong = password_step(Client(), "alice@a.test", "Pas-le-bon-mot-de-passe-42")
    unknown = password_step(Client(), "personne@a.test", "Pas-le-bon-mot-de-passe-42")
    assert wrong.status_code == unknown.status_code == 200

    def errors(response):
        return re.sub(r'value="[^"]*"', "", " ".join(response.context["form"].non_field_errors()))

    assert errors(wrong) == errors(unknown)
    assert AuditEvent.objects.filter(event_type=AuditEventType.LOGIN_FAILURE).count() == 2


def test_failed_logins_are_slowed_per_account_then_allowed_again(cast):
    for _ in range(5):
        password_step(Client(), "alice@a.test", "Pas-le-bon-mot-de-passe-42")
    blocked = password_step(Client(), "alice@a.test")
    assert blocked.status_code in (200, 429)
    assert not UserSession.objects.filter(user=cast.alice.user).exists()
    # Time-based: once the window has passed (simulated by dropping the counters),
    # the real user gets in. There is no permanent lock-out.
    cache.clear()
    assert password_step(Client(), "alice@a.test").status_code == 302


def test_a_login_from_a_new_device_is_mailed_to_the_user(cast, mailoutbox):
    first = Client()
    password_step(first, "alice@a.test")
    secret = enrol_totp(first)
    activated_at = first.totp_counter
    first.post(reverse("account_logout"))
    mailoutbox.clear()
    # Same browser (device cookie kept): no mail.
    password_step(first, "alice@a.test")
    second = int(time.time()) // 30 + 1
    first.post(reverse("mfa_authenticate"), {"code": at_step(secret, second)})
    assert not [m for m in mailoutbox if "nouvel appareil" in m.subject]
    # Another browser: mail. Its code must be one not used yet, whatever the clock
    # did meanwhile (each code is accepted once).
    other = Client()
    password_step(other, "alice@a.test")
    now = int(time.time()) // 30
    third = next(c for c in (now - 1, now, now + 1) if c not in (activated_at, second))
    other.post(reverse("mfa_authenticate"), {"code": at_step(secret, third)})
    assert [m for m in mailoutbox if "nouvel appareil" in m.subject]


def test_totp_secrets_are_not_stored_in_the_clear(cast):
    client = Client()
    password_step(client, "alice@a.test")
    secret = enrol_totp(client)
    stored = Authenticator.objects.get(user=cast.alice.user, type="totp").data["secret"]
    assert secret not in stored


def test_the_departed_doctor_cannot_log_in_and_the_password_is_not_confirmed(cast):
    right = password_step(Client(), "damien@a.test")
    wrong = password_step(Client(), "damien@a.test", "Pas-le-bon-mot-de-passe-42")
    assert right.status_code == wrong.status_code == 200
    assert right.context["form"].non_field_errors() == wrong.context["form"].non_field_errors()
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.LOGIN_REFUSED_INACTIVE, user_label="damien@a.test"
    ).exists()
    assert not UserSession.objects.filter(user=cast.damien.user).exists()


def test_the_code_typed_at_activation_cannot_be_replayed_at_login(cast):
    first = Client()
    password_step(first, "alice@a.test")
    page = first.get(reverse("mfa_activate_totp"))
    if page.status_code == 302:
        first.post(page["Location"], {"password": PASSWORD})
        first.get(reverse("mfa_activate_totp"))
    secret = first.session["mfa.totp.secret"]
    activation_code = code(secret)
    first.post(reverse("mfa_activate_totp"), {"code": activation_code})
    first.post(reverse("account_logout"))
    second = Client()
    password_step(second, "alice@a.test")
    assert second.post(reverse("mfa_authenticate"), {"code": activation_code}).status_code == 200
    assert second.get(reverse("patients:list")).status_code == 302


def test_adding_a_factor_cannot_be_confirmed_by_a_mailed_code(settings):
    assert "code" not in settings.ACCOUNT_REAUTHENTICATION_METHODS


def test_enrolling_a_factor_and_changing_the_password_are_mailed(cast, mailoutbox):
    client = Client()
    password_step(client, "alice@a.test")
    mailoutbox.clear()
    enrol_totp(client)
    assert any(m.to == ["alice@a.test"] for m in mailoutbox)
    mailoutbox.clear()
    client.post(
        reverse("account_change_password"),
        {
            "oldpassword": PASSWORD,
            "password1": "Chouette-Parapluie-Ardoise-2031",
            "password2": "Chouette-Parapluie-Ardoise-2031",
        },
    )
    assert any(m.to == ["alice@a.test"] for m in mailoutbox)
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.PASSWORD_CHANGED, user_id=cast.alice.user.pk
    ).exists()
    # The session survives its own password change (Django rotated its key).
    assert client.get(reverse("patients:list")).status_code == 200


def test_a_password_only_session_does_not_pass_when_another_session_enrols(cast):
    thief = Client()
    password_step(thief, "alice@a.test")
    assert thief.get(reverse("patients:list"))["Location"] == reverse("accounts:mfa_required")
    owner = Client()
    password_step(owner, "alice@a.test")
    enrol_totp(owner)
    assert owner.get(reverse("patients:list")).status_code == 200
    assert thief.get(reverse("patients:detail", args=[cast.patient.pk])).status_code == 302
    assert not UserSession.objects.filter(
        user=cast.alice.user, revoked_at=None, session_key=thief.session.session_key
    ).exists()
