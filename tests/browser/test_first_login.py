"""A new doctor's first morning, in a real browser: log in, be forced to enrol a
second factor, create a patient, find her by live search, see the creation in the
audit log; then log in again and be asked for the code. No page may trip the
Content-Security-Policy.

Screenshots of each step land in test-artifacts/browser/ (not committed).
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

from hygie.practices.actions import do_change_role
from hygie.practices.enums import Role
from tests.cast import PASSWORD, SETUP, build_cast

pytestmark = pytest.mark.browser

EMAIL = "alice@a.test"


def totp_step() -> int:
    return int(time.time()) // mfa_settings.TOTP_PERIOD


def code_after(secret: str, used_step: int) -> str:
    """A code the server accepts that is not the one used at `used_step`: a TOTP
    code is single-use, so the next login needs a later one: the current step's
    code if time has moved on, else the next step's when the server's tolerance
    accepts it, else the next step's once it comes."""
    step = max(used_step + 1, totp_step())
    while step > totp_step() + mfa_settings.TOTP_TOLERANCE:
        time.sleep(0.5)
    return format_hotp_value(hotp_value(secret, step))


def log_in(page: Any, base: str) -> None:
    page.goto(f"{base}/comptes/login/")
    page.get_by_label("Adresse e-mail").fill(EMAIL)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_first_login_enrols_totp_then_creates_finds_and_audits_a_patient(
    live_server: Any, open_session: Any
) -> None:
    cast = build_cast()
    do_change_role(cast.alice, role=Role.PRACTITIONER, is_admin=True, source=SETUP)
    base = live_server.url
    s = open_session("first-login")
    page = s.page

    # Any page sends an anonymous visitor to the login page, in Hygie's layout.
    response = page.goto(base + "/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert re.search(r"/comptes/login/", page.url)
    assert page.get_by_role("heading", name="Connexion").is_visible()
    assert page.title() == "Connexion · Hygie"
    assert page.get_by_text("inscri", exact=False).count() == 0  # sign-up is closed
    s.shot("login")

    # Password accepted: no patient data until a second factor is enrolled.
    log_in(page, base)
    page.wait_for_url(re.compile(r"/comptes/mfa-obligatoire/"))
    s.shot("mfa-required")
    page.goto(base + "/patients/")
    page.wait_for_url(re.compile(r"/comptes/mfa-obligatoire/"))

    # Adding a factor is a sensitive change: allauth asks for the password again.
    page.locator("#enrol-totp").click()
    page.wait_for_url(re.compile(r"/comptes/reauthenticate/"))
    assert page.get_by_role("heading", name="Confirmez votre identité").is_visible()
    s.shot("reauthenticate")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Confirmer").click()

    # The authenticator-app page shows the QR code and the secret as text.
    page.wait_for_url(re.compile(r"/totp/activate/"))
    qr = page.locator(".qr img")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0"), "QR code not rendered"
    secret = page.locator("#totp-secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), secret
    s.shot("totp-activate")
    enrolled_step = totp_step()
    page.get_by_label("Code à 6 chiffres").fill(
        format_hotp_value(hotp_value(secret, enrolled_step))
    )
    page.get_by_role("button", name="Activer").click()

    # allauth offers recovery codes right after the first factor.
    page.wait_for_url(re.compile(r"/recovery-codes/"))
    assert page.locator("#recovery_codes li").count() == mfa_settings.RECOVERY_CODE_COUNT
    s.shot("recovery-codes")
    page.get_by_role("link", name="Continuer vers Hygie").click()
    page.wait_for_url(re.compile(r"/patients/$"))
    s.shot("patients")

    # A new patient, identity typed at the desk: no NIR, so a provisional identity.
    page.get_by_role("link", name="Nouveau patient").click()
    page.get_by_label("Nom de naissance").fill("Duchêne")
    page.get_by_label("Prénoms de naissance").fill("Amélie Rose")
    page.get_by_label("Date de naissance").fill("1990-05-17")
    page.get_by_label("Sexe").select_option("female")
    page.get_by_label("Lieu de naissance (code INSEE)").fill("69123")
    s.shot("patient-form")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url(re.compile(r"/patients/[0-9a-f-]{36}/$"))
    assert page.locator("#identity-status").inner_text().strip() == "Identité provisoire"
    s.shot("patient-created")

    # Live search without the accent: HTMX replaces #results as one types.
    page.get_by_role("navigation").get_by_role("link", name="Patients").click()
    page.wait_for_url(re.compile(r"/patients/$"))
    page.locator("#id_q").press_sequentially("duche", delay=60)
    row = page.locator("#results").get_by_role("link", name="DUCHÊNE")
    row.wait_for()
    assert page.locator("#results tbody tr").count() == 1
    s.shot("search")

    # Alice administers the practice: the audit log shows what she did.
    page.get_by_role("link", name="Journal d'audit").click()
    created = page.locator("#audit-events tr", has_text="patient créé")
    created.first.wait_for()
    assert EMAIL in created.first.inner_text()
    s.shot("audit-log")

    # Next login: the code is asked right after the password.
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(re.compile(r"/comptes/login/"))
    log_in(page, base)
    page.wait_for_url(re.compile(r"/comptes/2fa/authenticate/"))
    assert page.get_by_role("heading", name="Second facteur").is_visible()
    # No security key on this account: no button that could only fail.
    assert page.get_by_role("button", name="Utiliser ma clé de sécurité").count() == 0
    s.shot("mfa-authenticate")
    page.get_by_label("Code de l'application ou code de secours").fill(
        code_after(secret, enrolled_step)
    )
    page.get_by_role("button", name="Valider").click()
    page.wait_for_url(re.compile(r"/patients/$"))
    assert page.get_by_role("heading", name="Patients").is_visible()
    s.shot("back-in")

    s.assert_clean()
