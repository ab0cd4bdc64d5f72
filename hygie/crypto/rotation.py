"""Key rotation: new data key versions, re-encryption of rows, master re-wrapping.

Rotation never makes data unreadable mid-way: a retired data key keeps decrypting
until every row has been re-encrypted under the active one, and re-encryption
only rewrites values still on an older version, so it can stop and resume.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.utils import timezone

from hygie.crypto import aead
from hygie.crypto.errors import MissingTenantKeyError
from hygie.crypto.fields import Ciphertext, EncryptedField, encrypted_fields, field_aad
from hygie.crypto.keys import (
    TenantId,
    active_version,
    as_tenant,
    create_key_version,
    forget_active_versions,
    unwrap_row,
    version_cache_seconds,
    wrap_aad,
)
from hygie.crypto.models import DataKey
from hygie.crypto.providers import get_key_provider


@dataclass(frozen=True)
class Progress:
    model: str  # app_label.ModelName
    scanned: int  # rows of this model examined so far
    reencrypted: int  # of which rewritten


ProgressCallback = Callable[[Progress], None]


def do_rotate_tenant_data_key(tenant_id: TenantId) -> int:
    """Retire the practice's active data key and create the next version; returns it.

    Existing values stay readable (the retired key is kept); reencrypt_tenant()
    moves them to the new version.
    """
    tenant = as_tenant(tenant_id)
    provider = get_key_provider()
    with transaction.atomic():
        current = (
            DataKey.objects.select_for_update()
            .filter(tenant_id=tenant, purpose=DataKey.Purpose.DATA, status=DataKey.Status.ACTIVE)
            .first()
        )
        if current is None:
            raise MissingTenantKeyError(f"Practice {tenant} has no data key to rotate")
        latest = (
            DataKey.objects.filter(tenant_id=tenant, purpose=DataKey.Purpose.DATA)
            .order_by("-version")
            .values_list("version", flat=True)
            .first()
        ) or current.version
        current.status = DataKey.Status.RETIRED
        current.save(update_fields=["status", "updated_at"])
        version = create_key_version(provider, tenant, DataKey.Purpose.DATA, latest + 1).version
    forget_active_versions()
    return version


def encrypted_models(
    registry: Iterable[type[models.Model]] | None = None,
) -> list[type[models.Model]]:
    """Concrete models with encrypted fields. Each must name its tenant filter, or
    rotation could not tell whose rows are whose (system check crypto.E002 too)."""
    found = []
    for model in apps.get_models() if registry is None else registry:
        if not encrypted_fields(model):
            continue
        if not isinstance(getattr(model, "encryption_tenant_field", None), str):
            raise ImproperlyConfigured(
                f"{model._meta.label} has encrypted fields but no encryption_tenant_field"
            )
        found.append(model)
    return found


def reencrypt_tenant(
    tenant_id: TenantId,
    batch_size: int = 500,
    progress: ProgressCallback | None = None,
    model_classes: Iterable[type[models.Model]] | None = None,
) -> int:
    """Re-encrypt the practice's values that are not on its active data key version.

    Walks rows by primary key in batches, one transaction per batch with the rows
    locked, so concurrent edits are not overwritten and an interrupted run resumes
    by simply running again. Returns the number of rows rewritten. Uses update(),
    so updated_at is left alone: rotation is not an edit of the record.
    """
    tenant = as_tenant(tenant_id)
    _wait_for_version_caches(tenant)
    target = active_version(tenant)
    total = 0
    for model in encrypted_models(model_classes):
        total += _reencrypt_model(model, tenant, target, batch_size, progress)
    return total


def _wait_for_version_caches(tenant: uuid.UUID) -> None:
    """Other processes may cache the previous active version for a few seconds
    (keys.active_version): start only once every cache has expired, so that rows
    they wrote meanwhile are re-encrypted too."""
    rotated_at = (
        DataKey.objects.filter(
            tenant_id=tenant, purpose=DataKey.Purpose.DATA, status=DataKey.Status.ACTIVE
        )
        .values_list("created_at", flat=True)
        .first()
    )
    if rotated_at is None:
        return
    remaining = (rotated_at - timezone.now()).total_seconds() + version_cache_seconds()
    if remaining > 0:
        time.sleep(remaining)


def _reencrypt_model(
    model: type[models.Model],
    tenant: uuid.UUID,
    target: int,
    batch_size: int,
    progress: ProgressCallback | None,
) -> int:
    fields = encrypted_fields(model)
    rows = model._base_manager.filter(**{model.encryption_tenant_field: tenant})  # type: ignore[attr-defined]
    label = model._meta.label
    scanned = rewritten = 0
    last_pk = None
    while True:
        page = rows.order_by("pk")
        if last_pk is not None:
            page = page.filter(pk__gt=last_pk)
        pks = list(page.values_list("pk", flat=True)[:batch_size])
        if not pks:
            break
        last_pk = pks[-1]
        with transaction.atomic():
            locked = (
                model._base_manager.select_for_update()
                .filter(pk__in=pks)
                .values_list("pk", *(f.attname for f in fields))
            )
            for pk, *values in locked:
                changes = _reencrypted_values(model, fields, pk, tenant, target, values)
                if changes:
                    model._base_manager.filter(pk=pk).update(**changes)
                    rewritten += 1
        scanned += len(pks)
        if progress is not None:
            progress(Progress(label, scanned, rewritten))
    return rewritten


def _reencrypted_values(
    model: type[models.Model],
    fields: list[EncryptedField],
    pk: object,
    tenant: uuid.UUID,
    target: int,
    values: list[Ciphertext | None],
) -> dict[str, Ciphertext]:
    changes = {}
    for field, value in zip(fields, values, strict=True):
        if value is None or aead.blob_version(value.blob) == target:
            continue
        aad = field_aad(model._meta.db_table, field.column or field.attname, pk, tenant)
        # DecryptionError propagates: a value that does not authenticate must be
        # investigated, not silently skipped or re-encrypted as garbage.
        plaintext = aead.decrypt(tenant, aad, value.blob)
        changes[field.attname] = Ciphertext(aead.encrypt(tenant, aad, plaintext))
    return changes


def rows_on_old_versions(
    tenant_id: TenantId, model_classes: Iterable[type[models.Model]] | None = None
) -> int:
    """How many of the practice's rows still hold a value under a retired key."""
    tenant = as_tenant(tenant_id)
    target = active_version(tenant)
    count = 0
    for model in encrypted_models(model_classes):
        attnames = [f.attname for f in encrypted_fields(model)]
        rows = model._base_manager.filter(**{model.encryption_tenant_field: tenant})  # type: ignore[attr-defined]
        for values in rows.values_list(*attnames).iterator(chunk_size=2000):
            if any(v is not None and aead.blob_version(v.blob) != target for v in values):
                count += 1
    return count


def tenants() -> list[uuid.UUID]:
    """Every practice that has keys."""
    return list(
        DataKey.objects.values_list("tenant_id", flat=True).distinct().order_by("tenant_id")
    )


def do_rewrap_all_keys() -> int:
    """Re-wrap every data key not yet under the provider's current master key
    (second step of a master key rotation); returns how many were re-wrapped."""
    provider = get_key_provider()
    kid = provider.current_kid()
    count = 0
    stale = DataKey.objects.exclude(master_kid=kid).order_by("pk")
    for pk in list(stale.values_list("pk", flat=True)):
        with transaction.atomic():
            row = DataKey.objects.select_for_update().filter(pk=pk).exclude(master_kid=kid).first()
            if row is None:
                continue  # re-wrapped concurrently
            key = unwrap_row(provider, row)
            row.master_kid, row.wrapped = provider.wrap(
                key, wrap_aad(row.tenant_id, row.purpose, row.version)
            )
            row.save(update_fields=["master_kid", "wrapped", "updated_at"])
            count += 1
    return count
