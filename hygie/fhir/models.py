"""The OAuth 2.0 tables of the FHIR API's authorization server (decision 0010).

django-oauth-toolkit's models are swapped for these (settings
OAUTH2_PROVIDER_*_MODEL): DOT keeps its logic (codes, PKCE, rotation with reuse
detection, revocation) and Hygie adds what a token must carry here: the practice
it acts in, the membership it acts through (a person's token) and the patient
chosen at launch. Rows are written by DOT through hygie.fhir.smart.validator and
by the actions of hygie.fhir.smart.actions; nothing else writes them.

`practice_id` and `user_id` on the token tables are a contract with
hygie.accounts.actions.do_revoke_api_tokens, which deletes tokens through DOT's
model getters (accounts may not import this app).
"""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from django.db import models
from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import (
    AbstractAccessToken,
    AbstractApplication,
    AbstractGrant,
    AbstractIDToken,
    AbstractRefreshToken,
)

from hygie.practices.models import Membership, Practice


class OAuthRow(models.Model):
    """First base of every model here: a UUID id, like every Hygie table (DOT's
    own use sequences), and a typed base (DOT's are not) for django-stubs."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)

    class Meta:
        abstract = True


class ClientKind(models.TextChoices):
    APP = "app", _("application SMART (lancée par un utilisateur)")
    BACKEND = "backend", _("service (SMART Backend Services)")


def is_loopback_http(uri: str) -> bool:
    """An http:// redirect URI on a loopback address literal (RFC 8252 §7.3;
    "localhost" is not one: its resolution is not guaranteed)."""
    parts = urlsplit(uri)
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "::1")


class ApiClient(OAuthRow, AbstractApplication):
    """A client of the FHIR API, registered by the operator (`hygie apiclient`).

    - APP: a SMART app, public client, authorization code + PKCE S256; a person
      logs in, chooses the practice (and the patient) and consents.
    - BACKEND: a service of one practice, client_credentials authenticated with a
      JWT signed by one of the keys of `jwks` (private_key_jwt); it acts for
      its practice, with at most `registered_scopes`.
    """

    kind = models.CharField(_("type"), max_length=10, choices=ClientKind.choices)
    # Required for a backend client; for an app, when set, only members of this
    # practice may authorize it.
    practice = models.ForeignKey(
        Practice, on_delete=models.PROTECT, null=True, blank=True, related_name="api_clients"
    )
    # The ceiling of what any token of this client may carry (SMART v2 grammar).
    registered_scopes = models.TextField(_("portées autorisées"))
    # Public keys only ({"keys": [...]}, RS384/ES384), for private_key_jwt.
    jwks = models.JSONField(_("clés publiques (JWKS)"), default=dict, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("client de l'API")

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"

    @property
    def is_backend(self) -> bool:
        return self.kind == ClientKind.BACKEND

    @property
    def audit_label(self) -> str:
        """How the audit names the client when it acts for itself."""
        return f"apiclient:{self.name} ({self.client_id})"

    def is_usable(self, request: object) -> bool:
        # DOT asks this before issuing anything and when loading a bearer token.
        return self.disabled_at is None

    def get_allowed_schemes(self) -> list[str]:
        # A native app may receive its code on a loopback http:// URI (RFC 8252 §7.3);
        # registration refuses any other http:// URI.
        uris = self.redirect_uris.split()
        if any(is_loopback_http(u) for u in uris) and all(
            u.startswith("https://") or is_loopback_http(u) for u in uris
        ):
            return ["https", "http"]
        return ["https"]


class TokenBinding(OAuthRow):
    """What Hygie binds to a code, an access token and a refresh token: the
    practice, the membership (a person's token; NULL for a backend client), the
    launch patient, and the authorization (one consent, kept through refreshes)
    that names them in the audit log."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    membership = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A plain id, not a foreign key: the patient is only ever reached through
    # hygie.patients.access, which checks and audits every read.
    patient_id = models.UUIDField(null=True, blank=True)
    authorization_id = models.UUIDField(default=uuid.uuid4)
    # online_access: the login session the refresh token lives with (SMART: usable
    # "for as long as the end-user remains online"). Empty for offline_access.
    online_session_key = models.CharField(max_length=40, blank=True)

    class Meta:
        abstract = True


class AuthorizationCode(TokenBinding, AbstractGrant):
    class Meta(AbstractGrant.Meta):
        verbose_name = _("code d'autorisation")

    def __str__(self) -> str:
        # Never the code or token itself: this ends up in logs and tracebacks.
        return f"code d'autorisation {self.pk}"


class AccessToken(TokenBinding, AbstractAccessToken):
    class Meta(AbstractAccessToken.Meta):
        verbose_name = _("jeton d'accès")

    def __str__(self) -> str:
        # Never the code or token itself: this ends up in logs and tracebacks.
        return f"jeton d'accès {self.pk}"


class RefreshToken(TokenBinding, AbstractRefreshToken):
    class Meta(AbstractRefreshToken.Meta):
        verbose_name = _("jeton de rafraîchissement")

    def __str__(self) -> str:
        # Never the code or token itself: this ends up in logs and tracebacks.
        return f"jeton de rafraîchissement {self.pk}"


class IdToken(OAuthRow, AbstractIDToken):
    """Unused (no OpenID Connect); swapped with the others because DOT's token
    tables point at it."""

    class Meta(AbstractIDToken.Meta):
        verbose_name = _("jeton d'identité")

    def __str__(self) -> str:
        return f"jeton d'identité {self.pk}"
