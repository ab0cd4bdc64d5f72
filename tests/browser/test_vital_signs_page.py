"""A doctor records vital signs in a real browser: from the patient's page to
« Constantes », types a weight, a height and a blood pressure the French way,
and sees the latest values and the weight chart take the new measure. No CSP
violation, no failed request. Screenshots in test-artifacts/browser/."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client

from hygie.clinical.tests.vital_signs_support import child_of_alice, record
from hygie.core import clock
from tests.cast import build_cast, login

pytestmark = pytest.mark.browser


def weight_tooltips(page: Any) -> list[str]:
    """The tooltips of the weight chart's marks (« 12/03/2025 : 72,5 kg »): an
    adult's first trend chart, whose SVG title is « Poids »."""
    chart = page.locator("#trend-charts figure").first.locator("svg")
    assert chart.locator(":scope > title").text_content() == "Poids"
    titles = chart.locator("g.chart-point > title").all_text_contents()
    return [" ".join(t.split()) for t in titles]


def test_a_doctor_records_vital_signs_and_sees_them_charted(
    live_server: Any, open_session: Any, settings: Any
) -> None:
    cast = build_cast()
    alice = cast.actor("alice")
    record(alice, cast.patient.pk, ago=dt.timedelta(days=60), weight="76", height="178")
    record(alice, cast.patient.pk, ago=dt.timedelta(days=20), weight="75,2", blood_pressure="13/8")
    client = login(Client(), cast.alice.user)  # password and second factor passed
    s = open_session("vital-signs")
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

    page.goto(f"{live_server.url}/patients/{cast.patient.pk}/")
    page.get_by_role("link", name="Constantes").click()
    page.wait_for_url(re.compile(r"/dossier/.+/constantes/$"))
    assert page.title().startswith("Constantes · LEFÈVRE")
    assert page.get_by_role("link", name="Constantes").get_attribute("aria-current") == "page"
    latest = page.locator("#latest-vitals")
    assert "75,2\u00a0kg" in latest.inner_text()
    before = weight_tooltips(page)
    assert len(before) == 2
    s.shot("before")

    page.get_by_label("Poids (kg)").fill("74,5")
    page.get_by_label("Taille (cm)").fill("1m78")
    page.get_by_role("textbox", name="Pression artérielle").fill("12/8")
    page.get_by_label("Fréquence cardiaque (bpm)").fill("68")
    s.shot("typed")
    page.get_by_role("button", name="Enregistrer les constantes").click()
    page.wait_for_url(re.compile(r"/dossier/.+/constantes/$"))
    assert page.get_by_text("5 mesures enregistrées.").is_visible()

    values = latest.inner_text().replace("\u00a0", " ")
    assert "74,5 kg" in values
    assert "178 cm" in values
    assert "120/80 mmHg" in values
    assert "68 bpm" in values
    assert "23,5 kg/m²" in values
    after = weight_tooltips(page)
    assert len(after) == len(before) + 1
    assert after[-1].endswith(": 74,5 kg")
    assert page.locator("#measures tbody.moment").count() == 3
    s.shot("recorded")
    s.assert_clean()


def test_an_unusual_value_is_confirmed_and_a_child_gets_growth_curves(
    live_server: Any, open_session: Any, settings: Any
) -> None:
    cast = build_cast()
    child = child_of_alice(cast, clock.today() - dt.timedelta(days=500))
    record(cast.actor("alice"), child.pk, ago=dt.timedelta(days=120), weight="8,9", height="72")
    client = login(Client(), cast.alice.user)
    s = open_session("vital-signs-child")
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
    page.goto(f"{live_server.url}/dossier/{child.pk}/constantes/")
    page.get_by_label("Poids (kg)").fill("10,2")
    page.get_by_label("Taille (cm)").fill("79")
    page.get_by_label("Périmètre crânien (cm)").fill("47")
    page.get_by_label("Température (°C)").fill("41,5")
    page.get_by_role("button", name="Enregistrer les constantes").click()

    # Nothing recorded yet: the unusual value says why and asks to be confirmed.
    assert page.get_by_role("alert").first.is_visible()
    box = page.get_by_label("Je confirme cette valeur")
    assert box.count() == 1
    assert page.locator("#id_temperature_error").is_visible()
    s.shot("asks-confirmation")
    box.check()
    page.get_by_role("button", name="Enregistrer les constantes").click()
    assert page.get_by_text("5 mesures enregistrées.").is_visible()
    assert "41,5\u00a0°C" in page.locator("#latest-vitals").inner_text()

    growth = page.locator("#growth-charts svg")
    assert growth.count() == 4
    weight_marks = growth.first.locator("g title").all_text_contents()
    assert any("10,2" in t and "percentile" in t for t in weight_marks), weight_marks
    s.shot("growth-curves")
    s.assert_clean()
