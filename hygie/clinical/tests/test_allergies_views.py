"""The « Allergies » page and the banner's red strip, through the whole
middleware stack: the list, recording, correcting with a version (and the
conflict), entered-in-error, the history; what the cast may not do, with
nothing written; one CLINICAL_READ per page view; the query count."""

from __future__ import annotations

import datetime as dt
import html
import re
import uuid
from typing import Any

import pytest
from django.db import DatabaseError
from django.test import Client
from django.urls import reverse

from hygie.audit.enums import AuditEventType
from hygie.clinical.actions import (
    AllergyData,
    ReactionData,
    do_mark_allergy_entered_in_error,
    do_record_allergy,
    do_update_allergy,
)
from hygie.clinical.enums import AllergyIntoleranceVerificationStatus as Verification
from hygie.clinical.models import AllergyIntolerance, AllergyIntoleranceVersion
from hygie.patients.actions import do_break_glass
from tests.cast import actor_of, login

from .vital_signs_support import child_of_alice, events_after, last_event_id, record

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    return login(Client(), user)


def page(patient) -> str:
    return reverse("clinical:allergies", args=[patient.pk])


def edit_page(patient, allergy) -> str:
    return reverse("clinical:edit_allergy", args=[patient.pk, allergy.pk])


def error_page(patient, allergy) -> str:
    return reverse("clinical:mark_allergy_entered_in_error", args=[patient.pk, allergy.pk])


def history_page(patient, allergy) -> str:
    return reverse("clinical:allergy_history", args=[patient.pk, allergy.pk])


def text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.content.decode())).replace("\u00a0", " ")


def strip(response) -> str:
    found = re.search(
        r'<p class="allergy-strip[^"]*" id="allergy-strip"[^>]*>(.*?)</p>', text(response)
    )
    assert found, "no allergy strip"
    return re.sub(r"<[^>]+>", "", found[1]).strip()


def penicillins(actor, patient, **overrides: Any) -> AllergyIntolerance:
    values: dict[str, Any] = {
        "type": "allergy",
        "category": "medication",
        "substance": "Pénicillines",
        "atc_code": "J01C",
        "criticality": "high",
        "verification_status": "confirmed",
        "onset": "03/2019",
        "reactions": [ReactionData("Urticaire géante", "severe")],
    }
    values.update(overrides)
    return do_record_allergy(actor, patient.pk, AllergyData(**values))


def peanut(actor, patient, **overrides: Any) -> AllergyIntolerance:
    values: dict[str, Any] = {
        "type": "allergy",
        "category": "food",
        "substance": "Arachide",
        "onset": "2015",
    }
    values.update(overrides)
    return do_record_allergy(actor, patient.pk, AllergyData(**values))


def form(**typed: str) -> dict[str, str]:
    """What the browser sends for a new allergy: every input, blank unless typed."""
    data = {
        "substance": "",
        "atc_code": "",
        "type": "",
        "category": "",
        "criticality": "",
        "clinical_status": "active",
        "verification_status": "unconfirmed",
        "onset": "",
        "note": "",
    }
    for n in (1, 2, 3):
        data[f"reaction_{n}_manifestation"] = ""
        data[f"reaction_{n}_severity"] = ""
    data.update(typed)
    return data


def edit_form(allergy: AllergyIntolerance, **typed: str) -> dict[str, str]:
    data = form(
        substance=allergy.substance_text or "",
        atc_code=allergy.atc_code or "",
        type=allergy.type,
        category=allergy.category,
        criticality=allergy.criticality,
        clinical_status=allergy.clinical_status,
        verification_status=allergy.verification_status,
        reaction_1_manifestation="Urticaire géante",
        reaction_1_severity="severe",
        version=str(allergy.version),
    )
    data.update(typed)
    return data


def clinical_reads(before: int) -> int:
    return [e.event_type for e in events_after(before)].count(AuditEventType.CLINICAL_READ)


# --- Alice, the treating doctor: the list and the banner ---------------------------


def test_the_list_shows_active_first_high_first_with_onsets_in_french(cast):
    alice = cast.actor("alice")
    peanut(alice, cast.patient)
    penicillins(alice, cast.patient)
    do_record_allergy(
        alice,
        cast.patient.pk,
        AllergyData(type="intolerance", category="food", substance="Lactose", onset="12/03/2020"),
    )
    response = client_for(cast.alice.user).get(page(cast.patient))
    assert response.status_code == 200
    rows = response.context["rows"]
    assert rows[0].substance == "Pénicillines"  # high criticality first
    onsets = {r.substance: r.onset for r in rows}
    assert onsets == {"Pénicillines": "mars 2019", "Arachide": "2015", "Lactose": "12/03/2020"}
    body = text(response)
    assert "Urticaire géante (sévère)" in body
    assert "Élevée" in body and "Confirmée" in body and "Intolérance" in body
    # Then newest recorded first within a criticality.
    assert strip(response) == "Allergies : Pénicillines (élevée), Lactose, Arachide"


def test_inactive_and_refuted_are_behind_a_link_and_errors_never_shown(cast):
    alice = cast.actor("alice")
    peanut(alice, cast.patient)
    penicillins(alice, cast.patient, verification_status="refuted", criticality="")
    peanut(
        alice,
        cast.patient,
        substance="Pollen de bouleau",
        category="environment",
        clinical_status="resolved",
    )
    wrong = peanut(alice, cast.patient, substance="Kiwi")
    do_mark_allergy_entered_in_error(alice, wrong.pk, "Mauvais dossier")
    client = client_for(cast.alice.user)
    default = client.get(page(cast.patient))
    assert [r.substance for r in default.context["rows"]] == ["Arachide"]
    assert "Voir aussi les inactives" in text(default)
    everything = client.get(page(cast.patient) + "?inactives=1")
    shown = [r.substance for r in everything.context["rows"]]
    assert shown[0] == "Arachide"
    assert set(shown) == {"Arachide", "Pénicillines", "Pollen de bouleau"}
    assert "Kiwi" not in text(everything)
    assert "Résolue" in text(everything) and "Réfutée" in text(everything)
    # The banner shows only what applies now, on both.
    assert strip(everything) == strip(default) == "Allergies : Arachide"


def test_the_banner_says_no_known_allergy_only_when_none_is_recorded(cast):
    client = client_for(cast.alice.user)
    assert strip(client.get(page(cast.patient))) == "Aucune allergie connue"
    assert strip(client.get(reverse("clinical:vital_signs", args=[cast.patient.pk]))) == (
        "Aucune allergie connue"
    )
    penicillins(cast.actor("alice"), cast.patient)
    shown = client.get(reverse("clinical:vital_signs", args=[cast.patient.pk]))
    assert strip(shown) == "Allergies : Pénicillines (élevée)"
    assert 'class="allergy high"' in text(shown)


def test_a_failed_lookup_is_shown_as_an_error_never_as_no_allergy(cast, monkeypatch):
    from hygie.clinical import queries

    def broken(patient_id):
        raise DatabaseError("connection lost")

    monkeypatch.setattr(queries, "active_allergies_of", broken)
    response = client_for(cast.alice.user).get(
        reverse("clinical:vital_signs", args=[cast.patient.pk])
    )
    assert response.status_code == 200
    assert "Aucune allergie connue" not in text(response)
    assert "n'a pas pu être lue" in strip(response)
    assert 'role="alert"' in text(response)


def test_each_page_view_writes_one_clinical_read(cast):
    alice = cast.actor("alice")
    allergy = penicillins(alice, cast.patient)
    do_update_allergy(
        alice,
        allergy.pk,
        AllergyData(
            type="allergy",
            category="medication",
            substance="Pénicillines",
            atc_code="J01C",
            criticality="high",
            verification_status="confirmed",
        ),
        expected_version=1,
    )
    record(alice, cast.patient.pk, weight="72")
    client = client_for(cast.alice.user)
    for url in (
        page(cast.patient),
        page(cast.patient) + "?inactives=1",
        reverse("clinical:vital_signs", args=[cast.patient.pk]),
        edit_page(cast.patient, allergy),
        error_page(cast.patient, allergy),
        history_page(cast.patient, allergy),
    ):
        before = last_event_id()
        assert client.get(url).status_code == 200, url
        assert clinical_reads(before) == 1, url


# --- Recording ---------------------------------------------------------------------


def test_recording_an_allergy_redirects_with_a_message_and_shows_it_in_red(cast):
    client = client_for(cast.alice.user)
    before = last_event_id()
    response = client.post(
        page(cast.patient),
        form(
            substance="Pénicillines",
            atc_code="j01 c",
            type="allergy",
            category="medication",
            criticality="high",
            onset="2019",
            reaction_1_manifestation="Œdème de Quincke",
            reaction_1_severity="severe",
            note="Après amoxicilline en 2019.",
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == page(cast.patient)
    allergy = AllergyIntolerance.objects.get()
    assert (allergy.atc_code, allergy.criticality, allergy.onset_precision) == (
        "J01C",
        "high",
        "year",
    )
    assert allergy.reactions == [{"manifestation": "Œdème de Quincke", "severity": "severe"}]
    types = [e.event_type for e in events_after(before)]
    assert types.count(AuditEventType.CLINICAL_WRITE) == 1
    shown = client.get(response["Location"])
    assert "Allergie ou intolérance enregistrée." in text(shown)
    assert strip(shown) == "Allergies : Pénicillines (élevée)"


def test_errors_are_shown_per_field_in_french_and_nothing_is_written(cast):
    response = client_for(cast.alice.user).post(
        page(cast.patient),
        form(
            atc_code="ZZ9",
            category="food",
            onset="31/02/2019",
            reaction_2_severity="severe",
        ),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) >= {"type", "atc_code", "onset"}
    body = text(response)
    assert "Indiquez s'il s'agit d'une allergie ou d'une intolérance." in body
    assert "n'est pas un code ATC" in body
    assert "n'est pas une date" in body
    assert "Réaction 1 : décrivez la manifestation." in body
    assert "Rien n'a été enregistré" in body
    assert 'aria-invalid="true"' in body
    assert 'value="ZZ9"' in body  # what was typed is kept
    assert not AllergyIntolerance.objects.exists()


def test_an_atc_code_on_a_food_and_a_future_onset_are_refused(cast):
    response = client_for(cast.alice.user).post(
        page(cast.patient),
        form(substance="Arachide", atc_code="J01C", type="allergy", category="food", onset="2999"),
    )
    body = text(response)
    assert "Un code ATC désigne un médicament" in body
    assert "Le début est dans le futur." in body
    assert not AllergyIntolerance.objects.exists()


# --- Correcting, with the version ---------------------------------------------------


def test_an_edit_shows_the_stored_values_and_saves_a_new_version(cast):
    allergy = penicillins(cast.actor("alice"), cast.patient)
    client = client_for(cast.alice.user)
    shown = client.get(edit_page(cast.patient, allergy))
    assert shown.status_code == 200
    body = text(shown)
    assert 'value="Pénicillines"' in body and 'value="03/2019"' in body
    assert 'name="version" value="1"' in body
    saved = client.post(
        edit_page(cast.patient, allergy), edit_form(allergy, criticality="low", onset="2018")
    )
    assert saved.status_code == 302
    allergy.refresh_from_db()
    assert (allergy.version, allergy.criticality, allergy.onset_fhir) == (2, "low", "2018")
    assert AllergyIntoleranceVersion.objects.filter(allergy_id=allergy.pk, version=1).exists()


def test_a_concurrent_edit_is_refused_and_the_current_values_shown(cast):
    alice = cast.actor("alice")
    allergy = penicillins(alice, cast.patient)
    client = client_for(cast.alice.user)
    shown_version = edit_form(allergy, criticality="low")  # Alice's form, made on version 1
    # Meanwhile, another change lands (a second tab, or a colleague).
    do_update_allergy(
        alice,
        allergy.pk,
        AllergyData(
            type="allergy",
            category="medication",
            substance="Pénicillines",
            atc_code="J01C",
            criticality="high",
            verification_status="confirmed",
            onset="2017",
            reactions=[ReactionData("Urticaire géante", "severe")],
        ),
        expected_version=1,
    )
    before = last_event_id()
    response = client.post(edit_page(cast.patient, allergy), shown_version)
    assert response.status_code == 200
    body = text(response)
    assert "a été modifiée entre-temps" in body and "rien n'a été enregistré" in body
    assert 'name="version" value="2"' in body  # the form now carries the current version
    assert 'value="2017"' in body  # and the current values
    assert AuditEventType.CLINICAL_WRITE not in [e.event_type for e in events_after(before)]
    allergy.refresh_from_db()
    assert (allergy.version, allergy.criticality) == (2, "high")


def test_an_edit_with_errors_keeps_what_was_typed_and_writes_nothing(cast):
    allergy = penicillins(cast.actor("alice"), cast.patient)
    response = client_for(cast.alice.user).post(
        edit_page(cast.patient, allergy),
        edit_form(allergy, onset="demain", substance="", atc_code=""),
    )
    assert response.status_code == 200
    body = text(response)
    assert "Indiquez la substance, en texte ou par son code ATC." in body
    assert 'value="demain"' in body
    allergy.refresh_from_db()
    assert allergy.version == 1


# --- Entered in error and history ---------------------------------------------------


def test_marking_an_allergy_in_error_needs_a_reason_and_hides_it(cast):
    allergy = penicillins(cast.actor("alice"), cast.patient)
    client = client_for(cast.alice.user)
    confirm_page = client.get(error_page(cast.patient, allergy))
    assert confirm_page.status_code == 200
    assert "Pénicillines" in text(confirm_page)
    short = client.post(error_page(cast.patient, allergy), {"reason": "x", "version": "1"})
    assert "5 caractères" in text(short)
    assert AllergyIntolerance.objects.get().verification_status == Verification.CONFIRMED
    done = client.post(
        error_page(cast.patient, allergy), {"reason": "Mauvais dossier", "version": "1"}
    )
    assert done.status_code == 302
    allergy.refresh_from_db()
    assert allergy.verification_status == Verification.ENTERED_IN_ERROR
    after = client.get(page(cast.patient))
    assert not after.context["rows"]
    assert strip(after) == "Aucune allergie connue"
    assert "saisie par erreur" in text(after)
    # Its edit and error pages send back to the list; its history stays readable.
    assert client.get(edit_page(cast.patient, allergy)).status_code == 302
    assert client.get(error_page(cast.patient, allergy)).status_code == 302
    assert "Mauvais dossier" in text(client.get(history_page(cast.patient, allergy)))


def test_marking_in_error_a_changed_allergy_is_a_conflict(cast):
    alice = cast.actor("alice")
    allergy = penicillins(alice, cast.patient)
    do_update_allergy(
        alice,
        allergy.pk,
        AllergyData(
            type="allergy",
            category="medication",
            substance="Pénicillines",
            criticality="low",
            verification_status="confirmed",
        ),
        expected_version=1,
    )
    response = client_for(cast.alice.user).post(
        error_page(cast.patient, allergy), {"reason": "Mauvais dossier", "version": "1"}
    )
    assert response.status_code == 200
    assert "a été modifiée entre-temps" in text(response)
    assert 'name="version" value="2"' in text(response)
    allergy.refresh_from_db()
    assert allergy.verification_status == Verification.CONFIRMED


def test_the_history_says_who_when_and_what_changed(cast):
    alice = cast.actor("alice")
    allergy = penicillins(alice, cast.patient)
    do_break_glass(actor_of(cast.bob), cast.patient, "Réaction au cabinet, médecin absent")
    do_update_allergy(
        actor_of(cast.bob),
        allergy.pk,
        AllergyData(
            type="allergy",
            category="medication",
            substance="Pénicillines",
            atc_code="J01C",
            criticality="low",
            verification_status="confirmed",
            onset="03/2019",
            reactions=[ReactionData("Urticaire géante", "severe")],
        ),
        expected_version=1,
    )
    response = client_for(cast.alice.user).get(history_page(cast.patient, allergy))
    assert response.status_code == 200
    versions = response.context["versions"]
    assert [v.allergy.version for v in versions] == [2, 1]
    assert [(c.label, c.before, c.after) for c in versions[0].changes] == [
        ("Criticité", "Élevée", "Faible")
    ]
    assert versions[0].author == "Bob BERGER" and versions[1].author == "Alice AUBERT"
    body = text(response)
    assert "mars 2019" in body and "Urticaire géante (sévère)" in body


def test_an_allergy_of_another_patient_is_a_404_under_this_one(cast):
    child = child_of_alice(cast, dt.date(2020, 5, 1))
    allergy = peanut(cast.actor("alice"), child, onset="")
    client = client_for(cast.alice.user)
    for url in (
        edit_page(cast.patient, allergy),
        error_page(cast.patient, allergy),
        history_page(cast.patient, allergy),
    ):
        assert client.get(url).status_code == 404
    assert (
        client.post(
            edit_page(cast.patient, allergy), edit_form(allergy, criticality="high")
        ).status_code
        == 404
    )
    assert (
        client.post(
            error_page(cast.patient, allergy), {"reason": "Mauvais dossier", "version": "1"}
        ).status_code
        == 404
    )
    allergy.refresh_from_db()
    assert (allergy.version, allergy.verification_status) == (1, Verification.UNCONFIRMED)


# --- The rest of the cast ----------------------------------------------------------


def _untouched(allergy: AllergyIntolerance) -> None:
    assert list(AllergyIntolerance.objects.values_list("pk", "version", "verification_status")) == [
        (allergy.pk, 1, Verification.CONFIRMED)
    ]


def test_a_colleague_without_care_relationship_is_offered_the_break_glass(cast):
    allergy = penicillins(cast.actor("alice"), cast.patient)
    client = client_for(cast.bob.user)
    before = last_event_id()
    response = client.get(page(cast.patient))
    assert response.status_code == 403
    body = text(response)
    assert reverse("patients:break_glass", args=[cast.patient.pk]) in body
    assert "Pénicillines" not in body
    assert "Aucune allergie connue" not in body
    assert "dossier médical ne vous est pas ouvert" in strip(response)
    assert (
        client.post(
            page(cast.patient), form(substance="Latex", type="allergy", category="environment")
        ).status_code
        == 403
    )
    # The pages of one allergy: the same 404 as for any id.
    for url in (
        edit_page(cast.patient, allergy),
        error_page(cast.patient, allergy),
        history_page(cast.patient, allergy),
    ):
        assert client.get(url).status_code == 404
    assert (
        client.post(
            edit_page(cast.patient, allergy), edit_form(allergy, criticality="low")
        ).status_code
        == 404
    )
    assert (
        client.post(
            error_page(cast.patient, allergy), {"reason": "Mauvais dossier", "version": "1"}
        ).status_code
        == 404
    )
    _untouched(allergy)
    types = [e.event_type for e in events_after(before)]
    assert AuditEventType.ACCESS_DENIED in types
    assert AuditEventType.CLINICAL_READ not in types and AuditEventType.CLINICAL_WRITE not in types


def test_a_colleague_who_broke_the_glass_records_an_allergy(cast, mailoutbox):
    do_break_glass(actor_of(cast.bob), cast.patient, "Malaise au cabinet, médecin absent")
    client = client_for(cast.bob.user)
    assert client.get(page(cast.patient)).status_code == 200
    posted = client.post(
        page(cast.patient), form(substance="Latex", type="allergy", category="environment")
    )
    assert posted.status_code == 302
    assert AllergyIntolerance.objects.get().recorded_by == cast.bob


def test_the_assistant_is_refused_the_allergies_without_break_glass(cast):
    allergy = penicillins(cast.actor("alice"), cast.patient)
    client = client_for(cast.denise.user)
    response = client.get(page(cast.patient))
    assert response.status_code == 403
    body = text(response)
    assert "Votre rôle ne donne pas accès" in body
    assert reverse("patients:break_glass", args=[cast.patient.pk]) not in body
    assert "Pénicillines" not in body
    assert (
        client.post(
            page(cast.patient), form(substance="Latex", type="allergy", category="environment")
        ).status_code
        == 403
    )
    for url in (
        edit_page(cast.patient, allergy),
        error_page(cast.patient, allergy),
        history_page(cast.patient, allergy),
    ):
        assert client.get(url).status_code == 404
    assert (
        client.post(
            error_page(cast.patient, allergy), {"reason": "Mauvais dossier", "version": "1"}
        ).status_code
        == 404
    )
    assert (
        client.post(
            edit_page(cast.patient, allergy), edit_form(allergy, criticality="low")
        ).status_code
        == 404
    )
    _untouched(allergy)


@pytest.mark.parametrize("name", ["carla", "ernest"])
def test_another_practice_or_the_office_manager_gets_a_404(cast, name):
    allergy = penicillins(cast.actor("alice"), cast.patient)
    client = client_for(getattr(cast, name).user)
    assert client.get(page(cast.patient)).status_code == 404
    assert (
        client.post(
            page(cast.patient), form(substance="Latex", type="allergy", category="environment")
        ).status_code
        == 404
    )
    assert client.get(reverse("clinical:allergies", args=[uuid.uuid4()])).status_code == 404
    for url in (
        edit_page(cast.patient, allergy),
        error_page(cast.patient, allergy),
        history_page(cast.patient, allergy),
    ):
        assert client.get(url).status_code == 404
    assert (
        client.post(
            edit_page(cast.patient, allergy), edit_form(allergy, criticality="low")
        ).status_code
        == 404
    )
    assert (
        client.post(
            error_page(cast.patient, allergy), {"reason": "Mauvais dossier", "version": "1"}
        ).status_code
        == 404
    )
    _untouched(allergy)


def test_a_departed_doctor_is_sent_to_choose_a_practice_and_writes_nothing(cast):
    allergy = penicillins(cast.actor("alice"), cast.patient)
    client = client_for(cast.damien.user)
    for response in (
        client.get(page(cast.patient)),
        client.post(
            page(cast.patient), form(substance="Latex", type="allergy", category="environment")
        ),
        client.get(edit_page(cast.patient, allergy)),
        client.post(edit_page(cast.patient, allergy), edit_form(allergy, criticality="low")),
        client.post(
            error_page(cast.patient, allergy), {"reason": "Mauvais dossier", "version": "1"}
        ),
        client.get(history_page(cast.patient, allergy)),
    ):
        assert response.status_code == 302
        assert response["Location"] == reverse("practices:switch")
    _untouched(allergy)


def test_an_anonymous_visitor_is_sent_to_login(cast):
    response = Client().get(page(cast.patient))
    assert response.status_code == 302
    assert "/comptes/login/" in response["Location"]


# --- Cost ----------------------------------------------------------------------------


@pytest.mark.parametrize("count", [2, 12])
def test_the_page_query_count_stays_flat(cast, count, django_assert_max_num_queries):
    alice = cast.actor("alice")
    for n in range(count):
        peanut(
            alice, cast.patient, substance=f"Aliment {n}", criticality="high" if n % 2 else "low"
        )
    client = client_for(cast.alice.user)
    client.get(page(cast.patient))
    # Session, user, tracked session, MFA, membership; the identity's read
    # (patient, policy, audit) and the record's (the same, plus the one list,
    # which also gives the banner): as the vital signs page, whatever the count.
    with django_assert_max_num_queries(17):
        response = client.get(page(cast.patient) + "?inactives=1")
    assert len(response.context["rows"]) == count
