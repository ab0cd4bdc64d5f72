"""SMART standalone launch as a doctor sees it: the patient picker and the
consent page wear Hygie's layout, speak French, trip no CSP rule, and the
approval sends the app its code."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from tests.cast import SMART_REDIRECT_URI, authorize_url, build_cast, login, pkce_pair, smart_app

pytestmark = pytest.mark.browser


def test_a_doctor_picks_the_patient_and_approves_the_app(
    live_server: Any, open_session: Any, settings: Any
) -> None:
    settings.BASE_URL = live_server.url  # the app's `aud` names this server
    cast = build_cast()
    app = smart_app("patient/Patient.rs launch/patient", name="Carnet de suivi")
    client = login(Client(), cast.alice.user)
    s = open_session("smart-launch")
    s.page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    # The app's redirect URI is not served here: answer it in the browser.
    s.page.route(f"{SMART_REDIRECT_URI}**", lambda route: route.fulfill(body="appli"))
    _verifier, challenge = pkce_pair()
    s.page.goto(
        live_server.url + authorize_url(app, scopes=app.registered_scopes, challenge=challenge)
    )
    page = s.page
    assert page.get_by_role(
        "heading", name="Choisir le patient pour « Carnet de suivi »"
    ).is_visible()
    page.get_by_label("Nom").fill("lefèvre")
    page.get_by_role("button", name="Rechercher").click()
    s.shot("patient-picker")
    page.get_by_role("button", name="Choisir").click()
    assert page.get_by_role("button", name="Autoriser").is_visible()
    assert "LEFÈVRE" in page.content()
    s.shot("consent")
    with page.expect_request(f"{SMART_REDIRECT_URI}**") as sent:
        page.get_by_role("button", name="Autoriser").click()
    query = parse_qs(urlsplit(sent.value.url).query)
    assert query["state"] == ["etat-123"]
    assert query["code"][0]
    s.assert_clean()
