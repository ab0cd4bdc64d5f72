"""What do_record_condition accepts and refuses (CIM-10 codes checked against the
real list, free text, partial dates), and what the lists and the banner show.
Every refusal leaves the record and the log as they were."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from hygie.clinical.access import access_active_problems, access_conditions
from hygie.clinical.actions import (
    ConditionData,
    do_mark_condition_entered_in_error,
    do_record_condition,
)
from hygie.clinical.enums import ConditionKind
from hygie.clinical.models import Condition

# The real CIM-10, loaded once for this module (a fixture: pytest finds it by name).
from hygie.terminology.tests.conftest import cim10  # noqa: F401

from .vital_signs_support import events_after, last_event_id

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("cim10")]


def data(**overrides: Any) -> ConditionData:
    values: dict[str, Any] = {"code": "I10", "verification_status": "confirmed"}
    values.update(overrides)
    return ConditionData(**values)


def refusal(excinfo: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[tuple[str, str]]]:
    """{field: [(code, message), ...]} of a ValidationError raised by the action."""
    return {
        field: [(e.code or "", " ".join(e.messages)) for e in errors]
        for field, errors in excinfo.value.error_dict.items()
    }


def test_every_error_is_reported_at_once_and_nothing_is_written(cast):
    before = last_event_id()
    with pytest.raises(ValidationError) as raised:
        do_record_condition(
            cast.actor("alice"),
            cast.patient.pk,
            ConditionData(
                category="diagnosis",
                kind="",
                code="U99.9",
                text="x" * 501,
                clinical_status="active",
                verification_status="certain",
                severity="grave",
                onset="2099",
                abatement="31/02/2020",
                note="x" * 2001,
            ),
        )
    assert refusal(raised) == {
        "category": [("invalid", "« diagnosis » n'est pas une valeur possible.")],
        "kind": [
            (
                "required",
                "Indiquez le type d'antécédent : médical, chirurgical ou obstétrical.",
            )
        ],
        "severity": [("invalid", "« grave » n'est pas une valeur possible.")],
        "verification_status": [("invalid", "« certain » n'est pas une valeur possible.")],
        "text": [("too-long", "Le libellé tient en 500 caractères au plus.")],
        "code": [("unknown-code", "Code CIM-10 inconnu : « U99.9 » ; cherchez-le par son libellé")],
        "onset": [("future", "Le début est dans le futur.")],
        "abatement": [
            (
                "invalid",
                "« 31/02/2020 » n'est pas une date : saisissez une année (2019), un mois "
                "(03/2019) ou une date (12/03/2019).",
            )
        ],
        "note": [("too-long", "La note tient en 2000 caractères au plus.")],
    }
    assert not Condition.objects.exists()
    assert events_after(before) == []


@pytest.mark.parametrize(("typed", "code"), [("E11.98", "E11.98"), (" e1198 ", "E11.98")])
def test_a_cim10_code_is_stored_with_its_dot_and_its_label(cast, typed, code):
    condition = do_record_condition(cast.actor("alice"), cast.patient.pk, data(code=typed))
    stored = Condition.objects.get(pk=condition.pk)
    assert stored.code == code
    assert stored.code_label == (
        "Diabète sucré de type 2 non insulinotraité ou sans précision, sans complication"
    )
    assert stored.text is None
    assert stored.label == stored.code_label


def test_a_withdrawn_code_is_refused_with_the_year(cast):
    with pytest.raises(ValidationError) as raised:
        do_record_condition(cast.actor("alice"), cast.patient.pk, data(code="A90"))
    assert refusal(raised) == {
        "code": [
            (
                "withdrawn-code",
                "Le code CIM-10 « A90 » a été supprimé en 2017 : cherchez le code actuel "
                "par son libellé.",
            )
        ]
    }
    assert not Condition.objects.exists()


@pytest.mark.parametrize(
    ("typed", "shown"), [("E11", "E11 » (Diabète sucré de type 2)"), ("e11.9", "E11.9 » (")]
)
def test_a_subdivided_code_is_refused_a_subdivision_is_asked(cast, typed, shown):
    with pytest.raises(ValidationError) as raised:
        do_record_condition(cast.actor("alice"), cast.patient.pk, data(code=typed))
    [(code, message)] = refusal(raised)["code"]
    assert code == "not-selectable"
    assert f"Le code CIM-10 « {shown}" in message
    assert message.endswith("est subdivisé : choisissez l'une de ses subdivisions, plus précise.")
    assert not Condition.objects.exists()


def test_free_text_alone_or_beside_a_code_is_kept_and_one_of_them_is_needed(cast):
    alice = cast.actor("alice")
    typed = do_record_condition(
        alice, cast.patient.pk, data(code="", text="  Lombalgies   chroniques ")
    )
    assert (typed.code, typed.code_label, typed.text) == (None, None, "Lombalgies chroniques")
    both = do_record_condition(
        alice, cast.patient.pk, data(code="J45.9", text="Asthme d'effort depuis l'enfance")
    )
    assert (both.code, both.label) == ("J45.9", "Asthme d'effort depuis l'enfance")
    with pytest.raises(ValidationError) as raised:
        do_record_condition(alice, cast.patient.pk, data(code=" ", text="  "))
    assert refusal(raised) == {
        "text": [
            (
                "required",
                "Indiquez le problème ou l'antécédent, en texte ou par son code CIM-10.",
            )
        ]
    }
    assert Condition.objects.count() == 2


def test_entered_in_error_cannot_be_typed_it_needs_a_reason(cast):
    with pytest.raises(ValidationError) as raised:
        do_record_condition(
            cast.actor("alice"), cast.patient.pk, data(verification_status="entered-in-error")
        )
    assert refusal(raised) == {
        "verification_status": [
            (
                "refused",
                "Une saisie par erreur se signale par l'action dédiée, qui demande un motif.",
            )
        ]
    }


def test_onset_and_abatement_are_partial_dates_of_the_patients_life(cast):
    # The patient was born on 12 March 1984.
    alice = cast.actor("alice")
    condition = do_record_condition(
        alice,
        cast.patient.pk,
        data(
            code="K35.8",
            kind="surgical",
            clinical_status="resolved",
            onset="03/1984",
            abatement="1984",
        ),
    )
    assert (condition.onset, condition.onset_fhir) == (dt.date(1984, 3, 1), "1984-03")
    assert (condition.abatement, condition.abatement_fhir) == (dt.date(1984, 1, 1), "1984")
    with pytest.raises(ValidationError) as raised:
        do_record_condition(
            alice,
            cast.patient.pk,
            data(clinical_status="resolved", onset="11/03/1984", abatement="2099-01"),
        )
    assert refusal(raised) == {
        "onset": [("before-birth", "Le début précède la date de naissance.")],
        "abatement": [("future", "La résolution est dans le futur.")],
    }


def test_an_abatement_before_the_onset_is_refused_at_the_coarser_precision(cast):
    alice = cast.actor("alice")
    with pytest.raises(ValidationError) as raised:
        do_record_condition(
            alice,
            cast.patient.pk,
            data(clinical_status="resolved", onset="06/2015", abatement="2014"),
        )
    assert refusal(raised) == {"abatement": [("before-onset", "La résolution précède le début.")]}
    # "2015" may be any day of 2015, June included: not before.
    do_record_condition(
        alice,
        cast.patient.pk,
        data(clinical_status="resolved", onset="12/06/2015", abatement="2015"),
    )


@pytest.mark.parametrize("status", ["active", "recurrence", "relapse"])
def test_an_ongoing_problem_has_no_abatement(cast, status):
    with pytest.raises(ValidationError) as raised:
        do_record_condition(
            cast.actor("alice"),
            cast.patient.pk,
            data(clinical_status=status, onset="2015", abatement="2016"),
        )
    assert refusal(raised) == {
        "clinical_status": [
            (
                "abated",
                "Une date de résolution va avec un statut inactif, en rémission ou résolu, "
                "pas avec un problème encore actif.",
            )
        ]
    }


def test_the_database_keeps_the_fhir_rules_on_statuses_and_dates(cast):
    condition = do_record_condition(
        cast.actor("alice"),
        cast.patient.pk,
        data(clinical_status="resolved", onset="2015", abatement="2016"),
    )
    for field, value in (
        ("clinical_status", ""),  # con-3: needed unless entered in error
        ("clinical_status", "active"),  # con-4: an abated problem is not active
        ("onset_precision", ""),  # a date without its precision means nothing
        ("abatement_precision", ""),
    ):
        condition.refresh_from_db()
        setattr(condition, field, value)
        with pytest.raises(IntegrityError), transaction.atomic():
            condition.save()


def _record(cast: Any, text: str, **overrides: Any) -> Condition:
    return do_record_condition(cast.actor("alice"), cast.patient.pk, data(text=text, **overrides))


def test_the_banner_shows_the_ongoing_problem_list_newest_first(cast):
    alice = cast.actor("alice")
    hypertension = _record(cast, "HTA")
    relapse = _record(cast, "Dépression", code="F32.1", clinical_status="relapse")
    _record(cast, "Appendicectomie", code="K35.8", kind="surgical", clinical_status="resolved")
    _record(cast, "Asthme de l'enfance", code="J45.9", clinical_status="remission")
    _record(cast, "Diabète", code="E11.98", verification_status="refuted")
    _record(cast, "Bronchite", code="", category="encounter-diagnosis")
    wrong = _record(cast, "Erreur", code="C50.9")
    do_mark_condition_entered_in_error(alice, wrong.pk, "Mauvais patient")

    banner = access_active_problems(alice, cast.patient.pk)
    assert [c.pk for c in banner] == [relapse.pk, hypertension.pk]
    assert all(c.is_ongoing for c in banner)


def test_the_full_list_adds_the_past_and_refuted_then_errors_when_asked(cast):
    alice = cast.actor("alice")
    resolved = _record(cast, "Appendicectomie", kind="surgical", clinical_status="resolved")
    refuted = _record(cast, "Diabète", code="E11.98", verification_status="refuted")
    active = _record(cast, "HTA")
    remission = _record(cast, "Asthme", code="J45.9", clinical_status="remission")
    inactive = _record(
        cast, "Fausse couche", code="O03.9", kind="obstetric", clinical_status="inactive"
    )
    wrong = _record(cast, "Erreur")
    do_mark_condition_entered_in_error(alice, wrong.pk, "Mauvais patient")

    assert [c.pk for c in access_conditions(alice, cast.patient.pk)] == [active.pk]
    listed = access_conditions(alice, cast.patient.pk, include_inactive=True)
    assert [c.pk for c in listed] == [
        active.pk,
        refuted.pk,  # still "active", but refuted: after the believed one
        remission.pk,
        inactive.pk,
        resolved.pk,
    ]
    everything = access_conditions(
        alice, cast.patient.pk, include_inactive=True, include_entered_in_error=True
    )
    assert [c.pk for c in everything] == [*(c.pk for c in listed), wrong.pk]
    surgical = access_conditions(
        alice, cast.patient.pk, include_inactive=True, kind=ConditionKind.SURGICAL
    )
    assert [c.pk for c in surgical] == [resolved.pk]


def test_conditions_are_matched_by_code_in_python_the_code_being_encrypted(cast):
    alice = cast.actor("alice")
    diabetes = _record(cast, "", code="E11.98")
    _record(cast, "", code="I10")
    listed = access_conditions(alice, cast.patient.pk)
    assert [c.pk for c in listed if c.is_coded_under("E11")] == [diabetes.pk]
    assert [c.pk for c in listed if c.is_coded_under("e11.9")] == [diabetes.pk]
    assert [c.pk for c in listed if c.is_coded_under("E10")] == []
