"""A practice member → FR Core Practitioner: the professional identity, and nothing
personal beyond it."""

from __future__ import annotations

import json

import pytest

from hygie.fhir import systems as S
from hygie.fhir.mappers.practitioner import to_fhir
from hygie.fhir.validation import validate_resource
from hygie.practices.actions import do_set_practitioner
from hygie.practices.enums import Profession
from tests.cast import SETUP

pytestmark = pytest.mark.django_db


def practitioner(membership) -> dict:
    return validate_resource(to_fhir(membership.user, membership), "Practitioner")


def test_a_doctor_carries_her_rpps_twice_her_name_and_her_profession(cast):
    resource = practitioner(cast.alice)
    assert resource["id"] == str(cast.alice.user.pk)
    assert resource["meta"]["profile"] == [S.fr_core_profile("fr-core-practitioner")]
    assert resource["active"] is True
    rpps = cast.alice.user.practitioner.rpps
    assert [
        (i["system"], i["value"], i["type"]["coding"][0]["code"]) for i in resource["identifier"]
    ] == [
        ("urn:oid:1.2.250.1.71.4.2.1", "8" + rpps, "IDNPS"),
        ("https://rpps.esante.gouv.fr", rpps, "RPPS"),
    ]
    assert resource["name"] == [{"family": "AUBERT", "given": ["Alice"]}]
    assert resource["qualification"] == [
        {"code": {"coding": [{"system": S.PROFESSION_SYSTEM, "code": "10"}]}}
    ]


def test_the_email_address_never_leaves(cast):
    assert "alice@a.test" not in json.dumps(practitioner(cast.alice))


@pytest.mark.parametrize("profession", list(Profession))
def test_every_profession_is_sent_as_its_tre_g15_code(cast, profession):
    rpps = cast.bob.user.practitioner.rpps
    do_set_practitioner(cast.bob.user, rpps=rpps, profession=profession, source=SETUP)
    cast.bob.user.refresh_from_db()
    [qualification] = practitioner(cast.bob)["qualification"]
    assert qualification["code"]["coding"][0]["code"] == profession.value


def test_a_departed_doctor_is_inactive_for_the_practice_he_left(cast):
    assert practitioner(cast.damien)["active"] is False


def test_a_deactivated_account_is_inactive(cast):
    cast.bob.user.is_active = False
    assert practitioner(cast.bob)["active"] is False


@pytest.mark.parametrize("member", ["denise", "ernest"])
def test_a_member_who_is_not_a_health_professional_has_a_name_and_nothing_else(cast, member):
    membership = getattr(cast, member)
    resource = practitioner(membership)
    assert "identifier" not in resource
    assert "qualification" not in resource
    assert set(resource) == {"resourceType", "id", "meta", "active", "name"}


def test_the_membership_must_be_the_users(cast):
    with pytest.raises(ValueError, match="another user"):
        to_fhir(cast.alice.user, cast.bob)
