"""The one-time enrolment link a practice admin sends to a new colleague: it opens
allauth's password-reset-from-key page, which must read as "choose your password",
refuse a weak one in French, and lead to the login and the forced second factor.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from hygie.accounts.actions import do_create_user, enrolment_path
from hygie.practices.actions import do_add_member
from hygie.practices.enums import Role
from tests.cast import SETUP, build_cast

pytestmark = pytest.mark.browser

EMAIL = "emma@a.test"
NEW_PASSWORD = "Lanterne-Cormoran-Basalte-42"


def test_the_enrolment_link_lets_a_new_colleague_choose_a_password_once(
    live_server: Any, open_session: Any
) -> None:
    cast = build_cast()
    emma = do_create_user(EMAIL, first_name="Emma", last_name="Etienne", source=SETUP)
    do_add_member(
        cast.practice_a, emma, role=Role.ASSISTANT, start_date=dt.date(2024, 1, 1), source=SETUP
    )
    link = live_server.url + enrolment_path(emma)
    s = open_session("enrolment")
    page = s.page

    page.goto(link)
    assert page.get_by_role("heading", name="Choisissez votre mot de passe").is_visible()
    assert page.title() == "Choisissez votre mot de passe · Hygie"
    s.shot("choose-password")

    page.get_by_label("Nouveau mot de passe").fill("motdepasse")
    page.get_by_label("Confirmez le mot de passe").fill("motdepasse")
    page.get_by_role("button", name="Enregistrer mon mot de passe").click()
    assert page.locator(".errorlist").first.is_visible()
    s.shot("weak-password-refused")

    page.get_by_label("Nouveau mot de passe").fill(NEW_PASSWORD)
    page.get_by_label("Confirmez le mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Enregistrer mon mot de passe").click()
    assert page.get_by_role("heading", name="Mot de passe enregistré").is_visible()
    s.shot("password-set")

    # One time only.
    page.goto(link)
    assert page.get_by_role("heading", name="Lien invalide ou expiré").is_visible()
    s.shot("link-used")

    page.goto(live_server.url + "/comptes/login/")
    page.get_by_label("Adresse e-mail").fill(EMAIL)
    page.get_by_label("Mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r"/comptes/mfa-obligatoire/"))

    s.assert_clean()
