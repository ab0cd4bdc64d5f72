"""private_key_jwt: a backend client proves who it is with a JWT signed by a key
it registered (RFC 7523 §3, SMART Backend Services, decision 0009 §4.5).

Refused, each as `invalid_client`: an algorithm other than RS384/ES384 (so
HS256, RS256 and "none" too), a key chosen by the token itself (jku, jwk, x5u,
x5c), a kid that names no registered key or one of another type, iss ≠ sub ≠
client_id, an aud other than the token endpoint, an exp more than five minutes
ahead, and a jti already seen for this client (kept in the shared cache, so all
app servers see it).

This lives here until a django-oauth-toolkit release ships RFC 7523 client
authentication (upstream PR #1762); then switch to it and delete this module.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey
from joserfc.jwt import JWTClaimsRegistry

from hygie.fhir.models import ApiClient

from .clients import EC_CURVE, KEY_TYPE_BY_ALG

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MAX_LIFETIME_SECONDS = 300
# Clock difference tolerated between the client and Hygie, on exp, nbf and iat.
CLOCK_SKEW_SECONDS = 10
MAX_ASSERTION_BYTES = 8192
# Header members that would let the token pick its own verification key.
FORBIDDEN_HEADERS = frozenset({"jku", "jwk", "x5u", "x5c", "crit"})


class AssertionRefused(Exception):
    """The assertion does not authenticate anyone. `reason` is a short code for
    the audit log; the client only ever learns `invalid_client`."""

    def __init__(self, reason: str, client: ApiClient | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.client = client


def verify_client_assertion(
    assertion: str, *, audience: str, load_client: Callable[[str], ApiClient | None]
) -> ApiClient:
    """The backend client that signed `assertion` for `audience` (the token
    endpoint URL). `load_client(client_id)` returns a usable backend client or
    None. Raises AssertionRefused."""
    if not assertion or len(assertion) > MAX_ASSERTION_BYTES:
        raise AssertionRefused("malformed")
    try:
        unverified = jws.extract_compact(assertion.encode("ascii"))
        header = unverified.headers()
        claims = json.loads(unverified.payload or b"")
    except (JoseError, ValueError, UnicodeError) as exc:
        raise AssertionRefused("malformed") from exc
    if not isinstance(claims, dict) or not isinstance(claims.get("iss"), str):
        raise AssertionRefused("malformed")
    client = load_client(claims["iss"])
    if client is None:
        raise AssertionRefused("unknown-client")
    alg = header.get("alg")
    if alg not in KEY_TYPE_BY_ALG:
        raise AssertionRefused("algorithm", client)
    if str(header.get("typ", "")).upper() != "JWT" or FORBIDDEN_HEADERS & set(header):
        raise AssertionRefused("header", client)
    key = _registered_key(client, header.get("kid"), alg)
    try:
        verified = jwt.decode(assertion, key, algorithms=[alg])
    except (JoseError, ValueError) as exc:
        raise AssertionRefused("signature", client) from exc
    _check_claims(verified.claims, client, audience)
    # Last, so that only a correctly signed assertion can use up a jti.
    jti_key = (
        "hygie:smart:jti:"
        + hashlib.sha256(f"{client.client_id}\x00{verified.claims['jti']}".encode()).hexdigest()
    )
    if not cache.add(jti_key, 1, timeout=MAX_LIFETIME_SECONDS + 2 * CLOCK_SKEW_SECONDS):
        raise AssertionRefused("jti-replayed", client)
    return client


def _registered_key(client: ApiClient, kid: object, alg: str) -> RSAKey | ECKey:
    """The one registered key named `kid`, of the type `alg` needs."""
    if not isinstance(kid, str) or not kid:
        raise AssertionRefused("kid", client)
    keys = client.jwks.get("keys", []) if isinstance(client.jwks, dict) else []
    matching = [k for k in keys if isinstance(k, dict) and k.get("kid") == kid]
    if len(matching) != 1:
        raise AssertionRefused("kid", client)
    [data] = matching
    wanted = KEY_TYPE_BY_ALG[alg]
    if data.get("kty") != wanted or (wanted == "EC" and data.get("crv") != EC_CURVE):
        raise AssertionRefused("key-type", client)
    if data.get("alg") not in (None, alg):
        raise AssertionRefused("key-type", client)
    try:
        return RSAKey.import_key(data) if wanted == "RSA" else ECKey.import_key(data)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise AssertionRefused("key", client) from exc


def _check_claims(claims: dict[str, Any], client: ApiClient, audience: str) -> None:
    now = int(time.time())
    registry = JWTClaimsRegistry(
        now=now,
        leeway=CLOCK_SKEW_SECONDS,
        iss={"essential": True, "value": client.client_id},
        sub={"essential": True, "value": client.client_id},
        aud={"essential": True, "value": audience},
        exp={"essential": True},
        jti={"essential": True},
    )
    try:
        registry.validate(claims)
    except JoseError as exc:
        raise AssertionRefused(f"claim-{getattr(exc, 'claim', 'invalid')}"[:40], client) from exc
    if claims["exp"] > now + MAX_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS:
        # SMART: "no more than five minutes in the future".
        raise AssertionRefused("exp-too-far", client)
    if len(str(claims["jti"])) > 255:
        raise AssertionRefused("claim-jti", client)
