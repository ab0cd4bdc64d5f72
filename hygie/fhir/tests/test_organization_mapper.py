"""Practice → FR Core Organization: valid FHIR with or without a FINESS number."""

from __future__ import annotations

import pytest

from hygie.fhir import systems as S
from hygie.fhir.mappers.organization import to_fhir
from hygie.fhir.validation import FhirValidationError, validate_resource

pytestmark = pytest.mark.django_db


def test_a_practice_without_finess_is_an_fr_core_organization_without_identifier(cast):
    resource = validate_resource(to_fhir(cast.practice_a), "Organization")
    assert resource["id"] == str(cast.practice_a.pk)
    assert resource["meta"]["profile"] == [S.fr_core_profile("fr-core-organization")]
    assert (resource["name"], resource["active"]) == ("Cabinet A", True)
    assert "identifier" not in resource


def test_a_practice_with_finess_sends_it_as_a_geographic_finess(cast):
    # No action sets a FINESS number yet: the mapper only reads the object.
    cast.practice_a.finess = "010000024"
    resource = validate_resource(to_fhir(cast.practice_a), "Organization")
    assert resource["identifier"] == [
        {
            "system": "https://finess.esante.gouv.fr",
            "value": "010000024",
            "type": {"coding": [{"system": S.FR_CORE_IDENTIFIER_TYPE, "code": "FINEG"}]},
        }
    ]


def test_an_identifier_with_an_unknown_use_is_refused(cast):
    resource = to_fhir(cast.practice_b)
    resource["identifier"] = [{"use": "principal", "system": S.FINESS_SYSTEM, "value": "1"}]
    with pytest.raises(FhirValidationError) as refused:
        validate_resource(resource, "Organization")
    assert [i.expression for i in refused.value.issues] == ["Organization.identifier[0].use"]
