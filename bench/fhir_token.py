"""The client side of SMART Backend Services, as a real service does it: an ES384
key kept by the client, its public half registered with Hygie (`hygie apiclient
create --jwks`), and a signed client assertion exchanged for an access token at
/fhir/R4/auth/token over HTTP. Mirrors tests/cast.py:BackendClient.

Access tokens last 300 s (settings.OAUTH2_PROVIDER), so the load generator asks
for a fresh one before every measurement.
"""

from __future__ import annotations

import json
import secrets
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@dataclass
class ClientKey:
    key: ECKey
    kid: str

    @classmethod
    def generate(cls) -> ClientKey:
        kid = f"bench-{secrets.token_hex(4)}"
        return cls(ECKey.generate_key("P-384", parameters={"kid": kid}), kid)

    def write_jwks(self, path: Path) -> None:
        """The public key set, as `hygie apiclient create --jwks FILE` reads it."""
        public = {**self.key.as_dict(private=False), "kid": self.kid}
        path.write_text(json.dumps({"keys": [public]}))

    def assertion(self, client_id: str, token_url: str) -> str:
        """A client assertion (RFC 7523) with a fresh jti: Hygie refuses replays."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": client_id,
            "sub": client_id,
            "aud": token_url,
            "exp": now + 240,
            "jti": secrets.token_urlsafe(16),
        }
        header = {"alg": "ES384", "kid": self.kid, "typ": "JWT"}
        return jwt.encode(header, claims, self.key, algorithms=["ES384"])


def fetch_token(base_url: str, client_id: str, key: ClientKey, scopes: str) -> str:
    """An access token from the running server. `base_url` is HYGIE_BASE_URL: the
    assertion's audience must be the token endpoint at that address."""
    token_url = base_url.rstrip("/") + "/fhir/R4/auth/token"
    form = urllib.parse.urlencode(
        {
            "grant_type": "client_credentials",
            "scope": scopes,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": key.assertion(client_id, token_url),
        }
    ).encode()
    request = urllib.request.Request(  # noqa: S310 (http://127.0.0.1, built above)
        token_url,
        data=form,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        body = json.loads(response.read())
    return str(body["access_token"])
