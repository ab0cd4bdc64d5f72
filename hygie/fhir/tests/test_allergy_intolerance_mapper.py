"""AllergyIntolerance → FHIR R4 AllergyIntolerance: each state that changes the
output (statuses, partial onsets, ATC coding or text alone, criticality, reactions,
entered in error, previous versions), validated as R4B with Hygie's bindings and
the ait-1/ait-2 invariants."""

from __future__ import annotations

from typing import Any

import pytest

from hygie.clinical.access import access_allergy_history
from hygie.clinical.actions import (
    AllergyData,
    ReactionData,
    do_mark_allergy_entered_in_error,
    do_record_allergy,
    do_update_allergy,
)
from hygie.clinical.models import AllergyIntolerance
from hygie.fhir.mappers.allergy_intolerance import to_fhir
from hygie.fhir.validation import FhirValidationError, validate_resource
from hygie.practices.context import as_system

pytestmark = pytest.mark.django_db

CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
ATC = "http://www.whocc.no/atc"
ERREUR = "Allergie saisie dans le mauvais dossier"


def penicillins(**overrides: Any) -> AllergyData:
    values: dict[str, Any] = {
        "type": "allergy",
        "category": "medication",
        "substance": "Pénicillines",
        "atc_code": "J01C",
        "criticality": "high",
        "verification_status": "confirmed",
        "onset": "2015",
        "reactions": (ReactionData("Urticaire géante", "severe"),),
        "note": "Réaction sous amoxicilline en 2015",
    }
    values.update(overrides)
    return AllergyData(**values)


def mapped(allergy: AllergyIntolerance) -> dict[str, Any]:
    resource = to_fhir(allergy)
    validate_resource(resource, "AllergyIntolerance")
    return resource


def test_a_confirmed_drug_allergy_maps_every_element(cast):
    allergy = do_record_allergy(cast.actor("alice"), cast.patient.pk, penicillins())
    resource = mapped(allergy)
    assert resource["id"] == str(allergy.pk)
    assert resource["meta"] == {"versionId": "1"}
    assert "profile" not in resource["meta"]  # FR Core 2.2.0 has no such profile
    assert resource["clinicalStatus"] == {
        "coding": [{"system": CLINICAL, "code": "active", "display": "Active"}],
        "text": "Active",
    }
    assert resource["verificationStatus"] == {
        "coding": [{"system": VERIFICATION, "code": "confirmed", "display": "Confirmed"}],
        "text": "Confirmée",
    }
    assert resource["type"] == "allergy"
    assert resource["category"] == ["medication"]
    assert resource["criticality"] == "high"
    assert resource["code"] == {"coding": [{"system": ATC, "code": "J01C"}], "text": "Pénicillines"}
    assert resource["patient"] == {"reference": f"Patient/{cast.patient.pk}"}
    assert resource["onsetDateTime"] == "2015"
    assert resource["recordedDate"].endswith("Z")
    assert resource["recorder"] == {"reference": f"PractitionerRole/{cast.alice.pk}"}
    assert resource["reaction"] == [
        {"manifestation": [{"text": "Urticaire géante"}], "severity": "severe"}
    ]
    assert resource["note"] == [{"text": "Réaction sous amoxicilline en 2015"}]


@pytest.mark.parametrize(
    ("typed", "sent"),
    [("2019", "2019"), ("03/2019", "2019-03"), ("12/03/2019", "2019-03-12")],
)
def test_the_onset_keeps_the_precision_it_was_recorded_with(cast, typed, sent):
    allergy = do_record_allergy(cast.actor("alice"), cast.patient.pk, penicillins(onset=typed))
    assert mapped(allergy)["onsetDateTime"] == sent


def test_no_onset_no_criticality_no_reaction_no_note_leave_their_elements_out(cast):
    allergy = do_record_allergy(
        cast.actor("alice"),
        cast.patient.pk,
        AllergyData(type="intolerance", category="food", substance="Lactose"),
    )
    resource = mapped(allergy)
    for absent in ("onsetDateTime", "criticality", "reaction", "note"):
        assert absent not in resource
    assert resource["code"] == {"text": "Lactose"}  # no ATC coding for a food
    assert resource["type"] == "intolerance"
    assert resource["verificationStatus"]["coding"][0]["code"] == "unconfirmed"


def test_unable_to_assess_is_sent_unlike_not_assessed(cast):
    allergy = do_record_allergy(
        cast.actor("alice"), cast.patient.pk, penicillins(criticality="unable-to-assess")
    )
    assert mapped(allergy)["criticality"] == "unable-to-assess"


def test_a_substance_recorded_by_its_atc_code_alone_is_named_by_it(cast):
    allergy = do_record_allergy(
        cast.actor("alice"), cast.patient.pk, penicillins(substance="", atc_code="j01ca04")
    )
    assert mapped(allergy)["code"] == {
        "coding": [{"system": ATC, "code": "J01CA04"}],
        "text": "Code ATC J01CA04",
    }


def test_a_reaction_without_severity_has_none(cast):
    allergy = do_record_allergy(
        cast.actor("alice"),
        cast.patient.pk,
        penicillins(reactions=(ReactionData("Prurit"), ReactionData("Œdème de Quincke", "severe"))),
    )
    assert mapped(allergy)["reaction"] == [
        {"manifestation": [{"text": "Prurit"}]},
        {"manifestation": [{"text": "Œdème de Quincke"}], "severity": "severe"},
    ]


@pytest.mark.parametrize("status", ["presumed", "refuted"])
def test_every_verification_status_of_the_domain_is_in_the_binding(cast, status):
    allergy = do_record_allergy(
        cast.actor("alice"), cast.patient.pk, penicillins(verification_status=status)
    )
    assert mapped(allergy)["verificationStatus"]["coding"][0]["code"] == status


def test_resolved_and_inactive_keep_their_clinical_status(cast):
    alice = cast.actor("alice")
    resolved = do_record_allergy(alice, cast.patient.pk, penicillins(clinical_status="resolved"))
    inactive = do_record_allergy(alice, cast.patient.pk, penicillins(clinical_status="inactive"))
    assert mapped(resolved)["clinicalStatus"]["coding"][0]["code"] == "resolved"
    assert mapped(inactive)["clinicalStatus"]["text"] == "Inactive"


def test_an_entry_in_error_has_no_clinical_status_and_its_new_version(cast):
    alice = cast.actor("alice")
    allergy = do_record_allergy(alice, cast.patient.pk, penicillins())
    marked = do_mark_allergy_entered_in_error(alice, allergy.pk, ERREUR)
    resource = mapped(marked)
    assert "clinicalStatus" not in resource  # FHIR ait-2
    assert resource["verificationStatus"]["coding"][0]["code"] == "entered-in-error"
    assert resource["meta"]["versionId"] == "2"
    assert ERREUR not in str(resource)  # the reason is not sent


def test_previous_versions_map_as_they_were(cast):
    alice = cast.actor("alice")
    allergy = do_record_allergy(
        alice, cast.patient.pk, penicillins(verification_status="unconfirmed")
    )
    do_update_allergy(
        alice, allergy.pk, penicillins(verification_status="confirmed"), expected_version=1
    )
    current, previous = access_allergy_history(alice, allergy.pk)
    assert mapped(current)["verificationStatus"]["coding"][0]["code"] == "confirmed"
    old = mapped(previous)
    assert old["meta"]["versionId"] == "1"
    assert old["verificationStatus"]["coding"][0]["code"] == "unconfirmed"


def test_an_allergy_recorded_by_a_system_job_names_no_recorder(cast):
    allergy = do_record_allergy(
        as_system(cast.practice_a, "import"), cast.patient.pk, penicillins()
    )
    assert "recorder" not in mapped(allergy)


def test_the_fhir_invariants_and_bindings_are_enforced_by_validation(cast):
    allergy = do_record_allergy(cast.actor("alice"), cast.patient.pk, penicillins())
    without_status = to_fhir(allergy)
    del without_status["clinicalStatus"]
    with pytest.raises(FhirValidationError) as refused:
        validate_resource(without_status, "AllergyIntolerance")
    assert refused.value.issues[0].expression == "AllergyIntolerance.clinicalStatus"
    assert refused.value.issues[0].code == "invariant"
    in_error_with_status = to_fhir(allergy)
    in_error_with_status["verificationStatus"]["coding"][0]["code"] = "entered-in-error"
    with pytest.raises(FhirValidationError) as refused:
        validate_resource(in_error_with_status, "AllergyIntolerance")
    assert "ait-2" in refused.value.issues[0].diagnostics
    wrong_criticality = to_fhir(allergy)
    wrong_criticality["criticality"] = "élevée"
    with pytest.raises(FhirValidationError) as refused:
        validate_resource(wrong_criticality, "AllergyIntolerance")
    assert refused.value.issues[0].expression == "AllergyIntolerance.criticality"
