"""SMART Backend Services: client_credentials with a client assertion signed by a
registered key (private_key_jwt, RS384/ES384). Every refusal is `invalid_client`
(or `invalid_scope` for a scope the client did not register)."""

from __future__ import annotations

import base64
import json
import secrets
import time

import pytest
from django.test import Client, RequestFactory
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from hygie.audit.enums import AuditEventType
from hygie.audit.models import AuditEvent
from hygie.fhir.models import AccessToken
from hygie.fhir.smart.actions import do_revoke_api_client
from hygie.fhir.smart.endpoints import endpoint_url, fhir_base_url
from hygie.fhir.smart.grants import InvalidToken, grant_for_request
from tests.cast import SETUP, api_client_for, post_token

pytestmark = pytest.mark.django_db


def grant_of(token: str):
    return grant_for_request(RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {token}"))


def refused(response, error: str = "invalid_client") -> bool:
    return response.status_code in (400, 401) and response.json()["error"] == error


@pytest.mark.parametrize("alg", ["RS384", "ES384"])
def test_a_correctly_signed_assertion_gets_a_short_token_without_refresh(cast, alg):
    service = api_client_for(cast.practice_a, "system/Patient.rs", alg=alg)
    response = service.token_response("system/Patient.rs")

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["token_type"] == "Bearer"
    assert data["expires_in"] == 300
    assert data["scope"] == "system/Patient.rs"
    assert "refresh_token" not in data
    assert response["Cache-Control"] == "no-store"


def test_the_service_acts_for_its_practice_as_a_named_system_job(cast):
    service = api_client_for(cast.practice_b, "system/Patient.rs", name="Labo")
    grant = grant_of(service.token())

    assert grant.actor.practice == cast.practice_b
    assert grant.actor.is_system
    assert grant.actor.user is None
    assert grant.actor.system_job == f"apiclient:{service.client_id}"
    assert grant.actor.source.user_label == f"apiclient:Labo ({service.client_id})"
    assert grant.patient_id is None
    event = AuditEvent.objects.get(event_type=AuditEventType.OAUTH_TOKEN_ISSUED)
    assert event.practice_id == cast.practice_b.pk
    assert event.user_label == f"apiclient:Labo ({service.client_id})"


def test_a_narrower_scope_than_registered_is_granted(cast):
    service = api_client_for(cast.practice_a, "system/*.rs")

    assert service.token_response("system/Patient.r").json()["scope"] == "system/Patient.r"


@pytest.mark.parametrize(
    "scopes",
    [
        "system/Patient.rsu",  # out of cruds order
        "system/Patient.rus",  # more letters than registered
        "system/Observation.rs",  # another type
        "user/Patient.rs",
        "patient/Patient.rs",
        "system/Patient.rs offline_access",
        "",
    ],
)
def test_a_scope_outside_the_registration_is_refused(cast, scopes):
    service = api_client_for(cast.practice_a, "system/Patient.rs")

    assert refused(service.token_response(scopes), "invalid_scope")
    assert not AccessToken.objects.exists()


def test_an_assertion_is_used_once(cast):
    service = api_client_for(cast.practice_a)
    assertion = service.assertion()

    assert service.token_response("system/*.rs", assertion).status_code == 200
    assert refused(service.token_response("system/*.rs", assertion))
    assert AccessToken.objects.count() == 1
    event = AuditEvent.objects.get(event_type=AuditEventType.OAUTH_CLIENT_AUTH_FAILED)
    assert event.detail == {"reason": "jti-replayed"}
    assert event.practice_id == cast.practice_a.pk


# Times are offsets from the moment the assertion is made (no clock in parameters).
@pytest.mark.parametrize(
    "claims",
    [
        {"exp": 3600},  # more than five minutes ahead
        {"exp": 420},
        {"exp": -60},  # expired
        {"exp": None},
        {"jti": None},
        {"iss": None},
        {"aud": fhir_base_url()},  # the FHIR base, not the token endpoint
        {"aud": "https://autre.example/token"},
        {"sub": "quelquun-d-autre"},
        {"iss": "inconnu", "sub": "inconnu"},
        {"nbf": 120},
        {"iat": 600},
    ],
)
def test_a_wrong_claim_is_refused(cast, claims):
    service = api_client_for(cast.practice_a)
    now = int(time.time())
    body: dict = {
        "iss": service.client_id,
        "sub": service.client_id,
        "aud": endpoint_url("token"),
        "exp": now + 240,
        "jti": secrets.token_urlsafe(8),
    }
    for name, value in claims.items():
        if value is None:
            body.pop(name)
        elif name in ("exp", "nbf", "iat"):
            body[name] = now + value
        else:
            body[name] = value
    header = {"alg": service.alg, "kid": service.kid, "typ": "JWT"}
    assertion = jwt.encode(header, body, service.key, algorithms=[service.alg])

    assert refused(service.token_response("system/*.rs", assertion))


def test_a_token_endpoint_url_given_as_a_list_is_accepted(cast):
    service = api_client_for(cast.practice_a)

    assertion = service.assertion(aud=[endpoint_url("token")])
    assert service.token_response("system/*.rs", assertion).status_code == 200


def test_an_unknown_kid_is_refused(cast):
    service = api_client_for(cast.practice_a)

    assert refused(service.token_response("system/*.rs", service.assertion({"kid": "autre"})))


def test_a_kid_of_a_key_of_another_type_is_refused(cast):
    # The registered key is EC: an RSA signature under its kid is refused.
    service = api_client_for(cast.practice_a, alg="ES384")
    rsa = RSAKey.generate_key(2048)
    header = {"alg": "RS384", "kid": service.kid, "typ": "JWT"}
    now = int(time.time())
    claims = {
        "iss": service.client_id,
        "sub": service.client_id,
        "aud": endpoint_url("token"),
        "exp": now + 60,
        "jti": "x1",
    }

    assert refused(
        service.token_response("system/*.rs", jwt.encode(header, claims, rsa, algorithms=["RS384"]))
    )


def test_a_signature_by_another_key_is_refused(cast):
    service = api_client_for(cast.practice_a, alg="RS384")
    impostor = api_client_for(cast.practice_a, alg="RS384")
    service.key = impostor.key  # right kid, wrong key

    assert refused(service.token_response("system/*.rs"))


@pytest.mark.parametrize("alg", ["HS256", "RS256", "none", "ES256"])
def test_other_algorithms_are_refused(cast, alg):
    service = api_client_for(cast.practice_a, alg="RS384")
    now = int(time.time())
    claims = {
        "iss": service.client_id,
        "sub": service.client_id,
        "aud": endpoint_url("token"),
        "exp": now + 60,
        "jti": f"jti-{alg}",
    }
    header = {"alg": alg, "kid": service.kid, "typ": "JWT"}
    if alg == "HS256":
        # The classic confusion: the public key's bytes used as an HMAC secret.
        secret = OctKey.import_key(json.dumps(service.key.as_dict(private=False)).encode())
        assertion = jwt.encode(header, claims, secret, algorithms=["HS256"])
    elif alg == "RS256":
        assertion = jwt.encode(header, claims, service.key, algorithms=["RS256"])
    else:

        def b64(data: dict) -> str:
            return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

        assertion = f"{b64(header)}.{b64(claims)}."

    assert refused(service.token_response("system/*.rs", assertion))
    event = AuditEvent.objects.get(event_type=AuditEventType.OAUTH_CLIENT_AUTH_FAILED)
    assert event.detail == {"reason": "algorithm"}


@pytest.mark.parametrize(
    "header",
    [{"jku": "https://attaquant.example/jwks"}, {"typ": "at+jwt"}, {"x5u": "https://a.example/c"}],
)
def test_a_header_choosing_its_own_key_or_type_is_refused(cast, header):
    service = api_client_for(cast.practice_a)

    assert refused(service.token_response("system/*.rs", service.assertion(header)))


def test_a_client_secret_is_never_accepted(cast):
    service = api_client_for(cast.practice_a)
    response = post_token(
        Client(),
        grant_type="client_credentials",
        scope="system/*.rs",
        client_id=service.client_id,
        client_secret="",
    )

    assert refused(response)
    basic = base64.b64encode(f"{service.client_id}:".encode()).decode()
    response = Client().post(
        endpoint_path("token"),
        {"grant_type": "client_credentials", "scope": "system/*.rs"},
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    assert refused(response)


def test_a_revoked_client_gets_nothing_and_its_tokens_die(cast):
    service = api_client_for(cast.practice_a)
    token = service.token()

    do_revoke_api_client(service.client, reason="fin du contrat", source=SETUP)

    with pytest.raises(InvalidToken):
        grant_of(token)
    assert refused(service.token_response("system/*.rs"))
    assert AuditEvent.objects.filter(event_type=AuditEventType.API_CLIENT_REVOKED).exists()


def test_a_backend_client_cannot_use_the_authorization_code_flow(cast):
    service = api_client_for(cast.practice_a)
    response = post_token(
        Client(),
        grant_type="authorization_code",
        code="x",
        redirect_uri="https://a.example/cb",
        client_id=service.client_id,
        code_verifier="v" * 43,
    )

    assert response.status_code in (400, 401)
    assert not AccessToken.objects.exists()


def endpoint_path(name: str) -> str:
    return endpoint_url(name).removeprefix(fhir_base_url().removesuffix("/fhir/R4"))


def test_a_service_introspects_and_revokes_its_own_token_with_a_fresh_assertion(cast):
    service = api_client_for(cast.practice_a, "system/Patient.rs")
    other = api_client_for(cast.practice_a, "system/Patient.rs")
    token = service.token()
    auth = {
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    }

    seen = Client().post(
        endpoint_path("introspect"),
        {**auth, "client_assertion": service.assertion(), "token": token},
    )
    assert seen.json()["active"] is True
    assert seen.json()["scope"] == "system/Patient.rs"
    hidden = Client().post(
        endpoint_path("introspect"), {**auth, "client_assertion": other.assertion(), "token": token}
    )
    assert hidden.json() == {"active": False}

    revoked = Client().post(
        endpoint_path("revoke"), {**auth, "client_assertion": service.assertion(), "token": token}
    )
    assert revoked.status_code == 200
    with pytest.raises(InvalidToken):
        grant_of(token)
