"""Background jobs (django-tasks) and the audit of key operations.

Key rotation lives in hygie.crypto, which sits below the audit log (the log seals
its reasons with crypto's keys): the commands and tasks that drive it live here,
above both, so that every rotation and re-encryption is audited."""

from __future__ import annotations

import uuid
from typing import Any

from django_tasks import task

from hygie.audit.actions import AuditSource, record_event
from hygie.audit.enums import AuditAction, AuditEventType
from hygie.crypto.rotation import reencrypt_tenant
from hygie.crypto.sealed import PLATFORM_TENANT


def record_key_event(tenant: uuid.UUID | None, job: str, detail: dict[str, Any]) -> None:
    """A KEY_ROTATION event in the practice's chain (the platform's for its own key
    or the master key)."""
    practice_id = None if tenant in (None, PLATFORM_TENANT) else tenant
    record_event(
        AuditSource.system(job, practice_id=practice_id),
        AuditEventType.KEY_ROTATION,
        action=AuditAction.EXECUTE,
        entity_type="Organization" if practice_id else "",
        entity_id=str(practice_id) if practice_id else "",
        detail=detail,
    )


def reencrypt_and_record(tenant_id: uuid.UUID | str, job: str, **kwargs: Any) -> int:
    """Re-encrypts one practice after a rotation and audits how many rows moved."""
    tenant = uuid.UUID(str(tenant_id))
    count = reencrypt_tenant(tenant, **kwargs)
    record_key_event(tenant, job, {"reencrypted": count})
    return count


@task()
def reencrypt_tenant_task(tenant_id: str) -> int:
    """Re-encrypt one practice after a data key rotation; safe to run again."""
    return reencrypt_and_record(tenant_id, "task:reencrypt")
