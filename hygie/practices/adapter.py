"""allauth hooks. Staff accounts are created by practice admins, never by sign-up.
(Refusing departed or inactive accounts is the authentication backend's job:
hygie/practices/auth.py, so that the answer is the same as for a wrong password.)"""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False
