"""Background jobs of the crypto app (django-tasks)."""

from __future__ import annotations

from django_tasks import task

from hygie.crypto.rotation import reencrypt_tenant


@task()
def reencrypt_tenant_task(tenant_id: str) -> int:
    """Re-encrypt one practice after a data key rotation; safe to run again."""
    return reencrypt_tenant(tenant_id)
