"""A doctor records an allergy in a real browser: from « Constantes » to the
« Allergies » tab, types a penicillin allergy with a high criticality and a
reaction, and sees it in the red strip of the banner on both pages. No CSP
violation, no failed request. Screenshots in test-artifacts/browser/."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from tests.cast import build_cast, login

pytestmark = pytest.mark.browser


def test_a_doctor_records_a_penicillin_allergy_and_sees_it_in_red(
    live_server: Any, open_session: Any, settings: Any
) -> None:
    cast = build_cast()
    client = login(Client(), cast.alice.user)  # password and second factor passed
    s = open_session("allergies")
    page = s.page
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )

    page.goto(f"{live_server.url}/dossier/{cast.patient.pk}/constantes/")
    strip = page.locator("#allergy-strip")
    assert strip.inner_text().strip() == "Aucune allergie connue"
    page.get_by_role("link", name="Allergies", exact=True).click()
    page.wait_for_url(re.compile(r"/dossier/.+/allergies/$"))
    assert page.title().startswith("Allergies · LEFÈVRE")
    assert (
        page.get_by_role("link", name="Allergies", exact=True).get_attribute("aria-current")
        == "page"
    )
    s.shot("empty")

    # A first try without the type: refused in French, nothing half-saved.
    page.get_by_label("Substance").fill("Pénicillines")
    page.get_by_role("button", name="Enregistrer l'allergie").click()
    assert page.get_by_text(
        "Indiquez s'il s'agit d'une allergie ou d'une intolérance."
    ).is_visible()
    assert page.get_by_label("Substance").input_value() == "Pénicillines"
    s.shot("errors")

    page.get_by_label("Code ATC (facultatif)").fill("J01C")
    page.get_by_label("Type").select_option(label="Allergie")
    page.get_by_label("Catégorie").select_option(label="Médicament")
    page.get_by_label("Criticité").select_option(label="Élevée")
    page.get_by_label("Vérification").select_option(label="Confirmée")
    page.get_by_label("Début").fill("03/2019")
    page.get_by_label("Manifestation (réaction 1)").fill("Œdème de Quincke")
    page.get_by_label("Sévérité (réaction 1)").select_option(label="Sévère")
    s.shot("typed")
    page.get_by_role("button", name="Enregistrer l'allergie").click()
    page.wait_for_url(re.compile(r"/dossier/.+/allergies/$"))
    assert page.get_by_text("Allergie ou intolérance enregistrée.").is_visible()

    assert " ".join(strip.inner_text().split()) == "Allergies : Pénicillines (élevée)"
    # Red, and readable on it.
    assert strip.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(164, 38, 44)"
    assert strip.evaluate("e => getComputedStyle(e).color") == "rgb(255, 255, 255)"
    table = page.locator("#allergies").inner_text()
    assert "Pénicillines" in table and "mars 2019" in table
    assert "Œdème de Quincke (sévère)" in table
    s.shot("recorded")

    page.get_by_role("link", name="Constantes").click()
    page.wait_for_url(re.compile(r"/dossier/.+/constantes/$"))
    assert " ".join(strip.inner_text().split()) == "Allergies : Pénicillines (élevée)"
    s.shot("vital-signs-banner")

    page.goto(f"{live_server.url}/dossier/{cast.patient.pk}/allergies/")
    page.get_by_role("link", name="Modifier : Pénicillines").click()
    page.get_by_label("Criticité").select_option(label="Faible")
    page.get_by_role("button", name="Enregistrer les modifications").click()
    page.wait_for_url(re.compile(r"/dossier/.+/allergies/$"))
    assert " ".join(strip.inner_text().split()) == "Allergies : Pénicillines (faible)"
    page.get_by_role("link", name="Historique : Pénicillines").click()
    assert page.locator("#versions li.version").count() == 2
    s.shot("history")
    s.assert_clean()
