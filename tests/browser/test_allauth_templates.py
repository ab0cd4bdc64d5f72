"""allauth's pages as Hygie serves them: Hygie's overrides win, and no template that
can be served (override or stock) carries inline code the CSP would block. Fast
checks on template sources; the browser tests show the pages really work."""

from __future__ import annotations

import re
from pathlib import Path

import allauth
import pytest
from django.template.loader import get_template

from tests.browser.conftest import HYGIE_TEMPLATES, assert_hygie_overrides_allauth

ALLAUTH_TEMPLATES = Path(allauth.__file__).parent / "templates"
# Pages a staff member can reach: sign-in, password, second factor. Social accounts,
# headless, the identity provider and user sessions are not installed.
SERVED = ("account", "mfa", "allauth")
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)


def served_templates() -> list[str]:
    # Phone numbers are no login method (ACCOUNT_LOGIN_METHODS is e-mail only).
    return sorted(
        str(path.relative_to(ALLAUTH_TEMPLATES))
        for folder in SERVED
        for path in (ALLAUTH_TEMPLATES / folder).rglob("*.html")
        if "phone" not in path.name
    )


def test_hygie_s_templates_override_allauth_s() -> None:
    assert_hygie_overrides_allauth()


@pytest.mark.parametrize("name", served_templates())
def test_the_served_template_has_no_inline_script_style_or_handler(name: str) -> None:
    source = Path(get_template(name).origin.name).read_text(encoding="utf-8")
    for attributes in SCRIPT_TAG.findall(source):
        assert "src=" in attributes or 'type="application/json"' in attributes, (
            f"{name}: inline <script{attributes}> would be blocked by the CSP"
        )
    assert not INLINE_STYLE.search(source), f"{name}: inline style, blocked by the CSP"
    assert not EVENT_HANDLER.search(source), f"{name}: inline event handler, blocked by the CSP"


def test_every_page_that_needs_a_script_loads_hygie_s_webauthn_glue() -> None:
    # A stock page calling allauth's onload.js glue would do nothing: Hygie's pages
    # start allauth's WebAuthn functions from web/webauthn.js instead.
    for name in (
        "mfa/authenticate.html",
        "mfa/webauthn/add_form.html",
        "mfa/webauthn/reauthenticate.html",
        "mfa/webauthn/signup_form.html",
    ):
        path = Path(get_template(name).origin.name)
        assert path.is_relative_to(HYGIE_TEMPLATES), name
        assert "data-hygie-webauthn=" in path.read_text(encoding="utf-8"), name
