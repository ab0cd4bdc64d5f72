"""Authenticated encryption of values under a practice's data key.

Blob: 1 format byte | 4-byte key version (big endian) | 12-byte nonce | ciphertext+tag.
The header is part of the associated data, so changing the version byte or the
format is detected like any other tampering.
"""

from __future__ import annotations

import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hygie.crypto.errors import DecryptionError, MissingTenantKeyError
from hygie.crypto.keys import TenantId, data_key

FORMAT_V1 = 1
_HEADER = struct.Struct(">BI")
NONCE_BYTES = 12
TAG_BYTES = 16
MIN_BLOB = _HEADER.size + NONCE_BYTES + TAG_BYTES


def encrypt(tenant_id: TenantId, aad: bytes, plaintext: bytes) -> bytes:
    """Encrypt under the practice's active data key, binding `aad`."""
    version, key = data_key(tenant_id)
    header = _HEADER.pack(FORMAT_V1, version)
    # Random 96-bit nonces: with one key per practice and re-keying on rotation,
    # the number of encryptions per key stays far below the 2^32 safety bound.
    nonce = os.urandom(NONCE_BYTES)
    return header + nonce + AESGCM(key).encrypt(nonce, plaintext, header + aad)


def decrypt(tenant_id: TenantId, aad: bytes, blob: bytes) -> bytes:
    """Decrypt a blob made by encrypt() with the same tenant and `aad`.

    Raises DecryptionError for anything that does not authenticate; a missing or
    wrong master key surfaces as KeyConfigurationError instead, since that is a
    deployment problem, not a bad value.
    """
    version = blob_version(blob)
    try:
        _, key = data_key(tenant_id, version)
    except MissingTenantKeyError:
        # Typically a ciphertext moved to another practice that has no such version.
        raise DecryptionError(f"no data key version {version} for this practice") from None
    header = blob[: _HEADER.size]
    nonce = blob[_HEADER.size : _HEADER.size + NONCE_BYTES]
    try:
        return AESGCM(key).decrypt(nonce, blob[_HEADER.size + NONCE_BYTES :], header + aad)
    except InvalidTag:
        raise DecryptionError("ciphertext does not authenticate") from None


def blob_version(blob: bytes) -> int:
    """The data key version a blob was encrypted with (rotation reads it unencrypted)."""
    if len(blob) < MIN_BLOB:
        raise DecryptionError("ciphertext too short")
    fmt, version = _HEADER.unpack_from(blob)
    if fmt != FORMAT_V1:
        raise DecryptionError(f"unknown ciphertext format {fmt}")
    return int(version)
