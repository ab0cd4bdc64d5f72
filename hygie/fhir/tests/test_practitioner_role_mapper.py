"""Membership → FR Core PractitionerRole: one per membership, active while it is
current, with the practitioner's specialty and Hygie's role."""

from __future__ import annotations

import datetime as dt

import pytest

from hygie.core import clock
from hygie.fhir import systems as S
from hygie.fhir.mappers.practitioner_role import to_fhir
from hygie.fhir.validation import FhirValidationError, validate_resource
from hygie.practices.actions import do_add_member, do_set_practitioner
from hygie.practices.enums import Role, Specialty
from tests.cast import SETUP, make_member, make_user

pytestmark = pytest.mark.django_db


def role(membership) -> dict:
    return validate_resource(to_fhir(membership), "PractitionerRole")


def test_a_current_membership_is_an_active_role_linking_practitioner_and_practice(cast):
    resource = role(cast.alice)
    assert resource["id"] == str(cast.alice.pk)
    assert resource["meta"]["profile"] == [S.fr_core_profile("fr-core-practitioner-role")]
    assert resource["active"] is True
    assert resource["period"] == {"start": "2024-01-01"}
    assert resource["practitioner"] == {"reference": f"Practitioner/{cast.alice.user_id}"}
    assert resource["organization"] == {"reference": f"Organization/{cast.practice_a.pk}"}
    assert resource["code"] == [{"text": "Professionnel de santé"}]
    assert "specialty" not in resource  # Alice has no specialty recorded


def test_the_specialty_is_the_practitioners_ordinal_specialty(cast):
    rpps = cast.alice.user.practitioner.rpps
    do_set_practitioner(
        cast.alice.user, rpps=rpps, specialty=Specialty.MEDECINE_GENERALE, source=SETUP
    )
    cast.alice.user.refresh_from_db()
    assert role(cast.alice)["specialty"] == [
        {"coding": [{"system": S.SPECIALTY_SYSTEM, "code": "SM54"}]}
    ]


def test_a_specialty_outside_tre_r38_is_refused(cast):
    resource = to_fhir(cast.alice) | {"specialty": [{"coding": [{"code": "cardio"}]}]}
    with pytest.raises(FhirValidationError) as refused:
        validate_resource(resource, "PractitionerRole")
    assert [i.expression for i in refused.value.issues] == [
        "PractitionerRole.specialty[0].coding[0].code"
    ]


def test_an_ended_membership_is_inactive_and_ends_the_day_it_was_ended(cast):
    resource = role(cast.damien)
    assert resource["active"] is False
    assert resource["period"] == {"start": "2024-01-01", "end": clock.today().isoformat()}


def test_a_planned_end_date_closes_the_period_of_a_still_current_role(cast):
    end = clock.today() + dt.timedelta(days=30)
    user = make_user("remy@b.test", "Rémy", "Roux")
    membership = do_add_member(
        cast.practice_b, user, role=Role.ASSISTANT, end_date=end, source=SETUP
    )
    resource = role(membership)
    assert resource["active"] is True
    assert resource["period"]["end"] == end.isoformat()


@pytest.mark.parametrize(
    ("member", "texts"),
    [
        ("alice", ["Professionnel de santé"]),
        ("denise", ["Assistant(e) / secrétariat"]),
        ("ernest", ["Administration du cabinet"]),
    ],
)
def test_hygies_role_is_sent_as_text(cast, member, texts):
    resource = role(getattr(cast, member))
    assert [c["text"] for c in resource["code"]] == texts
    assert "specialty" not in resource


def test_a_doctor_who_also_runs_the_practice_has_both_roles(cast):
    membership = make_member(
        cast.practice_b, "paul@b.test", "Paul", "Petit", Role.PRACTITIONER, "19999990096", True
    )
    assert [c["text"] for c in role(membership)["code"]] == [
        "Professionnel de santé",
        "Administration du cabinet",
    ]
