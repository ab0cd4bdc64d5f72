"""A tour of the other allauth pages a staff member may open: each one wears
Hygie's layout, speaks French and trips no Content-Security-Policy rule.

The session is made by tests.cast.login (password and second factor taken as
done): the real login flow has its own browser tests next to this one.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from tests.cast import build_cast, login

pytestmark = pytest.mark.browser

ANONYMOUS = [
    ("/comptes/password/reset/", "Mot de passe oublié"),
    ("/comptes/signup/", "Inscription fermée"),
]
SIGNED_IN = [
    ("/comptes/2fa/", "Seconds facteurs"),
    ("/comptes/2fa/webauthn/", "Clés de sécurité"),
    ("/comptes/email/", "Adresses e-mail"),
    ("/comptes/password/change/", "Changer de mot de passe"),
    ("/comptes/logout/", "Déconnexion"),
    # Removing a factor first asks to prove who you are.
    ("/comptes/2fa/totp/deactivate/", "Confirmez votre identité"),
]


def visit(s: Any, url: str, heading: str) -> None:
    response = s.page.goto(url)
    assert response.status == 200, url
    assert s.page.get_by_role("heading", name=heading, exact=True).is_visible(), url
    assert s.page.title().endswith("· Hygie"), url
    s.shot(heading.lower().replace(" ", "-"))


def test_account_pages_wear_hygie_s_layout_without_csp_violation(
    live_server: Any, open_session: Any
) -> None:
    cast = build_cast()
    s = open_session("account-pages")
    for path, heading in ANONYMOUS:
        visit(s, live_server.url + path, heading)

    client = login(Client(), cast.bob.user)
    s.page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    for path, heading in SIGNED_IN:
        visit(s, live_server.url + path, heading)

    s.assert_clean()


def test_the_csp_watcher_sees_a_violation(live_server: Any, open_session: Any) -> None:
    # Guards the other tests: "no CSP message" must mean "no violation", not "not listening".
    s = open_session("csp-watcher")
    s.page.goto(live_server.url + "/comptes/login/")
    s.page.evaluate(
        "() => { const el = document.createElement('script');"
        " el.textContent = 'window.ran = true'; document.body.appendChild(el); }"
    )
    s.page.wait_for_timeout(200)
    assert s.page.evaluate("() => window.ran") is None
    assert any("Content Security Policy" in m for m in s.console), s.console
