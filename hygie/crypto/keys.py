"""Per-practice data keys: creation, unwrapping with a cache, start-up check.

Each practice has a data key (encrypts field values, versioned for rotation) and an
index key (blind indexes; never rotated, since every index would need recomputing
from plaintext). Both are stored wrapped by the master key with associated data
naming tenant, purpose and version, so a wrapped key copied onto another row fails.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from hygie.crypto.errors import (
    DecryptionError,
    KeyConfigurationError,
    MasterKeyUnavailableError,
    MissingTenantKeyError,
)
from hygie.crypto.models import DataKey
from hygie.crypto.providers import KEY_BYTES, FileKeyProvider, KeyProvider, get_key_provider

TenantId = uuid.UUID | str

# Unwrapped keys by (tenant, purpose, version). A version's key never changes
# (re-wrapping changes only its envelope), so entries never go stale.
_cache: dict[tuple[uuid.UUID, str, int], bytes] = {}
# Index keys are never rotated, so the active one can be cached by tenant alone.
_index_keys: dict[uuid.UUID, bytes] = {}
_lock = threading.Lock()
# Active version by (tenant, purpose), with the monotonic time it expires.
_active: dict[tuple[uuid.UUID, str], tuple[int, float]] = {}


def clear_caches() -> None:
    """Forget every unwrapped key (tests; after restoring a database)."""
    with _lock:
        _cache.clear()
        _index_keys.clear()
        _active.clear()


def as_tenant(tenant_id: TenantId) -> uuid.UUID:
    return tenant_id if isinstance(tenant_id, uuid.UUID) else uuid.UUID(str(tenant_id))


def wrap_aad(tenant_id: uuid.UUID, purpose: str, version: int) -> bytes:
    return f"hygie.datakey|{tenant_id}|{purpose}|{version}".encode()


def ensure_tenant_keys(tenant_id: TenantId) -> None:
    """Create the data and index keys of a new practice; a no-op if they exist."""
    tenant = as_tenant(tenant_id)
    # The first practice ever may create the embedded master key file; once any
    # wrapped key exists, a missing file is an error, never a reason to make one.
    provider = get_key_provider(create_if_missing=not DataKey.objects.exists())
    for purpose in DataKey.Purpose:
        if DataKey.objects.filter(tenant_id=tenant, purpose=purpose).exists():
            continue
        try:
            with transaction.atomic():
                create_key_version(provider, tenant, purpose, 1)
        except IntegrityError:
            # A concurrent call created it first: that is the idempotent outcome.
            if not DataKey.objects.filter(tenant_id=tenant, purpose=purpose).exists():
                raise


def create_key_version(
    provider: KeyProvider, tenant: uuid.UUID, purpose: str, version: int
) -> DataKey:
    """Generate, wrap and store a new active key version (caller holds a transaction)."""
    key = secrets.token_bytes(KEY_BYTES)
    kid, wrapped = provider.wrap(key, wrap_aad(tenant, purpose, version))
    row = DataKey.objects.create(
        tenant_id=tenant,
        purpose=purpose,
        version=version,
        master_kid=kid,
        wrapped=wrapped,
        status=DataKey.Status.ACTIVE,
    )
    with _lock:
        _cache[(tenant, purpose, version)] = key
    return row


def version_cache_seconds() -> float:
    return float(getattr(settings, "KEY_VERSION_CACHE_SECONDS", 5))


def forget_active_versions() -> None:
    with _lock:
        _active.clear()


def active_version(tenant_id: TenantId, purpose: str = DataKey.Purpose.DATA) -> int:
    """The version new values are encrypted with.

    Cached for KEY_VERSION_CACHE_SECONDS (5 s): reading it for every encrypted value
    was 60 % of the time of a bulk import. Another process may thus keep writing
    under the previous version for a few seconds after a rotation; the old key stays
    valid, and re-encryption waits that long after the rotation before it starts
    (rotation.reencrypt_tenant), so no row is left behind."""
    tenant = as_tenant(tenant_id)
    ttl = version_cache_seconds()
    now = time.monotonic()
    cached = _active.get((tenant, purpose))
    if cached is not None and cached[1] > now:
        return cached[0]
    version = (
        DataKey.objects.filter(tenant_id=tenant, purpose=purpose, status=DataKey.Status.ACTIVE)
        .values_list("version", flat=True)
        .first()
    )
    if version is None:
        raise MissingTenantKeyError(
            f"No active {purpose} key for practice {tenant}: call ensure_tenant_keys()"
        )
    if ttl > 0:
        with _lock:
            _active[(tenant, purpose)] = (version, now + ttl)
    return version


def data_key(tenant_id: TenantId, version: int | None = None) -> tuple[int, bytes]:
    """(version, key) of the practice's data key; the active one when version is None.

    Raises MissingTenantKeyError if that version does not exist, and
    KeyConfigurationError if the master key needed to unwrap it is not available.
    """
    tenant = as_tenant(tenant_id)
    if version is None:
        version = active_version(tenant, DataKey.Purpose.DATA)
    return version, _key(tenant, DataKey.Purpose.DATA, version)


def index_key(tenant_id: TenantId) -> bytes:
    """The practice's blind-index key."""
    tenant = as_tenant(tenant_id)
    with _lock:
        cached = _index_keys.get(tenant)
    if cached is not None:
        return cached
    key = _key(tenant, DataKey.Purpose.INDEX, active_version(tenant, DataKey.Purpose.INDEX))
    with _lock:
        _index_keys[tenant] = key
    return key


def _key(tenant: uuid.UUID, purpose: str, version: int) -> bytes:
    with _lock:
        cached = _cache.get((tenant, purpose, version))
    if cached is not None:
        return cached
    row = (
        DataKey.objects.filter(tenant_id=tenant, purpose=purpose, version=version)
        .only("master_kid", "wrapped")
        .first()
    )
    if row is None:
        raise MissingTenantKeyError(f"No {purpose} key version {version} for practice {tenant}")
    key = unwrap_row(get_key_provider(), row)
    with _lock:
        _cache[(tenant, purpose, version)] = key
    return key


def unwrap_row(provider: KeyProvider, row: DataKey) -> bytes:
    try:
        return provider.unwrap(
            row.master_kid, bytes(row.wrapped), wrap_aad(row.tenant_id, row.purpose, row.version)
        )
    except DecryptionError:
        raise KeyConfigurationError(*_wrong_key_message(provider, row.master_kid)) from None


def check_keys() -> None:
    """Start-up check: stop now if the stored data keys cannot be unwrapped.

    Before `migrate` (no table) it does nothing. With no data key at all, embedded
    mode creates the first master key file. Otherwise one key per master kid is
    unwrapped, which proves each master key present and correct.
    """
    if DataKey._meta.db_table not in connection.introspection.table_names():
        return
    if not DataKey.objects.exists():
        get_key_provider(create_if_missing=True)
        return
    provider = get_key_provider()
    for kid in DataKey.objects.values_list("master_kid", flat=True).distinct().order_by():
        row = DataKey.objects.filter(master_kid=kid).order_by("created_at").first()
        if row is None:  # deleted meanwhile
            continue
        try:
            unwrap_row(provider, row)
        except MasterKeyUnavailableError as exc:
            count = DataKey.objects.filter(master_kid=kid).count()
            raise KeyConfigurationError(
                f"{count} clé(s) de cabinet sont protégées par la clé maîtresse « {kid} », "
                f"indisponible. {exc.fr}",
                f"{count} practice key(s) are wrapped by master key '{kid}', which is "
                f"unavailable. {exc.en}",
            ) from None


def _wrong_key_message(provider: KeyProvider, kid: str) -> tuple[str, str]:
    source = provider.describe(kid)
    if isinstance(provider, FileKeyProvider):
        why_fr, why_en = "le fichier a été remplacé ou abîmé", "the file was replaced or damaged"
    else:
        why_fr = "ce n'est pas la clé utilisée pour les protéger"
        why_en = "it is not the key they were wrapped with"
    return (
        f"La clé maîtresse « {kid} » ({source}) ne déchiffre pas les clés des cabinets : {why_fr}.",
        f"Master key '{kid}' ({source}) does not unwrap the practice keys: {why_en}.",
    )
