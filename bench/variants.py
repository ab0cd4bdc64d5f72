"""The switches that take audit or encryption out of a request, to show their cost.

They are benchmark-only monkeypatches, applied before the first request in a
process of its own, never in the app. Each replaces one seam:

- audit: `record_event` is replaced by a no-op where the read path calls it
  (hygie.audit.actions and the names it is imported under in hygie.patients).
  The access checks still run; only the three audit queries and the hashing go.
- encryption: `hygie.crypto.aead.encrypt`/`decrypt` become the identity. Field
  values are then stored in clear, so a plaintext variant needs its own data
  directory generated with the same switch (see bench.datadir). The blind
  indexes (keyed HMACs) stay: the search request is the same request.
"""

from __future__ import annotations

from typing import Any

AUDIT_IMPORTERS = (
    "hygie.audit.actions",
    "hygie.patients.access",
    "hygie.patients.actions",
)


def disable_audit() -> None:
    import importlib

    from hygie.audit.actions import AuditEvent

    def record_event(*args: Any, **kwargs: Any) -> AuditEvent:
        return AuditEvent()

    for name in AUDIT_IMPORTERS:
        module = importlib.import_module(name)
        assert hasattr(module, "record_event"), f"{name} no longer imports record_event"
        module.record_event = record_event  # type: ignore[attr-defined]


PLAINTEXT_MARK = b"\x00plain:"


def disable_encryption() -> None:
    """Identity AEAD, with a marker so a plaintext blob is never mistaken for a
    ciphertext (and an encrypted data directory read this way fails loudly)."""
    from hygie.crypto import aead
    from hygie.crypto.errors import DecryptionError

    def encrypt(tenant_id: object, aad: bytes, plaintext: bytes) -> bytes:
        return PLAINTEXT_MARK + plaintext

    def decrypt(tenant_id: object, aad: bytes, blob: bytes) -> bytes:
        if not blob.startswith(PLAINTEXT_MARK):
            raise DecryptionError("bench: an encrypted value in a plaintext data directory")
        return blob[len(PLAINTEXT_MARK) :]

    aead.encrypt = encrypt  # type: ignore[assignment]
    aead.decrypt = decrypt  # type: ignore[assignment]


def apply(*, audit: bool, encryption: bool) -> None:
    if not audit:
        disable_audit()
    if not encryption:
        disable_encryption()
