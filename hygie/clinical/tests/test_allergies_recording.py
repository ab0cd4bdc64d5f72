"""What do_record_allergy accepts and refuses, and what the lists, the banner and
the drug match show. Every refusal leaves the record and the log as they were."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from hygie.clinical.access import access_active_allergies, access_allergies
from hygie.clinical.actions import (
    AllergyData,
    ReactionData,
    do_mark_allergy_entered_in_error,
    do_record_allergy,
)
from hygie.clinical.actions.checks import parse_onset
from hygie.clinical.enums import DatePrecision
from hygie.clinical.models import AllergyIntolerance, is_atc, normalize_atc

from .vital_signs_support import events_after, last_event_id

pytestmark = pytest.mark.django_db


def data(**overrides: Any) -> AllergyData:
    values: dict[str, Any] = {
        "type": "allergy",
        "category": "medication",
        "substance": "Amoxicilline",
        "verification_status": "confirmed",
    }
    values.update(overrides)
    return AllergyData(**values)


def refusal(excinfo: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[tuple[str, str]]]:
    """{field: [(code, message), ...]} of a ValidationError raised by the action."""
    return {
        field: [(e.code or "", " ".join(e.messages)) for e in errors]
        for field, errors in excinfo.value.error_dict.items()
    }


def test_every_error_is_reported_at_once_and_nothing_is_written(cast):
    before = last_event_id()
    with pytest.raises(ValidationError) as raised:
        do_record_allergy(
            cast.actor("alice"),
            cast.patient.pk,
            AllergyData(
                type="",
                category="food",
                substance="",
                atc_code="J1",
                criticality="very-high",
                clinical_status="",
                onset="2099",
                reactions=(ReactionData("", "severe"), ReactionData("Œdème", "terrible")),
                note="x" * 2001,
            ),
        )
    assert refusal(raised) == {
        "type": [("required", "Indiquez s'il s'agit d'une allergie ou d'une intolérance.")],
        "criticality": [("invalid", "« very-high » n'est pas une valeur possible.")],
        "clinical_status": [
            ("required", "Indiquez si l'allergie est active, inactive ou résolue.")
        ],
        "atc_code": [
            (
                "invalid",
                "« J1 » n'est pas un code ATC : une lettre, 2 chiffres, 2 lettres et 2 "
                "chiffres, ou le début d'un tel code (par exemple J01C pour les pénicillines, "
                "J01CA04 pour l'amoxicilline).",
            )
        ],
        "onset": [("future", "Le début est dans le futur.")],
        "reactions": [
            ("required", "Réaction 1 : décrivez la manifestation."),
            ("invalid", "Réaction 2 : « terrible » n'est pas une valeur possible."),
        ],
        "note": [("too-long", "La note tient en 2000 caractères au plus.")],
    }
    assert not AllergyIntolerance.objects.exists()
    assert events_after(before) == []


def test_a_substance_is_needed_as_text_or_as_a_code(cast):
    with pytest.raises(ValidationError) as raised:
        do_record_allergy(cast.actor("alice"), cast.patient.pk, data(substance="   ", atc_code=" "))
    assert refusal(raised) == {
        "substance": [("required", "Indiquez la substance, en texte ou par son code ATC.")]
    }
    with pytest.raises(ValidationError) as raised:
        do_record_allergy(cast.actor("alice"), cast.patient.pk, data(substance="a" * 201))
    assert refusal(raised) == {
        "substance": [("too-long", "La substance tient en 200 caractères au plus.")]
    }
    assert not AllergyIntolerance.objects.exists()


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("J", "J"),  # anatomical group
        ("J01", "J01"),  # therapeutic subgroup
        ("j01c", "J01C"),  # pharmacological subgroup: the penicillins
        ("J01CA", "J01CA"),  # chemical subgroup
        (" J01 CA04 ", "J01CA04"),  # the substance: amoxicillin
    ],
)
def test_an_atc_code_of_any_level_is_accepted_and_normalized(cast, typed, stored):
    allergy = do_record_allergy(
        cast.actor("alice"), cast.patient.pk, data(substance="", atc_code=typed)
    )
    assert AllergyIntolerance.objects.get(pk=allergy.pk).atc_code == stored
    assert allergy.substance_text is None


@pytest.mark.parametrize(
    "code", ["J0", "J01C4", "J01CA0", "J01CA045", "E01", "101CA04", "J01-CA04", "JO1C"]
)
def test_a_code_without_the_atc_shape_is_refused(code):
    assert not is_atc(normalize_atc(code))


def test_an_atc_code_names_a_drug_or_a_biologic_not_a_food(cast):
    alice = cast.actor("alice")
    with pytest.raises(ValidationError) as raised:
        do_record_allergy(alice, cast.patient.pk, data(category="food", atc_code="J01C"))
    assert refusal(raised) == {
        "category": [
            (
                "atc-category",
                "Un code ATC désigne un médicament ou un produit biologique : "
                "choisissez l'une de ces catégories.",
            )
        ]
    }
    # Vaccines are in the ATC classification (J07) and are biologics.
    do_record_allergy(alice, cast.patient.pk, data(category="biologic", atc_code="J07BB"))


def test_entered_in_error_cannot_be_typed_it_needs_a_reason(cast):
    with pytest.raises(ValidationError) as raised:
        do_record_allergy(
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


@pytest.mark.parametrize(
    ("typed", "day", "precision"),
    [
        ("2015", dt.date(2015, 1, 1), DatePrecision.YEAR),
        ("03/2015", dt.date(2015, 3, 1), DatePrecision.MONTH),
        ("3/2015", dt.date(2015, 3, 1), DatePrecision.MONTH),
        ("2015-03", dt.date(2015, 3, 1), DatePrecision.MONTH),
        ("12/03/2015", dt.date(2015, 3, 12), DatePrecision.DAY),
        ("2015-03-12", dt.date(2015, 3, 12), DatePrecision.DAY),
    ],
)
def test_an_onset_may_be_a_year_a_month_or_a_day(typed, day, precision):
    assert parse_onset(typed) == (day, precision)


@pytest.mark.parametrize("typed", ["31/02/2015", "13/2015", "15", "mars 2015", "2015/03/12"])
def test_an_onset_that_is_no_date_is_refused(cast, typed):
    assert parse_onset(typed) is None
    with pytest.raises(ValidationError) as raised:
        do_record_allergy(cast.actor("alice"), cast.patient.pk, data(onset=typed))
    [(code, message)] = refusal(raised)["onset"]
    assert code == "invalid"
    assert message.startswith(f"« {typed} » n'est pas une date")


def test_an_onset_is_compared_with_birth_at_its_own_precision(cast):
    # The patient was born on 12 March 1984.
    alice = cast.actor("alice")
    for same_period in ("1984", "03/1984"):
        allergy = do_record_allergy(alice, cast.patient.pk, data(onset=same_period))
        assert allergy.onset_fhir == ("1984" if same_period == "1984" else "1984-03")
    with pytest.raises(ValidationError) as raised:
        do_record_allergy(alice, cast.patient.pk, data(onset="11/03/1984"))
    assert refusal(raised)["onset"] == [("before-birth", "Le début précède la date de naissance.")]


def test_the_database_keeps_the_fhir_rules_on_statuses_and_onset(cast):
    allergy = do_record_allergy(cast.actor("alice"), cast.patient.pk, data(onset="2015"))
    allergy.clinical_status = ""  # ait-1: needed unless entered in error
    with pytest.raises(IntegrityError), transaction.atomic():
        allergy.save()
    allergy.refresh_from_db()
    allergy.onset_precision = ""  # a date without its precision means nothing
    with pytest.raises(IntegrityError), transaction.atomic():
        allergy.save()


def test_empty_reaction_rows_are_ignored_and_severity_is_optional(cast):
    allergy = do_record_allergy(
        cast.actor("alice"),
        cast.patient.pk,
        data(
            reactions=(
                ReactionData("  Urticaire   généralisée ", "moderate"),
                ReactionData("", ""),
                ReactionData("Prurit", ""),
            )
        ),
    )
    assert AllergyIntolerance.objects.get(pk=allergy.pk).reactions == [
        {"manifestation": "Urticaire généralisée", "severity": "moderate"},
        {"manifestation": "Prurit", "severity": ""},
    ]


def test_a_penicillin_allergy_flags_amoxicillin_and_not_a_macrolide(cast):
    alice = cast.actor("alice")
    do_record_allergy(alice, cast.patient.pk, data(substance="Pénicillines", atc_code="J01C"))
    do_record_allergy(alice, cast.patient.pk, data(category="food", substance="Arachide"))
    banner = access_active_allergies(alice, cast.patient.pk)

    def flagged(drug_atc: str) -> list[str]:
        return [a.substance_text for a in banner if a.flags(drug_atc)]

    assert flagged("J01CA04") == ["Pénicillines"]  # amoxicillin
    assert flagged("j01cr02") == ["Pénicillines"]  # amoxicillin and clavulanic acid
    assert flagged("J01FA10") == []  # azithromycin, a macrolide
    assert flagged("J01") == []  # a class wider than the allergy's is no match


def test_the_banner_shows_active_allergies_high_criticality_first(cast):
    alice = cast.actor("alice")

    def record(substance: str, **overrides: Any) -> AllergyIntolerance:
        return do_record_allergy(
            alice, cast.patient.pk, data(category="food", substance=substance, **overrides)
        )

    low = record("Lactose", type="intolerance", criticality="low")
    unknown = record("Kiwi")
    high = record("Arachide", criticality="high")
    record("Fraise", clinical_status="resolved")
    record("Noisette", clinical_status="inactive")
    record("Gluten", verification_status="refuted")
    wrong = record("Céleri", criticality="high")
    do_mark_allergy_entered_in_error(alice, wrong.pk, "Mauvais patient")

    banner = access_active_allergies(alice, cast.patient.pk)
    assert [a.pk for a in banner] == [high.pk, unknown.pk, low.pk]
    assert [a.pk for a in access_allergies(alice, cast.patient.pk)] == [a.pk for a in banner]


def test_the_full_list_adds_inactive_resolved_and_refuted_then_errors_when_asked(cast):
    alice = cast.actor("alice")

    def record(substance: str, **overrides: Any) -> AllergyIntolerance:
        return do_record_allergy(
            alice, cast.patient.pk, data(category="food", substance=substance, **overrides)
        )

    resolved = record("Fraise", clinical_status="resolved")
    refuted = record("Gluten", verification_status="refuted")
    active = record("Arachide")
    inactive = record("Noisette", clinical_status="inactive")
    wrong = record("Céleri")
    do_mark_allergy_entered_in_error(alice, wrong.pk, "Mauvais patient")

    listed = access_allergies(alice, cast.patient.pk, include_inactive=True)
    # Active first (the refuted one after the believed one), then inactive, resolved.
    assert [a.pk for a in listed] == [active.pk, refuted.pk, inactive.pk, resolved.pk]
    everything = access_allergies(
        alice, cast.patient.pk, include_inactive=True, include_entered_in_error=True
    )
    assert [a.pk for a in everything] == [*(a.pk for a in listed), wrong.pk]
