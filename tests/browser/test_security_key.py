"""Security keys (WebAuthn) under the strict Content-Security-Policy: enrolment at
first login and login with the key, driven through Chromium's virtual
authenticator (DevTools protocol), so no hardware is needed. This proves that the
glue moved out of allauth's inline scripts (web/webauthn.js) works.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from allauth.mfa.models import Authenticator

from tests.cast import PASSWORD, build_cast

pytestmark = pytest.mark.browser

EMAIL = "bob@a.test"


def add_virtual_authenticator(page: Any) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )


def log_in(page: Any, base: str) -> None:
    page.goto(f"{base}/comptes/login/")
    page.get_by_label("Adresse e-mail").fill(EMAIL)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_a_security_key_enrolled_at_first_login_then_opens_the_next_session(
    live_server: Any, open_session: Any
) -> None:
    cast = build_cast()
    base = live_server.url
    s = open_session("security-key")
    page = s.page
    add_virtual_authenticator(page)

    log_in(page, base)
    page.wait_for_url(re.compile(r"/comptes/mfa-obligatoire/"))
    page.locator("#enrol-webauthn").click()
    page.wait_for_url(re.compile(r"/comptes/reauthenticate/"))
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Confirmer").click()

    page.wait_for_url(re.compile(r"/2fa/webauthn/add/"))
    assert page.get_by_role("heading", name="Ajouter une clé de sécurité").is_visible()
    page.get_by_label("Nom de la clé").fill("Clé bleue")
    s.shot("add-key")
    page.get_by_role("button", name="Enregistrer ma clé").click()
    page.wait_for_url(re.compile(r"/recovery-codes/"))
    key = Authenticator.objects.get(user=cast.bob.user, type=Authenticator.Type.WEBAUTHN)
    assert key.wrap().name == "Clé bleue"
    page.get_by_role("link", name="Continuer vers Hygie").click()
    page.wait_for_url(re.compile(r"/patients/$"))

    # The same key a second time: the browser refuses, the page says why in French.
    page.goto(base + "/comptes/2fa/webauthn/add/")
    page.get_by_role("button", name="Enregistrer ma clé").click()
    error = page.locator("#webauthn-error")
    error.wait_for(state="visible")
    assert "déjà enregistrée" in error.inner_text()
    s.shot("same-key-refused")

    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(re.compile(r"/comptes/login/"))
    log_in(page, base)
    page.wait_for_url(re.compile(r"/comptes/2fa/authenticate/"))
    s.shot("authenticate-with-key")
    page.get_by_role("button", name="Utiliser ma clé de sécurité").click()
    page.wait_for_url(re.compile(r"/patients/$"))
    assert page.get_by_role("heading", name="Patients").is_visible()

    s.assert_clean()
