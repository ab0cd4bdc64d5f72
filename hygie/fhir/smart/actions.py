"""The writes of the authorization server that are not DOT's own token handling:
registering and revoking API clients, and recording a person's consent. Each is
audited in the same transaction as what it writes."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from oauth2_provider.models import AbstractApplication

from hygie.audit.actions import AuditSource, record_event
from hygie.audit.enums import AuditAction, AuditEventType, AuditOutcome
from hygie.core import clock
from hygie.fhir.models import (
    AccessToken,
    ApiClient,
    AuthorizationCode,
    ClientKind,
    RefreshToken,
)
from hygie.practices.models import Practice

from .clients import check_jwks, check_redirect_uris, check_registered_scopes
from .scopes import ScopeSet

MAX_NAME = 100


def _check_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise ValidationError(_("Le nom du client est obligatoire."))
    if len(name) > MAX_NAME:
        raise ValidationError(_("Nom trop long (%(n)s caractères au plus).") % {"n": MAX_NAME})
    return name


def do_register_backend_client(
    practice: Practice, *, name: str, scopes: str, jwks: Any, source: AuditSource
) -> ApiClient:
    """A service of `practice` (SMART Backend Services): client_credentials with
    a JWT signed by one of `jwks`'s keys; its tokens carry at most `scopes`."""
    name = _check_name(name)
    registered = check_registered_scopes(scopes, ClientKind.BACKEND)
    keys = check_jwks(jwks)
    with transaction.atomic():
        client = ApiClient.objects.create(
            kind=ClientKind.BACKEND,
            name=name,
            practice=practice,
            registered_scopes=str(registered),
            jwks=keys,
            client_type=AbstractApplication.CLIENT_CONFIDENTIAL,
            authorization_grant_type=AbstractApplication.GRANT_CLIENT_CREDENTIALS,
        )
        _audit_registration(client, source)
    return client


def do_register_app_client(
    *,
    name: str,
    scopes: str,
    redirect_uris: list[str],
    practice: Practice | None,
    source: AuditSource,
) -> ApiClient:
    """A SMART app (public client, authorization code with PKCE S256): a person
    launches it, chooses the practice and the patient, and consents. With
    `practice`, only members of that practice may authorize it."""
    name = _check_name(name)
    registered = check_registered_scopes(scopes, ClientKind.APP)
    uris = check_redirect_uris(redirect_uris)
    with transaction.atomic():
        client = ApiClient.objects.create(
            kind=ClientKind.APP,
            name=name,
            practice=practice,
            registered_scopes=str(registered),
            redirect_uris=" ".join(uris),
            client_type=AbstractApplication.CLIENT_PUBLIC,
            authorization_grant_type=AbstractApplication.GRANT_AUTHORIZATION_CODE,
        )
        _audit_registration(client, source)
    return client


def _audit_registration(client: ApiClient, source: AuditSource) -> None:
    record_event(
        source,
        AuditEventType.API_CLIENT_REGISTERED,
        action=AuditAction.CREATE,
        practice_id=client.practice_id,
        entity_type="Device",
        entity_id=client.client_id[:64],
        detail={"kind": client.kind, "name": client.name, "scopes": client.registered_scopes},
    )


def do_revoke_api_client(client: ApiClient, *, reason: str, source: AuditSource) -> dict[str, int]:
    """Disables the client for good and deletes every code and token it holds, at
    once: the next request with one of its tokens is refused."""
    with transaction.atomic():
        locked = ApiClient.objects.select_for_update().get(pk=client.pk)
        if locked.disabled_at is not None:
            raise ValidationError(_("Ce client est déjà révoqué."))
        locked.disabled_at = clock.now()
        locked.disabled_reason = reason[:200]
        locked.save(update_fields=["disabled_at", "disabled_reason", "updated"])
        counts = {
            "access_tokens": AccessToken.objects.filter(application=locked).delete()[0],
            "refresh_tokens": RefreshToken.objects.filter(application=locked).delete()[0],
            "codes": AuthorizationCode.objects.filter(application=locked).delete()[0],
        }
        record_event(
            source,
            AuditEventType.API_CLIENT_REVOKED,
            action=AuditAction.UPDATE,
            practice_id=locked.practice_id,
            entity_type="Device",
            entity_id=locked.client_id[:64],
            detail=counts,
            reason=reason[:200],
        )
    client.refresh_from_db()
    return counts


def do_record_consent(
    source: AuditSource,
    client: ApiClient,
    *,
    scopes: ScopeSet,
    patient_id: uuid.UUID | None,
    granted: bool,
) -> None:
    """The person's answer on the consent page, granted or refused. `source` names
    the practice chosen for the authorization (none yet if refused before)."""
    record_event(
        source,
        AuditEventType.OAUTH_CONSENT_GRANTED if granted else AuditEventType.OAUTH_CONSENT_DENIED,
        action=AuditAction.EXECUTE,
        outcome=AuditOutcome.SUCCESS if granted else AuditOutcome.MINOR_FAILURE,
        patient_id=patient_id,
        entity_type="Device",
        entity_id=client.client_id[:64],
        detail={"client": client.name[:100], "scopes": str(scopes)[:1000]},
    )
