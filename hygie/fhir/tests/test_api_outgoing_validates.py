"""Everything the API sends validates as FHIR R4: the resources inside, and the
Bundles, CapabilityStatement and OperationOutcomes around them."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from hygie.core import clock
from hygie.fhir.api.bundle_processing import process_bundle
from hygie.fhir.api.capability import capability_statement
from hygie.fhir.api.errors import FhirError
from hygie.fhir.outcome import operation_outcome
from hygie.fhir.validation import validate_resource

from .api_helpers import BASE, call_as, new_patient, run

pytestmark = pytest.mark.django_db


def test_the_capability_statement_validates_and_lists_what_is_served():
    statement = capability_statement(RequestFactory().get("/fhir/R4/metadata"), BASE)
    validate_resource(statement, "CapabilityStatement")
    rest = statement["rest"][0]
    patient = next(r for r in rest["resource"] if r["type"] == "Patient")
    codes = {i["code"] for i in patient["interaction"]}
    assert codes == {
        "read",
        "vread",
        "update",
        "delete",
        "history-instance",
        "history-type",
        "create",
        "search-type",
    }
    assert {p["name"] for p in patient["searchParam"]} >= {
        "name",
        "family",
        "birthdate",
        "identifier",
    }
    oauth = rest["security"]["extension"][0]
    assert {e["url"] for e in oauth["extension"]} >= {"authorize", "token"}


def test_search_history_and_everything_bundles_validate(cast):
    alice = call_as(cast.actor("alice"))
    pid = cast.patient.pk
    for path, query in [
        ("Patient", [("name", "lefevre"), ("_count", "1")]),
        ("Patient", [("name", "lefevre"), ("_elements", "name,gender")]),
        ("Patient", [("name", "lefevre"), ("unknown", "x")]),
        (f"Patient/{pid}/_history", []),
        (f"Patient/{pid}/$everything", []),
        ("Patient/_history", [("_count", "1"), ("_since", clock.today().isoformat())]),
    ]:
        validate_resource(run(alice, "GET", path, query=query).body, "Bundle")
    validate_resource(run(alice, "GET", f"Patient/{pid}").body, "Patient")


def test_the_history_of_a_deleted_patient_validates(cast):
    denise = call_as(cast.actor("denise"))
    run(denise, "DELETE", f"Patient/{cast.patient.pk}")
    validate_resource(run(denise, "GET", f"Patient/{cast.patient.pk}/_history").body, "Bundle")


def test_transaction_and_batch_responses_validate(cast):
    denise = call_as(cast.actor("denise"))
    for kind in ("transaction", "batch"):
        answer = process_bundle(
            denise,
            {
                "resourceType": "Bundle",
                "type": kind,
                "entry": [
                    {"resource": new_patient(), "request": {"method": "POST", "url": "Patient"}}
                ],
            },
        )
        validate_resource(answer, "Bundle")


def test_error_outcomes_validate(cast):
    alice = call_as(cast.actor("alice"))
    with pytest.raises(FhirError) as refused:
        run(alice, "POST", "Patient", new_patient(gender="femme", colour="blue"))
    validate_resource(operation_outcome(refused.value.issues), "OperationOutcome")
