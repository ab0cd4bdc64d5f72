"""SMART v2 scope grammar: what parses, what is refused, how scopes compare."""

from __future__ import annotations

import pytest

from hygie.fhir.smart.scopes import Interaction, InvalidScope, Reach, ScopeSet


@pytest.mark.parametrize(
    "text",
    [
        "patient/Observation.dus",  # letters out of order
        "patient/Observation.rr",  # repeated letter
        "patient/Patient.read",  # SMART v1
        "user/*.*",
        "patient/Observation.rs?category=laboratory",  # query restrictions: unsupported
        "group/Patient.r",
        "patient/patient.r",
        "launch",  # EHR launch: not offered
    ],
)
def test_malformed_or_unsupported_scopes_are_refused(text):
    with pytest.raises(InvalidScope):
        ScopeSet.parse(text)


def test_a_scope_set_keeps_resource_and_context_scopes_apart():
    scopes = ScopeSet.parse("patient/Patient.rs launch/patient offline_access")

    assert str(scopes) == "patient/Patient.rs launch/patient offline_access"
    assert scopes.reach("Patient", Interaction.READ) is Reach.PATIENT
    assert scopes.reach("Patient", Interaction.UPDATE) is None
    assert scopes.reach("Observation", Interaction.READ) is None


def test_a_user_scope_reaches_further_than_a_patient_scope():
    scopes = ScopeSet.parse("patient/*.rs user/Patient.r")

    assert scopes.reach("Patient", Interaction.READ) is Reach.ALL
    assert scopes.reach("Patient", Interaction.SEARCH) is Reach.PATIENT


def test_within_compares_context_type_and_letters():
    registered = ScopeSet.parse("system/Patient.rs system/Observation.r")

    assert ScopeSet.parse("system/Patient.r").within(registered)
    assert not ScopeSet.parse("system/Patient.rus").within(registered)
    assert not ScopeSet.parse("system/*.r").within(registered)
    assert not ScopeSet.parse("user/Patient.r").within(registered)
    assert ScopeSet.parse("system/Observation.r").within(ScopeSet.parse("system/*.rs"))
