"""The authorization server offers the SMART flows and nothing else: no implicit
or password grant, no device flow, no token in a URL, the site's strict CSP."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from hygie.fhir.models import AccessToken
from hygie.fhir.smart.authorize import _csp
from hygie.fhir.smart.endpoints import endpoint_url, fhir_base_url
from hygie.web.middleware import CSP
from tests.cast import PASSWORD, authorize_url, login, pkce_pair, post_token, smart_app

pytestmark = pytest.mark.django_db


def path(name: str) -> str:
    return endpoint_url(name).removeprefix(fhir_base_url().removesuffix("/fhir/R4"))


def test_the_authorize_pages_keep_the_site_policy_and_only_add_the_apps_origin():
    policy = _csp("https://appli.example:8443/retour?x=1")

    assert policy == CSP.replace(
        "form-action 'self'", "form-action 'self' https://appli.example:8443"
    )


def test_a_redirect_uri_cannot_inject_into_the_policy():
    assert "form-action 'self';" in _csp("https://a.example;script-src *")


def test_the_implicit_grant_is_refused(cast):
    browser = login(Client(), cast.alice.user)
    app = smart_app()
    _verifier, challenge = pkce_pair()
    url = authorize_url(app, scopes="user/Patient.rs", challenge=challenge).replace(
        "response_type=code", "response_type=token"
    )
    response = browser.get(url)

    assert response.status_code == 302
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["error"] == ["unsupported_response_type"]
    assert "access_token" not in response["Location"]


def test_the_password_grant_is_refused(cast):
    app = smart_app()
    response = post_token(
        Client(),
        grant_type="password",
        username="alice@a.test",
        password=PASSWORD,
        client_id=app.client_id,
        scope="user/Patient.rs",
    )

    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"
    assert not AccessToken.objects.exists()


def test_the_device_flow_does_not_exist(cast):
    response = post_token(
        Client(),
        grant_type="urn:ietf:params:oauth:grant-type:device_code",
        device_code="x",
        client_id=smart_app().client_id,
    )

    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_the_token_endpoint_answers_post_only(db):
    assert Client().get(path("token")).status_code == 405


def test_a_token_request_with_parameters_in_the_url_is_refused(cast):
    app = smart_app()
    response = Client().post(
        f"{path('token')}?grant_type=client_credentials", {"client_id": app.client_id}
    )

    assert response.status_code == 400
    assert not AccessToken.objects.exists()


def test_the_authorize_page_cannot_be_framed_and_is_not_cached(cast):
    browser = login(Client(), cast.alice.user)
    _verifier, challenge = pkce_pair()
    response = browser.get(
        authorize_url(smart_app(), scopes="user/Patient.rs", challenge=challenge)
    )

    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "no-store"


def test_the_consent_form_is_csrf_protected(cast):
    browser = Client(enforce_csrf_checks=True)
    login(browser, cast.alice.user)
    _verifier, challenge = pkce_pair()
    page = browser.get(authorize_url(smart_app(), scopes="user/Patient.rs", challenge=challenge))
    response = browser.post(path("authorize"), {"rid": page.context["rid"], "action": "allow"})

    assert response.status_code == 403
