"""Errors of the crypto layer.

Two families on purpose: a *configuration* problem (missing or wrong master key)
must stop the process at start-up, while a *decryption* failure on one value means
tampering, swapping or corruption of that value and must never yield garbage.
"""

from __future__ import annotations

from django.core.exceptions import FieldError, ImproperlyConfigured


def bilingual(fr: str, en: str) -> str:
    """Operators read start-up errors in logs before any locale is active: French
    first, English on the next line."""
    return f"{fr}\n{en}"


class KeyConfigurationError(ImproperlyConfigured):
    """The master key setup cannot protect or unlock the stored data keys."""

    def __init__(self, fr: str, en: str) -> None:
        super().__init__(fr, en)  # args stay the constructor's, so it pickles
        self.fr, self.en = fr, en

    def __str__(self) -> str:
        return bilingual(self.fr, self.en)


class MasterKeyUnavailableError(KeyConfigurationError):
    """A data key is wrapped under a master key id this provider does not hold."""

    def __init__(self, kid: str, fr: str, en: str) -> None:
        super().__init__(fr, en)
        self.args = (kid, fr, en)
        self.kid = kid


class MissingTenantKeyError(LookupError):
    """The practice has no data key (ensure_tenant_keys() was not called for it)."""


class DecryptionError(Exception):
    """A ciphertext failed authentication: wrong key, tampered, or bound elsewhere."""


class EncryptedFieldUsageError(FieldError):
    """An encrypted field was used in a way that would leak or store plaintext."""
