from __future__ import annotations

import uuid

import pytest

from hygie.crypto import aead
from hygie.crypto.errors import DecryptionError


@pytest.mark.django_db
def test_a_value_round_trips(practice_a: uuid.UUID) -> None:
    blob = aead.encrypt(practice_a, b"aad", "Allergie à la pénicilline".encode())
    assert aead.decrypt(practice_a, b"aad", blob).decode() == "Allergie à la pénicilline"
    assert aead.blob_version(blob) == 1
    assert blob[0] == aead.FORMAT_V1


@pytest.mark.django_db
def test_the_same_value_encrypts_differently_each_time(practice_a: uuid.UUID) -> None:
    assert aead.encrypt(practice_a, b"", b"x") != aead.encrypt(practice_a, b"", b"x")


@pytest.mark.django_db
def test_every_tampered_byte_is_detected(practice_a: uuid.UUID) -> None:
    blob = aead.encrypt(practice_a, b"aad", b"diabete type 2")
    for position in range(len(blob)):
        tampered = bytearray(blob)
        tampered[position] ^= 0x01
        with pytest.raises(DecryptionError):
            aead.decrypt(practice_a, b"aad", bytes(tampered))


@pytest.mark.django_db
def test_truncated_or_empty_blobs_are_rejected(practice_a: uuid.UUID) -> None:
    blob = aead.encrypt(practice_a, b"", b"x")
    for broken in (b"", blob[:10], blob[:-1]):
        with pytest.raises(DecryptionError):
            aead.decrypt(practice_a, b"", broken)


@pytest.mark.django_db
def test_other_associated_data_or_practice_cannot_decrypt(
    practice_a: uuid.UUID, practice_b: uuid.UUID
) -> None:
    blob = aead.encrypt(practice_a, b"patients|nir|1", b"1850599123456")
    with pytest.raises(DecryptionError):
        aead.decrypt(practice_a, b"patients|nir|2", blob)
    with pytest.raises(DecryptionError):
        aead.decrypt(practice_b, b"patients|nir|1", blob)
