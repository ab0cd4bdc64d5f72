"""Observation → FHIR R4 vital-signs Observation (FR Core 2.2.0 profiles): every
sign, each state that changes the output, validated as R4B with Hygie's bindings."""

from __future__ import annotations

import datetime as dt

import pytest

from hygie.clinical.access import derivation_sources_of
from hygie.clinical.actions import do_mark_observation_entered_in_error
from hygie.clinical.tests.vital_signs_support import child_of_alice, record
from hygie.fhir.mappers.observation import to_fhir
from hygie.fhir.validation import FhirValidationError, validate_resource
from hygie.practices.context import as_system

pytestmark = pytest.mark.django_db

FR_CORE = "https://hl7.fr/ig/fhir/core/StructureDefinition/"
ALL_SIGNS = {
    "weight": "72,5",
    "height": "1,78",
    "blood_pressure": "12/8",
    "heart_rate": "64",
    "temperature": "37",
    "oxygen_saturation": "97",
    "capillary_glucose": "1,05",
}


def mapped(rows):
    sources = derivation_sources_of(rows)
    resources = {row.code: to_fhir(row, sources.get(row.pk, ())) for row in rows}
    for resource in resources.values():
        validate_resource(resource, "Observation")
    return resources


def test_every_sign_maps_to_its_profiles_loinc_code_and_ucum_quantity(cast):
    rows = record(cast.actor("alice"), cast.patient.pk, **ALL_SIGNS)
    resources = mapped(rows)
    weight = resources["29463-7"]
    assert weight["meta"]["profile"] == [
        FR_CORE + "fr-core-observation-body-weight|2.2.0",
        "http://hl7.org/fhir/StructureDefinition/bodyweight",
    ]
    assert weight["category"][0]["coding"][0] == {
        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
        "code": "vital-signs",
        "display": "Vital Signs",
    }
    assert weight["code"]["coding"][0]["system"] == "http://loinc.org"
    assert weight["code"]["text"] == "Poids"
    assert weight["valueQuantity"] == {
        "value": 72.5,
        "unit": "kg",
        "system": "http://unitsofmeasure.org",
        "code": "kg",
    }
    assert weight["subject"] == {"reference": f"Patient/{cast.patient.pk}"}
    assert weight["performer"] == [{"reference": f"PractitionerRole/{cast.alice.pk}"}]
    assert weight["status"] == "final"
    assert weight["issued"].endswith("Z")
    assert "T" in weight["effectiveDateTime"]
    # 37,0 °C keeps its tenth; a heart rate is a whole number.
    assert resources["8310-5"]["valueQuantity"]["value"] == 37.0
    assert isinstance(resources["8310-5"]["valueQuantity"]["value"], float)
    assert resources["8867-4"]["valueQuantity"] == {
        "value": 64,
        "unit": "bpm",
        "system": "http://unitsofmeasure.org",
        "code": "/min",
    }
    assert resources["8302-2"]["valueQuantity"]["code"] == "cm"
    assert resources["8302-2"]["valueQuantity"]["value"] == 178


def test_oxygen_saturation_carries_the_pulse_oximetry_code_beside_the_profiles(cast):
    [row] = record(cast.actor("alice"), cast.patient.pk, oxygen_saturation="97")
    resource = mapped([row])["2708-6"]
    assert [c["code"] for c in resource["code"]["coding"]] == ["2708-6", "59408-5"]
    assert resource["meta"]["profile"][0] == FR_CORE + "fr-core-observation-saturation-oxygen|2.2.0"


def test_blood_pressure_is_a_panel_of_two_components_without_a_value(cast):
    [panel] = record(cast.actor("alice"), cast.patient.pk, blood_pressure="135/85")
    resource = mapped([panel])["85354-9"]
    assert "valueQuantity" not in resource
    assert resource["meta"]["profile"][0] == FR_CORE + "fr-core-observation-bp|2.2.0"
    components = {c["code"]["coding"][0]["code"]: c["valueQuantity"] for c in resource["component"]}
    assert components == {
        "8480-6": {
            "value": 135,
            "unit": "mmHg",
            "system": "http://unitsofmeasure.org",
            "code": "mm[Hg]",
        },
        "8462-4": {
            "value": 85,
            "unit": "mmHg",
            "system": "http://unitsofmeasure.org",
            "code": "mm[Hg]",
        },
    }


def test_the_bmi_names_the_weight_and_height_it_was_derived_from(cast):
    rows = record(cast.actor("alice"), cast.patient.pk, weight="72,5", height="1,78")
    by_code = {row.code: row for row in rows}
    bmi = mapped(rows)["39156-5"]
    assert bmi["derivedFrom"] == [
        {"reference": f"Observation/{by_code['29463-7'].pk}"},
        {"reference": f"Observation/{by_code['8302-2'].pk}"},
    ]
    assert bmi["valueQuantity"]["code"] == "kg/m2"
    assert bmi["valueQuantity"]["value"] == 22.9
    assert "derivedFrom" not in mapped(rows)["29463-7"]


def test_capillary_glucose_is_a_laboratory_result_without_a_vital_signs_profile(cast):
    [row] = record(cast.actor("alice"), cast.patient.pk, capillary_glucose="1,05")
    resource = mapped([row])["41653-7"]
    assert "meta" not in resource
    assert resource["category"][0]["coding"][0]["code"] == "laboratory"
    assert resource["valueQuantity"] == {
        "value": 1.05,
        "unit": "g/L",
        "system": "http://unitsofmeasure.org",
        "code": "g/L",
    }


def test_head_circumference_of_a_child_maps_to_its_profile(cast):
    child = child_of_alice(cast, dt.date(2025, 9, 1))
    [row] = record(cast.actor("alice"), child.pk, head_circumference="42")
    resource = mapped([row])["9843-4"]
    assert resource["meta"]["profile"] == [
        FR_CORE + "fr-core-observation-head-circum|2.2.0",
        "http://hl7.org/fhir/StructureDefinition/headcircum",
    ]


def test_an_entry_in_error_keeps_its_value_under_the_entered_in_error_status(cast):
    alice = cast.actor("alice")
    rows = record(alice, cast.patient.pk, weight="72,5", height="1,78")
    weight = next(r for r in rows if r.code == "29463-7")
    do_mark_observation_entered_in_error(alice, weight.pk, "Mauvais patient sélectionné")
    for row in rows:
        row.refresh_from_db()
    resources = mapped(rows)
    assert resources["29463-7"]["status"] == "entered-in-error"
    assert resources["39156-5"]["status"] == "entered-in-error"  # its BMI too
    assert resources["8302-2"]["status"] == "final"


def test_a_measure_recorded_by_a_system_job_names_no_performer(cast):
    [row] = record(as_system(cast.practice_a, "import"), cast.patient.pk, heart_rate="64")
    assert "performer" not in mapped([row])["8867-4"]


def test_a_status_outside_the_value_set_is_refused(cast):
    [row] = record(cast.actor("alice"), cast.patient.pk, heart_rate="64")
    resource = to_fhir(row)
    resource["status"] = "validée"
    with pytest.raises(FhirValidationError) as refused:
        validate_resource(resource, "Observation")
    assert refused.value.issues[0].expression == "Observation.status"
