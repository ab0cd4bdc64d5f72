"""grant_for_request: what the API gets from a bearer token, on every request."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import RequestFactory

from hygie.core import clock
from hygie.fhir.models import AccessToken
from hygie.fhir.smart.grants import InvalidToken, grant_for_request
from hygie.fhir.smart.tokens import token_checksum
from tests.cast import api_client_for, bearer_token_for

pytestmark = pytest.mark.django_db


def request_with(header: str | None, **meta: str):
    if header is not None:
        meta["HTTP_AUTHORIZATION"] = header
    return RequestFactory().get("/fhir/R4/Patient", **meta)


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer ", "Basic YTpi", "Bearer a b", "bearer-abc", "Token abc"],
)
def test_a_missing_or_malformed_header_is_an_invalid_token(db, header):
    with pytest.raises(InvalidToken):
        grant_for_request(request_with(header))


def test_an_unknown_or_overlong_token_is_invalid(cast):
    for value in ("inconnu", "x" * 5000):
        with pytest.raises(InvalidToken):
            grant_for_request(request_with(f"Bearer {value}"))


def test_a_persons_token_gives_their_membership_and_an_audit_source(cast):
    token = bearer_token_for(cast.alice, "user/Patient.rs")
    grant = grant_for_request(
        request_with(f"Bearer {token}", REMOTE_ADDR="198.51.100.7", HTTP_USER_AGENT="appli/1.0")
    )

    actor = grant.actor
    assert (actor.user, actor.membership, actor.practice) == (
        cast.alice.user,
        cast.alice,
        cast.practice_a,
    )
    assert not actor.is_system
    assert actor.source.user_label == "alice@a.test"
    assert actor.source.source_address == "198.51.100.7"
    assert actor.source.user_agent == "appli/1.0"
    assert actor.source.session_ref
    assert actor.source.session_ref not in token and token not in actor.source.session_ref
    assert str(grant.scopes) == "user/Patient.rs"
    assert grant.client_id == AccessToken.objects.get().application.client_id


def test_the_scheme_is_case_insensitive(cast):
    token = bearer_token_for(cast.alice, "user/Patient.rs")

    assert grant_for_request(request_with(f"bearer {token}")).actor.user == cast.alice.user


def test_an_expired_token_is_invalid(cast):
    token = bearer_token_for(cast.alice, "user/Patient.rs")
    AccessToken.objects.filter(token_checksum=token_checksum(token)).update(
        expires=clock.now() - dt.timedelta(seconds=1)
    )

    with pytest.raises(InvalidToken):
        grant_for_request(request_with(f"Bearer {token}"))


def test_a_persons_token_costs_one_query(cast, django_assert_num_queries):
    token = bearer_token_for(cast.alice, "user/Patient.rs")
    request = request_with(f"Bearer {token}")

    with django_assert_num_queries(1):
        grant = grant_for_request(request)
        assert grant.actor.membership.practice.name == "Cabinet A"
        assert grant.actor.user.email == "alice@a.test"


def test_a_services_token_costs_one_query(cast, django_assert_num_queries):
    request = request_with(f"Bearer {api_client_for(cast.practice_a).token()}")

    with django_assert_num_queries(1):
        assert grant_for_request(request).actor.practice.name == "Cabinet A"


def test_a_token_is_the_practice_it_was_granted_in_whatever_the_session(cast):
    # The practice comes from the token, not from anything the request says.
    token = bearer_token_for(cast.alice, "user/Patient.rs")
    request = request_with(f"Bearer {token}", HTTP_X_HYGIE_PRACTICE=str(cast.practice_b.pk))

    assert grant_for_request(request).actor.practice == cast.practice_a
