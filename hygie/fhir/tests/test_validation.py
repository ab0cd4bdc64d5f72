"""Every resource entering or leaving Hygie is checked: structure, bindings."""

from __future__ import annotations

import pytest

from hygie.fhir.outcome import operation_outcome
from hygie.fhir.validation import FhirValidationError, Issue, validate_resource

JEANNE = {
    "resourceType": "Patient",
    "name": [{"use": "official", "family": "LEFÈVRE", "given": ["Jeanne", "Marie"]}],
    "gender": "female",
    "birthDate": "1984-03-12",
    "telecom": [{"system": "phone", "value": "01 99 00 12 34", "use": "home"}],
}


def issues_of(data: dict, expected: str | None = None) -> list[Issue]:
    with pytest.raises(FhirValidationError) as refused:
        validate_resource(data, expected)
    return refused.value.issues


def test_a_valid_patient_comes_back_as_canonical_json():
    assert validate_resource(JEANNE, "Patient") == JEANNE


def test_a_gender_outside_the_required_value_set_is_refused():
    """fhir.resources alone accepts it: the binding check is Hygie's."""
    [issue] = issues_of(JEANNE | {"gender": "femme"})
    assert (issue.code, issue.expression) == ("code-invalid", "Patient.gender")


def test_a_bad_code_deep_in_a_list_is_located():
    data = JEANNE | {"telecom": [{"system": "phone", "value": "x"}, {"system": "pigeon"}]}
    [issue] = issues_of(data)
    assert issue.expression == "Patient.telecom[1].system"


def test_unknown_elements_are_refused():
    [issue] = issues_of(JEANNE | {"secretField": "x"})
    assert (issue.code, issue.expression) == ("structure", "Patient.secretField")


def test_a_malformed_date_is_refused():
    [issue] = issues_of(JEANNE | {"birthDate": "12/03/1984"})
    assert issue.expression == "Patient.birthDate"


def test_every_problem_is_reported_not_only_the_first():
    issues = issues_of(JEANNE | {"gender": "femme", "birthDate": "hier", "x": 1})
    assert {i.expression for i in issues} >= {"Patient.gender", "Patient.birthDate", "Patient.x"}


def test_the_wrong_resource_type_is_refused():
    [issue] = issues_of(JEANNE, "Practitioner")
    assert issue.code == "invalid"


@pytest.mark.parametrize("data", [None, [], "Patient", {"resourceType": "Basic"}])
def test_what_is_not_a_supported_resource_is_refused(data):
    assert issues_of(data)


def test_operation_outcomes_are_valid_fhir_themselves():
    outcome = operation_outcome(issues_of(JEANNE | {"gender": "femme", "x": 1}))
    assert validate_resource(outcome, "OperationOutcome") == outcome
