"""Form overrides of allauth, registered in settings.MFA_FORMS."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.forms import ActivateTOTPForm as BaseActivateTOTPForm
from allauth.mfa.totp.internal.auth import TOTP


class ActivateTOTPForm(BaseActivateTOTPForm):
    """allauth remembers used codes at login only: the code typed to activate TOTP
    could then be replayed at the next login. Mark it used here too."""

    def clean_code(self) -> str:
        code = str(super().clean_code())
        probe = TOTP(Authenticator(user_id=self.user.pk, type=Authenticator.Type.TOTP))
        probe._mark_code_used(code)
        return code
