"""Everything the API sends about observations validates as FHIR R4 (R4B models and
Hygie's bindings): each read, the search Bundles, $everything, and the refusals."""

from __future__ import annotations

import pytest

from hygie.clinical.actions import do_mark_observation_entered_in_error
from hygie.clinical.tests.vital_signs_support import record
from hygie.fhir.api.errors import FhirError
from hygie.fhir.outcome import operation_outcome
from hygie.fhir.validation import validate_resource

from .api_helpers import call_as, run

pytestmark = pytest.mark.django_db


def test_every_read_search_and_everything_validates(cast):
    alice = cast.actor("alice")
    rows = record(
        alice,
        cast.patient.pk,
        weight="72,5",
        height="1,78",
        blood_pressure="12/8",
        heart_rate="64",
        temperature="38,2",
        oxygen_saturation="97",
        capillary_glucose="1,05",
    )
    do_mark_observation_entered_in_error(alice, rows[0].pk, "Mauvais patient sélectionné")
    call = call_as(alice)
    patient = f"Patient/{cast.patient.pk}"
    for row in rows:
        validate_resource(run(call, "GET", f"Observation/{row.pk}").body, "Observation")
    for query in [
        [("patient", patient)],
        [("patient", patient), ("_count", "2"), ("_offset", "2")],
        [("patient", patient), ("status", "entered-in-error")],
        [("patient", patient), ("_elements", "code,valueQuantity")],
        [("patient", patient), ("_summary", "count")],
        [("patient", patient), ("inconnu", "x")],
    ]:
        bundle = run(call, "GET", "Observation", query=query).body
        validate_resource(bundle, "Bundle")
        for entry in bundle.get("entry", []):
            if entry["search"]["mode"] == "match":
                validate_resource(entry["resource"], "Observation")
    everything = run(call, "GET", f"Patient/{cast.patient.pk}/$everything").body
    validate_resource(everything, "Bundle")
    assert len(everything["entry"]) == 1 + len(rows)


def test_the_refusals_validate(cast):
    call = call_as(cast.actor("alice"))
    for query in [[("code", "29463-7")], [("patient", str(cast.patient.pk)), ("date", "hier")]]:
        with pytest.raises(FhirError) as refused:
            run(call, "GET", "Observation", query=query)
        validate_resource(operation_outcome(refused.value.issues), "OperationOutcome")
