"""allauth MFA hooks: TOTP secrets and recovery code seeds are encrypted at rest.

allauth stores them in the clear by default; a stolen database would then let an
attacker compute every user's codes. They are sealed with the platform's key."""

from __future__ import annotations

from allauth.mfa.adapter import DefaultMFAAdapter

from hygie.crypto.sealed import open_text, seal_text

AAD = b"allauth.mfa.secret"


class MfaAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        return seal_text(None, AAD, text)

    def decrypt(self, encrypted_text: str) -> str:
        return open_text(None, AAD, encrypted_text)
