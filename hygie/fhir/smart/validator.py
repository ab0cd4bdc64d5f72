"""django-oauth-toolkit's request validator, made SMART and Hygie-shaped.

DOT (through oauthlib) runs the flows: codes, PKCE, token issue, rotation with
reuse detection, revocation. This subclass adds, in the places DOT provides:

- client authentication by private_key_jwt only (assertions.py); no client
  secret is ever accepted;
- SMART v2 scopes, within what the client registered (system/ for a backend
  client only);
- the binding of every code and token to a practice, a membership and the
  launch patient, carried from the code to the tokens and through refreshes;
- the holder's right to act, checked again at code exchange and refresh;
- `patient` in the token response; the audit of every issue, refresh,
  revocation and refused client authentication.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import revoke_access_token
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import BaseScopes
from oauth2_provider.settings import oauth2_settings
from oauthlib.common import Request
from oauthlib.oauth2.rfc6749 import errors

from hygie.accounts.models import UserSession
from hygie.audit.actions import AuditSource, _valid_address, record_event, session_ref_for
from hygie.audit.enums import AuditAction, AuditEventType, AuditOutcome
from hygie.core import clock
from hygie.fhir.models import (
    AccessToken,
    ApiClient,
    AuthorizationCode,
    ClientKind,
    RefreshToken,
)

from .assertions import ASSERTION_TYPE, AssertionRefused, verify_client_assertion
from .endpoints import endpoint_url
from .scopes import Context, InvalidScope, ScopeSet
from .tokens import Binding, holder_may_act, token_checksum

# Identity scopes need OpenID Connect, which Hygie does not offer: a request for
# them is served without them (the granted `scope` says so), not refused.
IGNORED_SCOPES = frozenset({"openid", "fhirUser"})
REFRESH_SCOPES = frozenset({"offline_access", "online_access"})


def granted_scopes(requested: list[str]) -> list[str]:
    return [s for s in requested if s not in IGNORED_SCOPES]


def audit_source(
    request: Request,
    *,
    user_label: str,
    user_id: uuid.UUID | None,
    practice_id: uuid.UUID | None,
    authorization_id: uuid.UUID | None,
) -> AuditSource:
    """The agent of an event at the token endpoint (no Django request here: the
    oauthlib request carries the WSGI environment as headers)."""
    headers = request.headers or {}
    return AuditSource(
        user_id=user_id,
        user_label=user_label,
        practice_id=practice_id,
        source_address=_valid_address(headers.get("REMOTE_ADDR")),
        user_agent=str(headers.get("HTTP_USER_AGENT", ""))[:300],
        session_ref=session_ref_for(f"oauth:{authorization_id}" if authorization_id else None),
    )


class SmartScopes(BaseScopes):
    """DOT's scope backend: a client may ask for what it registered. The real
    check is SmartValidator.validate_scopes (SMART grammar, contexts)."""

    def get_all_scopes(self) -> dict[str, str]:
        return {}

    def get_available_scopes(
        self, application: ApiClient | None = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        return application.registered_scopes.split() if application is not None else []

    def get_default_scopes(
        self, application: ApiClient | None = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        # SMART: the scope parameter is required; nothing is granted by default.
        return []


class SmartValidator(OAuth2Validator):
    # --- Client authentication ------------------------------------------------

    def client_authentication_required(self, request: Request, *args: Any, **kwargs: Any) -> bool:
        body = dict(request.decoded_body or [])
        if "client_assertion" in body or "client_assertion_type" in body:
            return True
        if self._extract_basic_auth(request) or body.get("client_secret"):
            # Secrets are never accepted: authenticate_client will refuse.
            return True
        client = self._load_application(request.client_id, request)
        return client is None or client.client_type == ApiClient.CLIENT_CONFIDENTIAL

    def authenticate_client(self, request: Request, *args: Any, **kwargs: Any) -> bool:
        """private_key_jwt, nothing else (decision 0010)."""
        body = dict(request.decoded_body or [])
        assertion = body.get("client_assertion")
        if body.get("client_assertion_type") != ASSERTION_TYPE or not assertion:
            return False
        try:
            client = verify_client_assertion(
                assertion, audience=endpoint_url("token"), load_client=self._load_backend_client
            )
        except AssertionRefused as refused:
            self._audit_refused_client(request, refused)
            return False
        if request.client_id and request.client_id != client.client_id:
            return False
        request.client = client
        return True

    def _load_backend_client(self, client_id: str) -> ApiClient | None:
        client = ApiClient.objects.filter(client_id=client_id, kind=ClientKind.BACKEND).first()
        if client is None or not client.is_usable(None):
            return None
        return client

    def authenticate_client_id(
        self, client_id: str, request: Request, *args: Any, **kwargs: Any
    ) -> bool:
        """A public client (a SMART app) names itself; PKCE proves the rest."""
        client = self._load_application(client_id, request)
        return client is not None and client.client_type == ApiClient.CLIENT_PUBLIC

    def _audit_refused_client(self, request: Request, refused: AssertionRefused) -> None:
        client = refused.client
        record_event(
            audit_source(
                request,
                user_label=client.audit_label if client else "apiclient:inconnu",
                user_id=None,
                practice_id=client.practice_id if client else None,
                authorization_id=None,
            ),
            AuditEventType.OAUTH_CLIENT_AUTH_FAILED,
            action=AuditAction.EXECUTE,
            outcome=AuditOutcome.MINOR_FAILURE,
            entity_type="Device",
            entity_id=client.client_id[:64] if client else "",
            detail={"reason": refused.reason},
        )

    # --- Scopes ---------------------------------------------------------------

    def validate_scopes(
        self,
        client_id: str,
        scopes: list[str],
        client: ApiClient,
        request: Request,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        try:
            asked = ScopeSet.parse(granted_scopes(scopes))
            registered = ScopeSet.parse(client.registered_scopes)
        except InvalidScope:
            return False
        if not asked.resources or not asked.within(registered):
            return False
        contexts = {s.context for s in asked.resources}
        if client.is_backend:
            return contexts == {Context.SYSTEM} and not asked.context
        return Context.SYSTEM not in contexts

    def get_default_scopes(
        self, client_id: str, request: Request, *args: Any, **kwargs: Any
    ) -> list[str]:
        return []

    # --- Authorization codes ----------------------------------------------------

    def _create_authorization_code(
        self, request: Request, code: dict[str, str], expires: dt.datetime | None = None
    ) -> AuthorizationCode:
        # DOT's own, plus the binding chosen on the authorize pages. PKCE S256 is
        # already enforced by SmartServer (no other method exists there).
        binding: Binding = request.hygie_binding
        if not expires:
            expires = timezone.now() + dt.timedelta(
                seconds=oauth2_settings.AUTHORIZATION_CODE_EXPIRE_SECONDS
            )
        if request.code_challenge_method != "S256":
            raise errors.InvalidRequestError(
                description="code_challenge_method S256 required.", request=request
            )
        return AuthorizationCode.objects.create(
            application=request.client,
            user=request.user,
            code=code["code"],
            expires=expires,
            redirect_uri=request.redirect_uri,
            scope=" ".join(request.scopes),
            code_challenge=request.code_challenge or "",
            code_challenge_method=request.code_challenge_method,
            nonce="",
            claims="{}",
            resource=[],
            **binding.fields(),
        )

    def validate_code(
        self,
        client_id: str,
        code: str,
        client: ApiClient,
        request: Request,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        grant = (
            AuthorizationCode.objects.select_related("membership__user")
            .filter(code=code, application=client)
            .first()
        )
        if grant is None or grant.is_expired():
            return False
        if not holder_may_act(grant, client, clock.today()):
            return False
        request.scopes = grant.scope.split()
        request.user = grant.user
        request.hygie_binding = Binding.of(grant)
        return True

    # --- Refresh tokens ---------------------------------------------------------

    def validate_refresh_token(
        self, refresh_token: str, client: ApiClient, request: Request, *args: Any, **kwargs: Any
    ) -> bool:
        if client.is_backend:
            return False  # SMART Backend Services: no refresh tokens
        if not super().validate_refresh_token(refresh_token, client, request, *args, **kwargs):
            self._audit_reuse(refresh_token, request)
            return False
        rt: RefreshToken = request.refresh_token_instance
        if not holder_may_act(rt, client, clock.today()) or not _still_online(rt):
            return False
        request.hygie_binding = Binding.of(rt)
        return True

    def _audit_reuse(self, value: str, request: Request) -> None:
        """A refresh token presented after it was rotated or revoked: DOT has just
        revoked its whole family (reuse protection). Say so in the log."""
        reused = (
            RefreshToken.objects.select_related("user", "application")
            .filter(token_checksum=token_checksum(value), revoked__isnull=False)
            .first()
        )
        if reused is None:
            return
        record_event(
            audit_source(
                request,
                user_label=reused.user.email,
                user_id=reused.user_id,
                practice_id=reused.practice_id,
                authorization_id=reused.authorization_id,
            ),
            AuditEventType.OAUTH_REFRESH_REUSED,
            action=AuditAction.EXECUTE,
            outcome=AuditOutcome.MINOR_FAILURE,
            entity_type="Device",
            entity_id=reused.application.client_id[:64],
        )

    # --- Issuing tokens ---------------------------------------------------------

    def _save_bearer_token(
        self, token: dict[str, Any], request: Request, *args: Any, **kwargs: Any
    ) -> None:
        if request.grant_type == "client_credentials":
            request.hygie_binding = Binding.for_backend(request.client)
        binding: Binding = request.hygie_binding
        if "refresh_token" in token and not REFRESH_SCOPES & set(token.get("scope", "").split()):
            del token["refresh_token"]  # SmartBearerToken should not have made one
        super()._save_bearer_token(token, request, *args, **kwargs)
        if binding.patient_id is not None:
            token["patient"] = str(binding.patient_id)
        client: ApiClient = request.client
        user = request.user
        refreshed = request.grant_type == "refresh_token"
        record_event(
            audit_source(
                request,
                user_label=user.email if user is not None else client.audit_label,
                user_id=user.pk if user is not None else None,
                practice_id=binding.practice_id,
                authorization_id=binding.authorization_id,
            ),
            AuditEventType.OAUTH_TOKEN_REFRESHED
            if refreshed
            else AuditEventType.OAUTH_TOKEN_ISSUED,
            action=AuditAction.EXECUTE,
            patient_id=binding.patient_id,
            entity_type="Device",
            entity_id=client.client_id[:64],
            detail={
                "grant": str(request.grant_type),
                "scopes": str(token.get("scope", ""))[:1000],
                "refresh_token": "refresh_token" in token,
            },
        )

    def _create_access_token(
        self,
        expires: dt.datetime,
        request: Request,
        token: dict[str, Any],
        source_refresh_token: RefreshToken | None = None,
    ) -> AccessToken:
        binding: Binding = request.hygie_binding
        access_token = AccessToken(
            user=request.user,
            scope=token["scope"],
            expires=expires,
            application=request.client,
            source_refresh_token=source_refresh_token,
            resource=[],
            **binding.fields(),
        )
        self._set_token_value(access_token, token["access_token"])
        access_token.save()
        return access_token

    def _create_refresh_token(
        self,
        request: Request,
        refresh_token_code: str,
        access_token: AccessToken,
        previous_refresh_token: RefreshToken | None,
    ) -> RefreshToken:
        binding: Binding = request.hygie_binding
        refresh_token = RefreshToken(
            user=request.user,
            application=request.client,
            access_token=access_token,
            token_family=previous_refresh_token.token_family
            if previous_refresh_token
            else uuid.uuid4(),
            resource=[],
            **binding.fields(),
        )
        self._set_token_value(refresh_token, refresh_token_code)
        refresh_token.save()
        return refresh_token

    # --- Revocation (RFC 7009) ----------------------------------------------------

    def revoke_token(
        self, token: str, token_type_hint: str | None, request: Request, *args: Any, **kwargs: Any
    ) -> None:
        """Revokes `token` if the requesting client holds it (a refresh token with its
        access token; an access token with its refresh token), and audits it.
        Anything else is answered 200 too (RFC 7009 §2.2), without a trace."""
        client: ApiClient | None = request.client
        if client is None or client.pk is None:
            return
        checksum = token_checksum(token)
        with transaction.atomic():
            access = list(
                AccessToken.objects.select_related("user").filter(
                    token_checksum=checksum, application=client
                )
            )
            refresh = list(
                RefreshToken.objects.select_related("user").filter(
                    token_checksum=checksum, application=client, revoked__isnull=True
                )
            )
            for row in access:
                revoke_access_token(row)
            for rt in refresh:
                rt.revoke()
            revoked: list[AccessToken | RefreshToken] = [*access, *refresh]
            for row in revoked:
                record_event(
                    audit_source(
                        request,
                        user_label=row.user.email if row.user else client.audit_label,
                        user_id=row.user_id,
                        practice_id=row.practice_id,
                        authorization_id=row.authorization_id,
                    ),
                    AuditEventType.OAUTH_TOKENS_REVOKED,
                    action=AuditAction.EXECUTE,
                    entity_type="Device",
                    entity_id=client.client_id[:64],
                    detail={
                        "by": "client",
                        "token": "access" if isinstance(row, AccessToken) else "refresh",
                    },
                )


def _still_online(rt: RefreshToken) -> bool:
    """online_access: the refresh token lives as long as the login session that
    granted it (not revoked, not idle, not past its maximum age)."""
    if not rt.online_session_key:
        return True
    tracked = UserSession.objects.filter(
        session_key=rt.online_session_key, user_id=rt.user_id, revoked_at=None
    ).first()
    if tracked is None:
        return False
    now = clock.now()
    return now - tracked.last_seen_at <= dt.timedelta(
        seconds=settings.SESSION_IDLE_SECONDS
    ) and now - tracked.created_at <= dt.timedelta(seconds=settings.SESSION_ABSOLUTE_SECONDS)
