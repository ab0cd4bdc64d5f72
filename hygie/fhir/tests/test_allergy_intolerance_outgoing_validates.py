"""Everything the API sends about allergies validates as FHIR R4 (R4B models,
Hygie's bindings, ait-1/ait-2): each read and version, the search and history
Bundles, $everything, and the refusals."""

from __future__ import annotations

import pytest

from hygie.clinical.actions import (
    AllergyData,
    ReactionData,
    do_mark_allergy_entered_in_error,
    do_record_allergy,
    do_update_allergy,
)
from hygie.fhir.api.errors import FhirError
from hygie.fhir.outcome import operation_outcome
from hygie.fhir.validation import validate_resource
from hygie.practices.context import as_system

from .api_helpers import call_as, run

pytestmark = pytest.mark.django_db

SAMPLES = [
    AllergyData(
        type="allergy",
        category="medication",
        substance="Pénicillines",
        atc_code="J01C",
        criticality="high",
        verification_status="confirmed",
        onset="2015",
        reactions=(ReactionData("Urticaire géante", "severe"), ReactionData("Prurit")),
        note="Réaction sous amoxicilline",
    ),
    AllergyData(type="allergy", category="medication", atc_code="J01CA04", onset="03/2019"),
    AllergyData(
        type="intolerance",
        category="food",
        substance="Lactose",
        criticality="low",
        clinical_status="resolved",
        verification_status="presumed",
        onset="12/03/2019",
    ),
    AllergyData(
        type="allergy",
        category="environment",
        substance="Latex",
        criticality="unable-to-assess",
        clinical_status="inactive",
        verification_status="refuted",
    ),
    AllergyData(type="allergy", category="biologic", substance="Vaccin", atc_code="J07"),
]


def test_every_read_version_search_history_and_everything_validates(cast):
    alice = cast.actor("alice")
    rows = [do_record_allergy(alice, cast.patient.pk, data) for data in SAMPLES]
    rows.append(
        do_record_allergy(as_system(cast.practice_a, "import"), cast.patient.pk, SAMPLES[0])
    )
    do_update_allergy(alice, rows[1].pk, SAMPLES[1], expected_version=1)  # nothing changes
    do_update_allergy(
        alice,
        rows[2].pk,
        AllergyData(type="intolerance", category="food", substance="Lactose"),
        expected_version=1,
    )
    do_mark_allergy_entered_in_error(alice, rows[0].pk, "Allergie saisie dans le mauvais dossier")
    call = call_as(alice)
    patient = f"Patient/{cast.patient.pk}"
    for row in rows:
        validate_resource(
            run(call, "GET", f"AllergyIntolerance/{row.pk}").body, "AllergyIntolerance"
        )
        history = run(call, "GET", f"AllergyIntolerance/{row.pk}/_history").body
        validate_resource(history, "Bundle")
        for entry in history["entry"]:
            validate_resource(entry["resource"], "AllergyIntolerance")
            version = entry["resource"]["meta"]["versionId"]
            vread = run(call, "GET", f"AllergyIntolerance/{row.pk}/_history/{version}").body
            validate_resource(vread, "AllergyIntolerance")
    for query in [
        [("patient", patient)],
        [("patient", patient), ("_count", "2"), ("_offset", "2")],
        [("patient", patient), ("verification-status", "entered-in-error")],
        [("patient", patient), ("_elements", "code,criticality")],
        [("patient", patient), ("_summary", "count")],
        [("patient", patient), ("inconnu", "x")],
    ]:
        bundle = run(call, "GET", "AllergyIntolerance", query=query).body
        validate_resource(bundle, "Bundle")
        for entry in bundle.get("entry", []):
            if entry["search"]["mode"] == "match":
                validate_resource(entry["resource"], "AllergyIntolerance")
    everything = run(call, "GET", f"Patient/{cast.patient.pk}/$everything").body
    validate_resource(everything, "Bundle")
    assert len(everything["entry"]) == 1 + len(rows)


def test_the_refusals_validate(cast):
    call = call_as(cast.actor("alice"))
    for query in [
        [("category", "food")],
        [("patient", str(cast.patient.pk)), ("criticality", "élevée")],
    ]:
        with pytest.raises(FhirError) as refused:
            run(call, "GET", "AllergyIntolerance", query=query)
        validate_resource(operation_outcome(refused.value.issues), "OperationOutcome")
