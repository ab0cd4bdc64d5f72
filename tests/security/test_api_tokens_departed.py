"""The November 2025 attack path through the FHIR API: a doctor leaves (or their
account is disabled) while an app holds their tokens. The access token must be
worthless at the very next request and the refresh token must mint nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client, RequestFactory

from hygie.accounts.actions import (
    do_deactivate_user,
    do_disable_dormant_accounts,
    do_revoke_sessions,
)
from hygie.accounts.models import User
from hygie.audit.actions import AuditSource
from hygie.audit.enums import AuditEventType
from hygie.audit.models import AuditEvent
from hygie.core import clock
from hygie.fhir.models import AccessToken, AuthorizationCode, RefreshToken
from hygie.fhir.smart.grants import InvalidToken, grant_for_request
from hygie.practices.actions import do_add_member, do_close_expired_memberships, do_end_membership
from hygie.practices.enums import Role
from hygie.practices.models import Membership
from tests.cast import (
    SETUP,
    api_client_for,
    authorize_url,
    code_from,
    launch_app,
    login,
    pkce_pair,
    post_token,
    smart_app,
)

pytestmark = pytest.mark.django_db
SOURCE = AuditSource.system("t")


def grant_of(token: str):
    return grant_for_request(RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {token}"))


def app_tokens(membership, app=None) -> tuple[object, dict]:
    app = app or smart_app()
    tokens = launch_app(
        login(Client(), membership.user),
        app,
        scopes="user/*.rs offline_access",
        practice=membership.practice,
    )
    return app, tokens


def refresh_refused(app, tokens: dict) -> bool:
    response = post_token(
        Client(),
        grant_type="refresh_token",
        refresh_token=str(tokens["refresh_token"]),
        client_id=app.client_id,
    )
    return response.status_code == 400


def assert_worthless(app, tokens: dict) -> None:
    with pytest.raises(InvalidToken):
        grant_of(str(tokens["access_token"]))
    assert refresh_refused(app, tokens)


def test_ending_the_membership_makes_the_tokens_worthless_at_once(cast):
    app, tokens = app_tokens(cast.alice)
    assert grant_of(tokens["access_token"]).actor.user == cast.alice.user

    do_end_membership(cast.alice, reason="départ du cabinet", source=SOURCE)

    assert_worthless(app, tokens)
    assert not AccessToken.objects.filter(user=cast.alice.user).exists()
    assert not RefreshToken.objects.filter(user=cast.alice.user).exists()
    event = AuditEvent.objects.get(event_type=AuditEventType.OAUTH_TOKENS_REVOKED)
    assert event.entity_id == str(cast.alice.user.pk)
    assert event.detail["access_tokens"] == 1
    assert event.detail["refresh_tokens"] == 1


def test_a_pending_authorization_code_dies_with_the_membership(cast):
    app = smart_app()
    browser = login(Client(), cast.alice.user)
    verifier, challenge = pkce_pair()
    page = browser.get(authorize_url(app, scopes="user/*.rs", challenge=challenge))
    code = code_from(
        browser.post(page.request["PATH_INFO"], {"rid": page.context["rid"], "action": "allow"})
    )

    do_end_membership(cast.alice, reason="départ", source=SOURCE)

    assert not AuthorizationCode.objects.exists()
    response = post_token(
        Client(),
        grant_type="authorization_code",
        code=code,
        redirect_uri=app.redirect_uris,
        client_id=app.client_id,
        code_verifier=verifier,
    )
    assert response.status_code == 400


def test_an_end_date_reached_refuses_the_token_even_before_the_job_runs(cast):
    app, tokens = app_tokens(cast.bob)
    # No action: the date simply passes. The membership is re-read on every request.
    Membership.objects.filter(pk=cast.bob.pk).update(end_date=clock.today() - dt.timedelta(days=1))

    assert_worthless(app, tokens)
    assert do_close_expired_memberships(source=SOURCE) == 1
    assert not AccessToken.objects.filter(user=cast.bob.user).exists()


def test_deactivating_the_account_makes_the_tokens_worthless_at_once(cast):
    app, tokens = app_tokens(cast.alice)

    do_deactivate_user(cast.alice.user, reason="compte compromis", source=SOURCE)

    assert_worthless(app, tokens)
    assert not RefreshToken.objects.filter(user=cast.alice.user).exists()


def test_an_inactive_account_is_refused_even_if_its_tokens_were_left_behind(cast):
    app, tokens = app_tokens(cast.alice)
    User.objects.filter(pk=cast.alice.user.pk).update(is_active=False)

    assert_worthless(app, tokens)


def test_dormant_accounts_lose_their_tokens(cast):
    app, tokens = app_tokens(cast.bob)
    User.objects.filter(pk=cast.bob.user.pk).update(
        last_seen_at=clock.now() - dt.timedelta(days=91)
    )
    User.objects.exclude(pk=cast.bob.user.pk).update(last_seen_at=clock.now())

    assert [u.email for u in do_disable_dormant_accounts(source=SOURCE)] == ["bob@a.test"]
    assert_worthless(app, tokens)


def test_revoking_the_sessions_revokes_the_tokens_too(cast):
    app, tokens = app_tokens(cast.alice)

    do_revoke_sessions(cast.alice.user, reason="vol de téléphone", source=SOURCE)

    assert_worthless(app, tokens)


def test_leaving_one_practice_keeps_the_tokens_of_the_other(cast):
    do_add_member(cast.practice_b, cast.alice.user, role=Role.PRACTITIONER, source=SETUP)
    app_a, tokens_a = app_tokens(cast.alice)
    alice_in_b = Membership.objects.get(user=cast.alice.user, practice=cast.practice_b)
    app_b, tokens_b = app_tokens(alice_in_b)

    do_end_membership(cast.alice, reason="départ du cabinet A", source=SOURCE)

    assert_worthless(app_a, tokens_a)
    assert grant_of(tokens_b["access_token"]).actor.practice == cast.practice_b
    assert not refresh_refused(app_b, tokens_b)


def test_a_colleague_leaving_does_not_touch_the_practices_service(cast):
    service = api_client_for(cast.practice_a)
    token = service.token()

    do_end_membership(cast.alice, reason="départ", source=SOURCE)

    assert grant_of(token).actor.practice == cast.practice_a


def test_the_departed_doctor_of_the_cast_cannot_authorize_an_app(cast):
    # Damien's membership ended: his password opens nothing, and an old session
    # would be refused too; here even a logged-in session gets no code.
    app = smart_app()
    browser = login(Client(), cast.damien.user)
    _verifier, challenge = pkce_pair()
    response = browser.get(authorize_url(app, scopes="user/*.rs", challenge=challenge))

    assert response.status_code in (302, 403)
    assert not AuthorizationCode.objects.exists()
