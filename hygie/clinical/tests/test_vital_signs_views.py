"""The « Constantes » page, allowed and denied, through the whole middleware
stack: reading, recording, confirming an unusual value, marking an entry in
error; and what the cast may not do, with nothing written."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hygie.audit.enums import AuditEventType
from hygie.clinical.enums import ObservationStatus
from hygie.clinical.measures import VitalSign
from hygie.clinical.models import Observation
from hygie.core import clock
from hygie.patients.actions import do_break_glass, do_update_patient
from hygie.patients.forms_data import IdentityData
from hygie.patients.models import Patient
from tests.cast import actor_of, login

from .vital_signs_support import child_of_alice, events_after, last_event_id, record

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    return login(Client(), user)


def page(patient) -> str:
    return reverse("clinical:vital_signs", args=[patient.pk])


def error_page(patient, observation) -> str:
    return reverse("clinical:mark_entered_in_error", args=[patient.pk, observation.pk])


def form(**typed: str) -> dict[str, str]:
    """What the browser sends: every input, blank unless typed."""
    when = timezone.localtime(clock.now() - dt.timedelta(minutes=5))
    data = {
        "effective": when.strftime("%Y-%m-%dT%H:%M"),
        "weight": "",
        "height": "",
        "blood_pressure": "",
        "heart_rate": "",
        "temperature": "",
        "oxygen_saturation": "",
        "capillary_glucose": "",
    }
    data.update(typed)
    return data


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode()).replace("\u00a0", " ")


# --- Alice, the treating doctor --------------------------------------------------


def test_the_treating_doctor_sees_latest_values_charts_and_table(cast):
    alice = cast.actor("alice")
    record(alice, cast.patient.pk, ago=dt.timedelta(days=30), weight="74", height="178")
    record(alice, cast.patient.pk, weight="72,5", blood_pressure="12/8", temperature="38,2")
    response = client_for(cast.alice.user).get(page(cast.patient))
    assert response.status_code == 200
    body = text(response)
    assert "LEFÈVRE" in body
    latest = {m.label: m.value.replace("\u00a0", " ") for m in response.context["latest"]}
    assert latest["Poids"] == "72,5 kg"
    assert latest["Pression artérielle"] == "120/80 mmHg"
    assert latest["Température"] == "38,2 °C"
    assert latest["Taille"] == "178 cm"
    assert "Indice de masse corporelle" in latest  # computed with the weight of last month
    # Weight, BMI and blood pressure charts: an adult gets no growth curve.
    assert body.count('role="img"') == 3
    assert "72,5 kg" in body and "Systolique" in body
    assert not response.context["growth_charts"]
    assert len(response.context["moments"]) == 2
    assert 'name="head_circumference"' not in body  # adults: no head circumference


def test_the_page_answers_with_no_measure_yet(cast):
    response = client_for(cast.alice.user).get(page(cast.patient))
    assert response.status_code == 200
    assert "Aucune mesure enregistrée." in text(response)
    assert "Aucune mesure" in text(response)  # the charts say it too


def test_recording_a_set_redirects_with_a_message_and_shows_it(cast):
    client = client_for(cast.alice.user)
    response = client.post(
        page(cast.patient), form(weight="72,5", height="1m78", blood_pressure="12/8")
    )
    assert response.status_code == 302
    assert response["Location"] == page(cast.patient)
    codes = sorted(Observation.objects.values_list("code", flat=True))
    assert codes == sorted(
        [
            VitalSign.BODY_WEIGHT.value,
            VitalSign.BODY_HEIGHT.value,
            VitalSign.BMI.value,
            "85354-9",
        ]
    )
    shown = client.get(response["Location"])
    assert "4 mesures enregistrées." in text(shown)
    assert "22,9 kg/m²" in text(shown)


def test_errors_are_shown_per_field_in_french_and_nothing_is_written(cast):
    response = client_for(cast.alice.user).post(
        page(cast.patient), form(weight="soixante", temperature="55", blood_pressure="80/120")
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) >= {"weight", "temperature", "blood_pressure"}
    body = text(response)
    assert 'aria-invalid="true"' in body
    assert not Observation.objects.exists()
    # What was typed is kept, to be corrected.
    assert 'value="soixante"' in body


def test_an_empty_form_asks_for_one_measure(cast):
    response = client_for(cast.alice.user).post(page(cast.patient), form())
    assert response.status_code == 200
    assert "Saisissez au moins une mesure." in text(response)
    assert not Observation.objects.exists()


def test_a_date_in_the_future_is_refused_under_the_date(cast):
    later = timezone.localtime(clock.now() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client_for(cast.alice.user).post(
        page(cast.patient), form(weight="72", effective=later)
    )
    assert "effective" in response.context["form"].errors
    assert "dans le futur" in text(response)
    assert not Observation.objects.exists()


def test_an_unusual_value_asks_for_confirmation_then_is_recorded(cast):
    client = client_for(cast.alice.user)
    first = client.post(page(cast.patient), form(temperature="41,5", heart_rate="72"))
    assert first.status_code == 200
    assert not Observation.objects.exists()
    body = text(first)
    assert "Je confirme cette valeur" in body
    assert 'name="confirm_temperature"' in body
    assert 'name="confirm_heart_rate"' not in body  # only where it is asked
    assert first.context["form"].errors["temperature"]
    confirmed = client.post(
        page(cast.patient), form(temperature="41,5", heart_rate="72", confirm_temperature="on")
    )
    assert confirmed.status_code == 302
    temperature = Observation.objects.get(code=VitalSign.BODY_TEMPERATURE.value)
    assert temperature.unlikely_confirmed
    assert "valeur inhabituelle confirmée" in text(client.get(page(cast.patient)))


def test_a_child_gets_head_circumference_and_growth_curves(cast):
    child = child_of_alice(cast, clock.today() - dt.timedelta(days=400))
    client = client_for(cast.alice.user)
    response = client.post(page(child), form(weight="9,6", height="76", head_circumference="46"))
    assert response.status_code == 302, response.context["form"].errors
    shown = client.get(page(child))
    body = text(shown)
    assert 'name="head_circumference"' in body
    # Weight, height, BMI, head circumference on WHO curves, plus blood pressure.
    assert len(shown.context["growth_charts"]) == 4
    assert len(shown.context["trend_charts"]) == 1
    assert "percentile" in body
    assert "Périmètre crânien selon l" in body


def test_a_measure_older_than_a_corrected_birth_date_stays_in_the_table_off_the_curves(cast):
    """Identity vigilance may move a birth date after measures were taken: the
    page must still open (it once answered 500 on the negative age)."""
    born = clock.today() - dt.timedelta(days=200)
    child = child_of_alice(cast, born)
    record(
        cast.actor("alice"), child.pk, effective=clock.now() - dt.timedelta(days=190), weight="4,2"
    )
    record(cast.actor("alice"), child.pk, weight="7,1")
    # The assistant corrects the birth date: the child was born 20 days later.
    child = Patient.objects.get(pk=child.pk)
    do_update_patient(
        cast.actor("denise"),
        child,
        IdentityData(
            birth_family_name=child.birth_family_name,
            birth_given_names=child.birth_given_names,
            birth_date=born + dt.timedelta(days=20),
            sex=child.sex,
        ),
    )
    shown = client_for(cast.alice.user).get(page(child))
    assert shown.status_code == 200
    body = text(shown)
    assert "4,2 kg" in body and "7,1 kg" in body  # both in the table
    weight_chart = str(shown.context["growth_charts"][0])
    tooltips = re.findall(r"<title>([^<]*)</title>", weight_chart)
    assert any("7,1" in t for t in tooltips) and not any("4,2" in t for t in tooltips)


def test_a_long_record_shows_its_latest_moments_and_two_years_of_curves(cast):
    alice = cast.actor("alice")
    years_ago = clock.now() - dt.timedelta(days=3 * 365)
    record(alice, cast.patient.pk, effective=years_ago, weight="91,5")
    for week in range(24):
        record(alice, cast.patient.pk, ago=dt.timedelta(weeks=week, hours=1), weight="70")
    client = client_for(cast.alice.user)
    body = text(client.get(page(cast.patient)))
    assert body.count('class="moment"') == 20  # of 25 moments
    assert "24 moments de mesure ces deux dernières années" in body
    assert 'id="all-measures"' in body
    # The weight of three years ago is off the default curves, on the whole period's.
    assert "91,5" not in body and 'id="whole-period"' in body
    assert "91,5" in text(client.get(page(cast.patient) + "?periode=tout"))
    everything = text(client.get(page(cast.patient) + "?mesures=toutes"))
    assert everything.count('class="moment"') == 25 and 'id="all-measures"' not in everything


def test_a_childs_growth_curves_keep_the_measures_of_the_first_years(cast):
    child = child_of_alice(cast, clock.today() - dt.timedelta(days=5 * 365))
    alice = cast.actor("alice")
    record(alice, child.pk, ago=dt.timedelta(days=4 * 365), weight="10,4")
    record(alice, child.pk, ago=dt.timedelta(days=10), weight="18,2")
    shown = client_for(cast.alice.user).get(page(child))
    tooltips = re.findall(r"<title>([^<]*)</title>", str(shown.context["growth_charts"][0]))
    assert any("10,4" in t for t in tooltips) and any("18,2" in t for t in tooltips)


def test_a_record_without_recent_measures_still_shows_its_curves(cast):
    alice = cast.actor("alice")
    for years in (3, 4):
        record(alice, cast.patient.pk, ago=dt.timedelta(days=years * 365), weight="80")
    body = text(client_for(cast.alice.user).get(page(cast.patient)))
    assert 'id="whole-period"' not in body
    tooltips = re.findall(r"<title>([^<]*)</title>", body)
    assert sum("80" in t for t in tooltips) >= 2


# --- Entered in error ------------------------------------------------------------


def test_marking_an_entry_in_error_hides_it_and_its_bmi(cast):
    alice = cast.actor("alice")
    rows = record(alice, cast.patient.pk, weight="27", height="178", confirm=["weight", "bmi"])
    weight = next(o for o in rows if o.code == VitalSign.BODY_WEIGHT.value)
    client = client_for(cast.alice.user)
    listed = client.get(page(cast.patient))
    assert error_page(cast.patient, weight) in text(listed)
    confirm_page = client.get(error_page(cast.patient, weight))
    assert confirm_page.status_code == 200
    assert "27 kg" in text(confirm_page)
    assert "L'IMC calculé" in text(confirm_page)
    short = client.post(error_page(cast.patient, weight), {"reason": "x"})
    assert "5 caractères" in text(short)
    assert Observation.objects.get(pk=weight.pk).status == ObservationStatus.FINAL
    done = client.post(error_page(cast.patient, weight), {"reason": "Erreur de frappe, 72 kg"})
    assert done.status_code == 302
    statuses = dict(Observation.objects.values_list("code", "status"))
    assert statuses[VitalSign.BODY_WEIGHT.value] == ObservationStatus.ENTERED_IN_ERROR
    assert statuses[VitalSign.BMI.value] == ObservationStatus.ENTERED_IN_ERROR
    assert statuses[VitalSign.BODY_HEIGHT.value] == ObservationStatus.FINAL
    after = client.get(page(cast.patient))
    assert [m.label for m in after.context["latest"]] == ["Taille"]
    assert "saisie par erreur" in text(after)  # the success message


def test_an_observation_of_another_patient_is_a_404_under_this_one(cast):
    child = child_of_alice(cast, dt.date(2020, 5, 1))
    [weight] = record(cast.actor("alice"), child.pk, weight="20")
    client = client_for(cast.alice.user)
    url = error_page(cast.patient, weight)
    assert client.get(url).status_code == 404
    assert client.post(url, {"reason": "Mauvais dossier"}).status_code == 404
    assert Observation.objects.get(pk=weight.pk).status == ObservationStatus.FINAL


# --- The rest of the cast --------------------------------------------------------


def test_a_colleague_without_care_relationship_is_offered_the_break_glass(cast):
    client = client_for(cast.bob.user)
    response = client.get(page(cast.patient))
    assert response.status_code == 403
    body = text(response)
    assert reverse("patients:break_glass", args=[cast.patient.pk]) in body
    assert "relation de soins" in body
    posted = client.post(page(cast.patient), form(weight="72"))
    assert posted.status_code == 403
    assert not Observation.objects.exists()


def test_a_colleague_who_broke_the_glass_records_vital_signs(cast, mailoutbox):
    do_break_glass(actor_of(cast.bob), cast.patient, "Malaise au cabinet, médecin absent")
    client = client_for(cast.bob.user)
    assert client.get(page(cast.patient)).status_code == 200
    assert client.post(page(cast.patient), form(heart_rate="110")).status_code == 302
    assert Observation.objects.filter(code=VitalSign.HEART_RATE.value).exists()


def test_the_assistant_is_refused_the_record_without_break_glass(cast):
    [weight] = record(cast.actor("alice"), cast.patient.pk, weight="72")
    client = client_for(cast.denise.user)
    response = client.get(page(cast.patient))
    assert response.status_code == 403
    body = text(response)
    assert "Votre rôle ne donne pas accès" in body
    assert reverse("patients:break_glass", args=[cast.patient.pk]) not in body
    assert "72 kg" not in body
    assert client.post(page(cast.patient), form(weight="80")).status_code == 403
    # The observation's page is the same 404 as for any id; the write is refused too.
    assert client.get(error_page(cast.patient, weight)).status_code == 404
    client.post(error_page(cast.patient, weight), {"reason": "Mauvais dossier"})
    assert list(Observation.objects.values_list("pk", "status")) == [
        (weight.pk, ObservationStatus.FINAL)
    ]


@pytest.mark.parametrize("name", ["carla", "ernest"])
def test_another_practice_or_the_office_manager_gets_a_404(cast, name):
    [weight] = record(cast.actor("alice"), cast.patient.pk, weight="72")
    client = client_for(getattr(cast, name).user)
    assert client.get(page(cast.patient)).status_code == 404
    assert client.post(page(cast.patient), form(weight="80")).status_code == 404
    missing = reverse("clinical:vital_signs", args=[uuid.uuid4()])
    assert client.get(missing).status_code == 404
    assert (
        client.post(error_page(cast.patient, weight), {"reason": "Mauvais dossier"}).status_code
        == 404
    )
    assert list(Observation.objects.values_list("pk", "status")) == [
        (weight.pk, ObservationStatus.FINAL)
    ]


def test_a_departed_doctor_is_sent_to_choose_a_practice_and_writes_nothing(cast):
    # His membership ended: no actor, so no page of practice A answers him.
    client = client_for(cast.damien.user)
    for response in (
        client.get(page(cast.patient)),
        client.post(page(cast.patient), form(weight="72")),
    ):
        assert response.status_code == 302
        assert response["Location"] == reverse("practices:switch")
    assert not Observation.objects.exists()


def test_an_anonymous_visitor_is_sent_to_login(cast):
    response = Client().get(page(cast.patient))
    assert response.status_code == 302
    assert "/comptes/login/" in response["Location"]


def test_a_refusal_is_audited_and_a_read_is_one_clinical_event(cast):
    client = client_for(cast.alice.user)
    before = last_event_id()
    client.get(page(cast.patient))
    types = [e.event_type for e in events_after(before)]
    assert types.count(AuditEventType.CLINICAL_READ) == 1
    before = last_event_id()
    client_for(cast.bob.user).post(page(cast.patient), form(weight="72"))
    assert AuditEventType.ACCESS_DENIED in [e.event_type for e in events_after(before)]


# --- Cost --------------------------------------------------------------------------


def _add_visits(cast, count: int) -> None:
    alice = cast.actor("alice")
    for day in range(count):
        record(
            alice,
            cast.patient.pk,
            ago=dt.timedelta(days=day + 1),
            weight=f"{70 + day % 5},5",
            height="178",
            blood_pressure="12/8",
        )


@pytest.mark.parametrize("visits", [1, 13])
def test_the_page_query_count_stays_flat(cast, visits, django_assert_max_num_queries):
    # 1 visit = 4 measures (weight, height, BMI, pressure): 4 and 52 rows.
    _add_visits(cast, visits)
    client = client_for(cast.alice.user)
    client.get(page(cast.patient))
    # Session, user, tracked session, MFA, membership; the identity's read
    # (patient, policy, audit) and the record's (the same, plus the one list);
    # the banner's allergies (the policy asked again without audit, the list):
    # 22 on SQLite and PostgreSQL, whatever the number of rows (the latest value
    # of each sign and "older measures exist?" are a query each).
    with django_assert_max_num_queries(22):
        response = client.get(page(cast.patient))
    assert len(response.context["moments"]) == visits
