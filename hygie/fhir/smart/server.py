"""The oauthlib server behind DOT's views: the three grants SMART uses, and no other.

Compared with oauthlib's all-in-one `Server`: no implicit, password or device
grant (they are not even routed), PKCE knows S256 only (a `plain` challenge, or a
challenge without a method, which oauthlib would take as plain, is refused at
/authorize), and a refresh token is issued only when the app asked for
offline_access or online_access, never to a backend client.
"""

from __future__ import annotations

from typing import Any

from oauthlib.common import Request
from oauthlib.oauth2.rfc6749.endpoints import (
    AuthorizationEndpoint,
    RevocationEndpoint,
    TokenEndpoint,
)
from oauthlib.oauth2.rfc6749.grant_types import (
    AuthorizationCodeGrant,
    ClientCredentialsGrant,
    RefreshTokenGrant,
)
from oauthlib.oauth2.rfc6749.grant_types.authorization_code import code_challenge_method_s256
from oauthlib.oauth2.rfc6749.request_validator import RequestValidator
from oauthlib.oauth2.rfc6749.tokens import BearerToken

REFRESH_SCOPES = frozenset({"offline_access", "online_access"})


class S256AuthorizationCodeGrant(AuthorizationCodeGrant):
    # SMART: servers "SHALL support the S256 code_challenge_method and SHALL NOT
    # support the plain method".
    _code_challenge_methods = {"S256": code_challenge_method_s256}


class SmartBearerToken(BearerToken):
    def create_token(
        self, request: Request, refresh_token: bool = False, **kwargs: Any
    ) -> dict[str, Any]:
        wants_refresh = bool(REFRESH_SCOPES & set(request.scopes or []))
        issue = refresh_token and wants_refresh and request.grant_type != "client_credentials"
        token: dict[str, Any] = super().create_token(request, refresh_token=issue, **kwargs)
        return token


class SmartServer(AuthorizationEndpoint, TokenEndpoint, RevocationEndpoint):
    def __init__(
        self,
        request_validator: RequestValidator,
        token_expires_in: int | None = None,
        token_generator: Any = None,
        refresh_token_generator: Any = None,
        **ignored: Any,  # DOT's device-flow settings: no device grant here
    ) -> None:
        self.auth_grant = S256AuthorizationCodeGrant(request_validator)
        self.credentials_grant = ClientCredentialsGrant(request_validator)
        self.refresh_grant = RefreshTokenGrant(request_validator)
        self.bearer = SmartBearerToken(
            request_validator, token_generator, token_expires_in, refresh_token_generator
        )
        AuthorizationEndpoint.__init__(
            self,
            default_response_type="code",
            response_types={"code": self.auth_grant},
            default_token_type=self.bearer,
        )
        TokenEndpoint.__init__(
            self,
            default_grant_type="authorization_code",
            grant_types={
                "authorization_code": self.auth_grant,
                "client_credentials": self.credentials_grant,
                "refresh_token": self.refresh_grant,
            },
            default_token_type=self.bearer,
        )
        RevocationEndpoint.__init__(self, request_validator)
