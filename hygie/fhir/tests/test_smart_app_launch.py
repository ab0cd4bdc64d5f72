"""SMART App Launch, standalone: Hygie's login with second factor, `aud`, PKCE
S256, the practice and the patient chosen by the person, consent, the code
exchange, and what the tokens then carry."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.urls import reverse

from hygie.audit.enums import AuditEventType
from hygie.audit.models import AuditEvent
from hygie.fhir.models import AccessToken, AuthorizationCode
from hygie.fhir.smart.endpoints import FHIR_BASE_PATH, fhir_base_url
from hygie.fhir.smart.grants import InvalidToken, grant_for_request
from hygie.patients.actions import do_create_patient
from hygie.practices.actions import do_add_member
from hygie.practices.context import as_system
from hygie.practices.enums import Role
from tests.cast import (
    PASSWORD,
    SETUP,
    authorize_url,
    enrol_totp,
    identity,
    launch_app,
    login,
    pkce_pair,
    post_token,
    smart_app,
)

pytestmark = pytest.mark.django_db

AUTHORIZE = f"{FHIR_BASE_PATH}/auth/authorize"


def grant_of(token: str):
    return grant_for_request(RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {token}"))


def redirect_params(response) -> dict[str, str]:
    assert response.status_code == 302, response.content.decode()[:1000]
    location = response["Location"]
    assert location.startswith("http://127.0.0.1:8765/callback?"), location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def consent(browser: Client, app, scopes: str, **url_args):
    """Up to the consent page; returns (response, code_verifier)."""
    verifier, challenge = pkce_pair()
    response = browser.get(authorize_url(app, scopes=scopes, challenge=challenge, **url_args))
    return response, verifier


def allow(browser: Client, page) -> dict[str, str]:
    return redirect_params(browser.post(AUTHORIZE, {"rid": page.context["rid"], "action": "allow"}))


def exchange(app, code: str, verifier: str | None):
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": app.redirect_uris,
        "client_id": app.client_id,
    }
    if verifier is not None:
        data["code_verifier"] = verifier
    return post_token(Client(), **data)


# --- Login ------------------------------------------------------------------------


def test_the_launch_goes_through_hygie_login_and_its_second_factor(cast):
    cache.clear()
    secret = enrol_totp(cast.alice.user)
    app = smart_app()
    verifier, challenge = pkce_pair()
    url = authorize_url(app, scopes="user/Patient.rs", challenge=challenge)
    browser = Client()

    to_login = browser.get(url)
    assert to_login.status_code == 302
    assert to_login["Location"].startswith(reverse("account_login"))
    to_mfa = browser.post(to_login["Location"], {"login": "alice@a.test", "password": PASSWORD})
    assert to_mfa["Location"] == reverse("mfa_authenticate")
    # With the password alone, nobody is logged in yet: the authorize page is out of reach.
    assert browser.get(url)["Location"].startswith(reverse("account_login"))
    totp = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    back = browser.post(reverse("mfa_authenticate"), {"code": totp})
    assert back["Location"] == url

    page = browser.get(back["Location"])
    assert page.templates[0].name == "fhir/smart/consent.html"
    params = allow(browser, page)
    response = exchange(app, params["code"], verifier)
    assert response.status_code == 200
    assert grant_of(response.json()["access_token"]).actor.user == cast.alice.user


def test_an_anonymous_request_is_sent_to_the_login_page_and_nothing_is_issued(cast):
    app = smart_app()
    _verifier, challenge = pkce_pair()
    response = Client().get(authorize_url(app, scopes="user/Patient.rs", challenge=challenge))

    assert response["Location"].startswith(reverse("account_login"))
    assert not AuthorizationCode.objects.exists()


# --- The request itself -------------------------------------------------------------


def test_consent_names_the_app_the_practice_and_the_permissions(cast):
    browser = login(Client(), cast.alice.user)
    page, _verifier = consent(browser, smart_app(), "user/Patient.rs offline_access")

    assert page.status_code == 200
    html = page.content.decode()
    assert "Appli de test" in html
    assert "Cabinet A" in html
    assert "Lire, rechercher les ressources Patient auxquelles vous avez accès" in html
    assert "Garder l&#x27;accès quand vous n&#x27;êtes pas connecté(e)" in html
    # The form may answer with a redirect to the app, and only to it.
    assert "form-action 'self' http://127.0.0.1:8765;" in page["Content-Security-Policy"]


@pytest.mark.parametrize(
    "aud", ["", "https://autre.example/fhir/R4", fhir_base_url().removesuffix("/R4")]
)
def test_a_wrong_or_missing_aud_is_refused_back_to_the_app(cast, aud):
    browser = login(Client(), cast.alice.user)
    page, _verifier = consent(browser, smart_app(), "user/Patient.rs", aud=aud)

    params = redirect_params(page)
    assert params["error"] == "invalid_request"
    assert params["state"] == "etat-123"
    assert "code" not in params


def test_the_aud_may_end_with_a_slash(cast):
    browser = login(Client(), cast.alice.user)
    page, _verifier = consent(browser, smart_app(), "user/Patient.rs", aud=fhir_base_url() + "/")

    assert page.status_code == 200


def test_an_unknown_client_or_redirect_uri_gets_a_page_and_no_redirect(cast):
    browser = login(Client(), cast.alice.user)
    app = smart_app()
    _verifier, challenge = pkce_pair()
    url = authorize_url(app, scopes="user/Patient.rs", challenge=challenge)

    for bad in (
        url.replace(app.client_id, "inconnu"),
        url.replace("8765%2Fcallback", "8765%2Fvol"),
    ):
        response = browser.get(bad)
        assert response.status_code == 400
        assert "Location" not in response
        assert "demande d&#x27;autorisation est invalide" in response.content.decode()


@pytest.mark.parametrize(
    "scopes",
    [
        "system/Patient.rs",  # a backend scope
        "user/Patient.rs user/Observation.r",  # Observation not registered
        "patient/Patient.read",  # SMART v1
        "launch",  # EHR launch
    ],
)
def test_scopes_outside_the_apps_registration_are_refused(cast, scopes):
    browser = login(Client(), cast.alice.user)
    app = smart_app("user/Patient.rs patient/Patient.rs launch/patient")
    page, _verifier = consent(browser, app, scopes)

    assert redirect_params(page)["error"] == "invalid_scope"


def test_openid_and_fhiruser_are_left_out_of_the_grant_not_refused(cast):
    browser = login(Client(), cast.alice.user)
    app = smart_app()
    page, verifier = consent(browser, app, "openid fhirUser user/Patient.rs")
    tokens = exchange(app, allow(browser, page)["code"], verifier).json()

    assert tokens["scope"] == "user/Patient.rs"
    assert "id_token" not in tokens


# --- PKCE --------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["plain", None])
def test_a_plain_challenge_is_refused(cast, method):
    # Without a method, oauthlib would take the challenge as plain.
    browser = login(Client(), cast.alice.user)
    verifier, _challenge = pkce_pair()
    url = authorize_url(smart_app(), scopes="user/Patient.rs", challenge=verifier, method=method)

    params = redirect_params(browser.get(url))
    assert params["error"] == "invalid_request"
    assert not AuthorizationCode.objects.exists()


def test_a_request_without_a_challenge_is_refused(cast):
    browser = login(Client(), cast.alice.user)
    app = smart_app()
    query = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": app.redirect_uris,
        "scope": "user/Patient.rs",
        "state": "s",
        "aud": fhir_base_url(),
    }
    params = redirect_params(browser.get(f"{AUTHORIZE}?{urlencode(query)}"))

    assert params["error"] == "invalid_request"


@pytest.mark.parametrize("verifier", [None, "un-autre-verifieur-de-quarante-trois-caracteres-x"])
def test_the_code_needs_its_own_verifier(cast, verifier):
    browser = login(Client(), cast.alice.user)
    app = smart_app()
    page, _right = consent(browser, app, "user/Patient.rs")
    response = exchange(app, allow(browser, page)["code"], verifier)

    assert response.status_code == 400
    assert response.json()["error"] in ("invalid_grant", "invalid_request")
    assert not AccessToken.objects.exists()


def test_a_code_is_used_once(cast):
    browser = login(Client(), cast.alice.user)
    app = smart_app()
    page, verifier = consent(browser, app, "user/Patient.rs")
    code = allow(browser, page)["code"]

    assert exchange(app, code, verifier).status_code == 200
    assert exchange(app, code, verifier).status_code == 400


# --- Consent ------------------------------------------------------------------------


def test_refusing_sends_access_denied_to_the_app_and_is_audited(cast):
    browser = login(Client(), cast.alice.user)
    page, _verifier = consent(browser, smart_app(), "user/Patient.rs")
    response = browser.post(AUTHORIZE, {"rid": page.context["rid"], "action": "deny"})

    params = redirect_params(response)
    assert params["error"] == "access_denied"
    assert params["state"] == "etat-123"
    assert not AuthorizationCode.objects.exists()
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.OAUTH_CONSENT_DENIED, user_id=cast.alice.user.pk
    ).exists()
    # The pending request is gone: it cannot be allowed after the refusal.
    again = browser.post(AUTHORIZE, {"rid": page.context["rid"], "action": "allow"})
    assert again.status_code == 400


def test_an_unknown_pending_request_id_changes_nothing(cast):
    browser = login(Client(), cast.alice.user)
    consent(browser, smart_app(), "user/Patient.rs")
    response = browser.post(AUTHORIZE, {"rid": "forge", "action": "allow"})

    assert response.status_code == 400
    assert not AuthorizationCode.objects.exists()


def test_allowing_is_audited_with_the_scopes(cast):
    browser = login(Client(), cast.alice.user)
    page, _verifier = consent(browser, smart_app(), "user/Patient.rs")
    allow(browser, page)

    event = AuditEvent.objects.get(event_type=AuditEventType.OAUTH_CONSENT_GRANTED)
    assert event.user_id == cast.alice.user.pk
    assert event.practice_id == cast.practice_a.pk
    assert event.detail["scopes"] == "user/Patient.rs"


# --- Practice and patient ------------------------------------------------------------


def test_the_patient_picker_returns_the_chosen_patient_with_the_token(cast):
    browser = login(Client(), cast.alice.user)
    app = smart_app()
    page, verifier = consent(browser, app, "patient/Patient.rs launch/patient")
    assert page.templates[0].name == "fhir/smart/patient.html"
    rid = page.context["rid"]

    found = browser.post(AUTHORIZE, {"rid": rid, "action": "search", "name": "lef"})
    assert [p.pk for p in found.context["patients"]] == [cast.patient.pk]
    chosen = browser.post(AUTHORIZE, {"rid": rid, "action": "patient", "patient": cast.patient.pk})
    assert chosen.templates[0].name == "fhir/smart/consent.html"
    assert "LEFÈVRE" in chosen.content.decode().upper()
    tokens = exchange(app, allow(browser, chosen)["code"], verifier).json()

    assert tokens["patient"] == str(cast.patient.pk)
    assert grant_of(tokens["access_token"]).patient_id == cast.patient.pk
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.PATIENT_SEARCH, user_id=cast.alice.user.pk
    ).exists()


def test_consent_cannot_skip_the_patient_picker(cast):
    browser = login(Client(), cast.alice.user)
    page, _verifier = consent(browser, smart_app(), "patient/Patient.rs launch/patient")
    response = browser.post(AUTHORIZE, {"rid": page.context["rid"], "action": "allow"})

    assert response.status_code == 200
    assert response.templates[0].name == "fhir/smart/patient.html"
    assert not AuthorizationCode.objects.exists()


def test_a_patient_of_another_practice_cannot_be_chosen(cast):
    other = do_create_patient(as_system(cast.practice_b, "t"), identity(nir="", ins_oid=""))
    browser = login(Client(), cast.alice.user)
    page, _verifier = consent(browser, smart_app(), "patient/Patient.rs launch/patient")
    response = browser.post(
        AUTHORIZE, {"rid": page.context["rid"], "action": "patient", "patient": other.pk}
    )

    assert response.templates[0].name == "fhir/smart/patient.html"
    assert "Patient introuvable" in response.content.decode()
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.ACCESS_DENIED, user_id=cast.alice.user.pk
    ).exists()


def test_an_admin_without_patient_access_can_only_refuse(cast):
    browser = login(Client(), cast.ernest.user)
    page, _verifier = consent(browser, smart_app(), "patient/Patient.rs launch/patient")
    found = browser.post(AUTHORIZE, {"rid": page.context["rid"], "action": "search", "name": "lef"})

    assert found.context["refused"] is True
    assert found.context["patients"] is None


def test_a_member_of_two_practices_chooses_and_the_token_is_bound_to_it(cast):
    do_add_member(cast.practice_b, cast.alice.user, role=Role.PRACTITIONER, source=SETUP)
    browser = login(Client(), cast.alice.user)
    app = smart_app()
    page, verifier = consent(browser, app, "user/Patient.rs")
    assert page.templates[0].name == "fhir/smart/practice.html"

    chosen = browser.post(
        AUTHORIZE,
        {"rid": page.context["rid"], "action": "practice", "practice": cast.practice_b.pk},
    )
    assert chosen.templates[0].name == "fhir/smart/consent.html"
    tokens = exchange(app, allow(browser, chosen)["code"], verifier).json()

    grant = grant_of(tokens["access_token"])
    assert grant.actor.practice == cast.practice_b
    assert grant.actor.membership.practice_id == cast.practice_b.pk


def test_a_practice_the_person_does_not_belong_to_cannot_be_chosen(cast):
    do_add_member(cast.practice_b, cast.alice.user, role=Role.PRACTITIONER, source=SETUP)
    stranger = smart_app(name="x")
    browser = login(Client(), cast.bob.user)
    page, _verifier = consent(browser, stranger, "user/Patient.rs")
    response = browser.post(
        AUTHORIZE,
        {"rid": page.context["rid"], "action": "practice", "practice": cast.practice_b.pk},
    )

    assert response.status_code == 400
    assert not AuthorizationCode.objects.exists()


def test_an_app_registered_for_one_practice_is_refused_to_members_of_another(cast):
    app = smart_app(practice=cast.practice_a)
    browser = login(Client(), cast.carla.user)
    page, _verifier = consent(browser, app, "user/Patient.rs")

    assert page.status_code == 403
    assert page.templates[0].name == "fhir/smart/error.html"


# --- Tokens ---------------------------------------------------------------------------


def test_the_token_response_is_a_smart_one(cast):
    browser = login(Client(), cast.alice.user)
    app = smart_app()
    page, verifier = consent(browser, app, "user/Patient.rs")
    params = allow(browser, page)
    assert params["iss"] == fhir_base_url()
    response = exchange(app, params["code"], verifier)

    data = response.json()
    assert data["token_type"] == "Bearer"
    assert data["expires_in"] == 300
    assert data["scope"] == "user/Patient.rs"
    assert "refresh_token" not in data  # neither offline_access nor online_access
    assert "patient" not in data
    assert response["Cache-Control"] == "no-store"
    assert response["Pragma"] == "no-cache"
    # The token is stored as its checksum only.
    assert AccessToken.objects.get().token == ""
    event = AuditEvent.objects.get(event_type=AuditEventType.OAUTH_TOKEN_ISSUED)
    assert (event.user_id, event.practice_id) == (cast.alice.user.pk, cast.practice_a.pk)


def refresh(app, refresh_token: str):
    return post_token(
        Client(), grant_type="refresh_token", refresh_token=refresh_token, client_id=app.client_id
    )


def test_a_refresh_token_rotates_and_keeps_practice_and_patient(cast):
    app = smart_app()
    browser = login(Client(), cast.alice.user)
    first = launch_app(
        browser,
        app,
        scopes="patient/Patient.rs launch/patient offline_access",
        patient=cast.patient,
    )
    response = refresh(app, first["refresh_token"])

    assert response.status_code == 200
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["patient"] == str(cast.patient.pk)
    grant = grant_of(second["access_token"])
    assert (grant.patient_id, grant.actor.practice) == (cast.patient.pk, cast.practice_a)
    with pytest.raises(InvalidToken):
        grant_of(first["access_token"])
    assert AuditEvent.objects.filter(event_type=AuditEventType.OAUTH_TOKEN_REFRESHED).count() == 1


def test_reusing_a_rotated_refresh_token_revokes_the_whole_authorization(cast):
    app = smart_app()
    first = launch_app(
        login(Client(), cast.alice.user), app, scopes="user/Patient.rs offline_access"
    )
    second = refresh(app, first["refresh_token"]).json()

    replay = refresh(app, first["refresh_token"])
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    # The thief and the app cannot tell each other apart: both lose access.
    assert refresh(app, second["refresh_token"]).status_code == 400
    with pytest.raises(InvalidToken):
        grant_of(second["access_token"])
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.OAUTH_REFRESH_REUSED, user_id=cast.alice.user.pk
    ).exists()


def test_a_refresh_token_is_bound_to_its_client(cast):
    app, other = smart_app(), smart_app(name="Autre")
    first = launch_app(
        login(Client(), cast.alice.user), app, scopes="user/Patient.rs offline_access"
    )

    assert refresh(other, first["refresh_token"]).status_code == 400


def test_an_online_access_refresh_token_ends_with_the_login_session(cast):
    from hygie.accounts.actions import do_revoke_session
    from hygie.accounts.models import UserSession

    app = smart_app()
    browser = login(Client(), cast.alice.user)
    first = launch_app(browser, app, scopes="user/Patient.rs online_access")
    second = refresh(app, first["refresh_token"])
    assert second.status_code == 200

    session = UserSession.objects.get(session_key=browser.session.session_key)
    do_revoke_session(cast.alice.user, session.pk, source=SETUP)
    assert refresh(app, second.json()["refresh_token"]).status_code == 400


# --- Revocation and introspection ---------------------------------------------------


def test_the_app_can_revoke_its_token_and_its_refresh_token_goes_too(cast):
    app = smart_app()
    tokens = launch_app(
        login(Client(), cast.alice.user), app, scopes="user/Patient.rs offline_access"
    )
    path = f"{FHIR_BASE_PATH}/auth/revoke"
    response = Client().post(path, {"token": tokens["access_token"], "client_id": app.client_id})

    assert response.status_code == 200
    with pytest.raises(InvalidToken):
        grant_of(tokens["access_token"])
    assert refresh(app, tokens["refresh_token"]).status_code == 400
    assert AuditEvent.objects.filter(event_type=AuditEventType.OAUTH_TOKENS_REVOKED).exists()


def test_another_client_cannot_revoke_a_token_it_does_not_hold(cast):
    app, other = smart_app(), smart_app(name="Autre")
    tokens = launch_app(login(Client(), cast.alice.user), app, scopes="user/Patient.rs")
    path = f"{FHIR_BASE_PATH}/auth/revoke"
    response = Client().post(path, {"token": tokens["access_token"], "client_id": other.client_id})

    assert response.status_code == 200  # RFC 7009: no oracle
    assert grant_of(tokens["access_token"]).actor.user == cast.alice.user


def test_introspection_tells_a_client_about_its_own_live_tokens_only(cast):
    app, other = smart_app(), smart_app(name="Autre")
    tokens = launch_app(
        login(Client(), cast.alice.user),
        app,
        scopes="patient/Patient.rs launch/patient",
        patient=cast.patient,
    )
    path = f"{FHIR_BASE_PATH}/auth/introspect"

    mine = Client().post(path, {"token": tokens["access_token"], "client_id": app.client_id})
    assert mine.json()["active"] is True
    assert mine.json()["patient"] == str(cast.patient.pk)
    assert mine.json()["scope"] == "patient/Patient.rs launch/patient"
    theirs = Client().post(path, {"token": tokens["access_token"], "client_id": other.client_id})
    assert theirs.json() == {"active": False}
    nobody = Client().post(path, {"token": tokens["access_token"]})
    assert nobody.status_code == 401
