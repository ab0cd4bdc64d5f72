"""Headers, CSRF, size limits and failure pages, as a browser sees them."""

from __future__ import annotations

import pytest
from django.db import DatabaseError
from django.test import Client
from django.urls import reverse

from hygie.audit.models import AuditEvent
from hygie.patients.models import Patient
from tests.cast import login

pytestmark = pytest.mark.django_db


def test_pages_carry_a_strict_content_security_policy(cast):
    response = login(Client(), cast.alice.user).get(reverse("patients:list"))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "no-store" in response["Cache-Control"]


def test_no_inline_script_in_our_pages(cast):
    body = (
        login(Client(), cast.alice.user)
        .get(reverse("patients:detail", args=[cast.patient.pk]))
        .content.decode()
    )
    for chunk in body.split("<script")[1:]:
        assert chunk.split(">", 1)[0].strip().startswith(("src=", 'type="application/json"'))


def test_hsts_and_secure_cookies_when_served_over_https(settings):
    import importlib
    import os

    import config.settings as module

    os.environ["HYGIE_HTTPS"] = "true"
    try:
        reloaded = importlib.reload(module)
        assert reloaded.SECURE_HSTS_SECONDS >= 31536000
        assert reloaded.SESSION_COOKIE_SECURE and reloaded.CSRF_COOKIE_SECURE
        assert reloaded.SESSION_COOKIE_NAME.startswith("__Host-")
    finally:
        del os.environ["HYGIE_HTTPS"]
        importlib.reload(module)


def test_a_form_without_csrf_token_is_refused(cast):
    client = login(Client(enforce_csrf_checks=True), cast.denise.user)
    response = client.post(reverse("patients:create"), {"birth_family_name": "X"})
    assert response.status_code == 403
    assert Patient.objects.count() == 1


def test_an_oversized_request_gets_413_and_changes_nothing(cast, settings):
    client = login(Client(), cast.denise.user)
    response = client.post(
        reverse("patients:create"), {"address": "x" * (settings.HYGIE_MAX_REQUEST_BYTES + 10)}
    )
    assert response.status_code == 413
    assert "trop volumineuse" in response.content.decode()
    assert Patient.objects.count() == 1


def test_a_database_failure_gets_a_clear_page(cast, monkeypatch):
    client = login(Client(), cast.denise.user)

    def broken(*args, **kwargs):
        raise DatabaseError("disk I/O error")

    monkeypatch.setattr("hygie.patients.views.access.search_patients", broken)
    response = client.get(reverse("patients:list"), {"q": "lef"})
    assert response.status_code == 503
    assert "Base de données indisponible" in response.content.decode()


def test_a_failed_write_leaves_nothing_half_written(cast, monkeypatch):
    """The patient row, its search tokens and its audit event commit together."""
    from hygie.audit.models import AuditEvent
    from hygie.patients import actions
    from hygie.patients.models import PatientNameToken

    def failing_audit(*args, **kwargs):
        raise DatabaseError("audit store unavailable")

    tokens_before = PatientNameToken.objects.count()
    events_before = AuditEvent.objects.count()
    monkeypatch.setattr(actions, "record_event", failing_audit)
    client = login(Client(), cast.denise.user)
    response = client.post(
        reverse("patients:create"),
        {
            "birth_family_name": "Rivière",
            "birth_given_names": "Paul",
            "birth_date": "1990-06-15",
            "sex": "male",
            "birthplace_insee": "",
            "nir": "",
            "ins_oid": "",
            "used_family_name": "",
            "used_given_name": "",
            "phone": "",
            "email": "",
            "address": "",
        },
    )
    assert response.status_code == 503
    assert Patient.objects.count() == 1
    assert PatientNameToken.objects.count() == tokens_before
    assert AuditEvent.objects.count() >= events_before


def test_a_client_cannot_choose_its_address_with_x_forwarded_for(cast):
    client = login(Client(), cast.alice.user)
    client.get(reverse("patients:list"), {"q": "lef"}, HTTP_X_FORWARDED_FOR="198.51.100.99")
    event = AuditEvent.objects.filter(user_id=cast.alice.user.pk).order_by("-id").first()
    assert event.source_address == "127.0.0.1"


def test_behind_a_trusted_proxy_the_client_address_is_audited(cast, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.0/8", "10.0.0.0/8"]
    client = login(Client(), cast.alice.user)
    client.get(
        reverse("patients:list"),
        {"q": "lef"},
        HTTP_X_FORWARDED_FOR="198.51.100.99, 203.0.113.7, 10.1.2.3",
    )
    event = AuditEvent.objects.filter(user_id=cast.alice.user.pk).order_by("-id").first()
    assert event.source_address == "203.0.113.7"
