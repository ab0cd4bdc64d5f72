"""Sealed text: a short string encrypted under a tenant's data key, stored as text.

For values that live outside an encrypted model field: the audit log's free-text
reasons, allauth's TOTP secrets. The platform (accounts, events outside any
practice) is a tenant of its own, PLATFORM_TENANT."""

from __future__ import annotations

import base64
import uuid

from .aead import decrypt, encrypt
from .errors import DecryptionError
from .keys import TenantId, ensure_tenant_keys

PLATFORM_TENANT = uuid.UUID(int=0)
PREFIX = "sealed1:"


def seal_text(tenant_id: TenantId | None, aad: bytes, text: str) -> str:
    """`text` encrypted for `tenant_id` (None: the platform), or "" for ""."""
    if text == "":
        return ""
    tenant = PLATFORM_TENANT if tenant_id is None else tenant_id
    if tenant == PLATFORM_TENANT:
        ensure_tenant_keys(PLATFORM_TENANT)
    blob = encrypt(tenant, aad, text.encode("utf-8"))
    return PREFIX + base64.b64encode(blob).decode("ascii")


def open_text(tenant_id: TenantId | None, aad: bytes, sealed: str) -> str:
    """The text of a sealed value. Refuses anything not sealed: a plaintext planted
    in the column must not pass for an authentic value."""
    if sealed == "":
        return ""
    if not sealed.startswith(PREFIX):
        raise DecryptionError("value is not sealed")
    tenant = PLATFORM_TENANT if tenant_id is None else tenant_id
    blob = base64.b64decode(sealed[len(PREFIX) :], validate=True)
    return decrypt(tenant, aad, blob).decode("utf-8")
