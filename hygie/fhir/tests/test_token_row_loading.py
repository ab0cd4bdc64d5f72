"""The bearer token's row is read with hygie.core.joined.JoinedSelect (one SELECT
written once per process, not compiled by the ORM on each request): it must give
exactly what the ORM gives, on every database the suite runs on."""

from __future__ import annotations

import pytest
from django.db import models

from hygie.core.joined import JoinedSelect
from hygie.fhir.models import AccessToken
from hygie.fhir.smart.tokens import load_live_access_token, token_checksum
from hygie.patients.models import Patient
from tests.cast import api_client_for, bearer_token_for

pytestmark = pytest.mark.django_db

PATHS = ["application__practice", "membership__practice", "membership__user"]


def values(instance: models.Model) -> dict[str, object]:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def same_rows(ours: models.Model | None, orm: models.Model | None) -> None:
    assert (ours is None) == (orm is None)
    if ours is None or orm is None:
        return
    assert type(ours) is type(orm)
    assert values(ours) == values(orm)
    assert ours._state.adding is False and ours._state.db == orm._state.db


def orm_token(checksum: str) -> AccessToken:
    return AccessToken.objects.select_related(*PATHS).get(token_checksum=checksum)


def test_a_persons_token_loads_with_its_client_membership_user_and_practices(cast):
    checksum = token_checksum(bearer_token_for(cast.alice))
    ours = JoinedSelect(AccessToken, PATHS, "token_checksum").get(checksum)
    orm = orm_token(checksum)
    assert ours is not None
    same_rows(ours, orm)
    same_rows(ours.application, orm.application)
    same_rows(ours.application.practice, orm.application.practice)
    same_rows(ours.membership, orm.membership)
    same_rows(ours.membership.practice, orm.membership.practice)
    same_rows(ours.membership.user, orm.membership.user)
    # The typed values the callers compare and call methods on.
    assert ours.membership.user.email == cast.alice.user.email
    assert ours.expires == orm.expires and ours.expires.tzinfo is not None
    assert ours.membership.is_current(ours.membership.start_date)


def test_a_backend_token_has_no_membership_and_its_client_practice(cast):
    backend = api_client_for(cast.practice_a)
    checksum = token_checksum(backend.token("system/Patient.rs"))
    ours = JoinedSelect(AccessToken, PATHS, "token_checksum").get(checksum)
    orm = orm_token(checksum)
    assert ours is not None
    same_rows(ours, orm)
    assert ours.membership is None and ours.membership_id is None
    same_rows(ours.application, orm.application)
    same_rows(ours.application.practice, orm.application.practice)
    assert ours.application.practice.pk == cast.practice_a.pk


def test_an_absent_value_gives_none(cast):
    assert JoinedSelect(AccessToken, PATHS, "token_checksum").get(token_checksum("x")) is None


def test_the_lookup_reads_the_relations_with_one_query(cast, django_assert_num_queries):
    value = bearer_token_for(cast.alice)
    with django_assert_num_queries(1):
        token = load_live_access_token(value)
        assert token is not None
        assert token.membership is not None
        assert token.membership.user.is_active and token.application is not None
        # A SMART app is not bound to a practice: its NULL key is known, not queried.
        assert token.application.practice is None and token.membership.practice.name


def test_only_forward_keys_can_be_joined():
    with pytest.raises(TypeError):
        JoinedSelect(Patient, ["version"], "id")
