"""Password rules beyond Django's: French common passwords and a strength estimate.

Length alone lets "Motdepasse2024!" through; zxcvbn estimates how many guesses an
attacker needs, with the French words and names an attacker would try first.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from zxcvbn import zxcvbn

WORDS_FILE = Path(__file__).parent / "data" / "mots-de-passe-courants.txt"


def _fold(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@cache
def french_words() -> frozenset[str]:
    lines = WORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(_fold(line.strip()) for line in lines if line.strip() and line[0] != "#")


class FrenchCommonPasswordValidator:
    """Refuses a password that is a common French password, with digits and
    punctuation around it stripped ("Soleil2024!" is "soleil"), or one of the
    20,000 common passwords Django ships (one message for both lists)."""

    def validate(self, password: str, user: Any = None) -> None:
        core = _fold(password).strip("0123456789!?.*_-@#$%&+= ")
        common = CommonPasswordValidator().passwords
        if (
            _fold(password) in french_words()
            or core in french_words()
            or password.lower().strip() in common
        ):
            raise ValidationError(
                _("Ce mot de passe est trop courant."), code="password_too_common"
            )

    def get_help_text(self) -> str:
        return _("Votre mot de passe ne peut pas être un mot de passe courant.")


class StrengthValidator:
    """zxcvbn score 4 ("very unguessable"), with French words and the person's own
    names as extra dictionary."""

    # 4: at least 10^10 guesses. A doctor's account opens thousands of records.
    min_score = 4

    def validate(self, password: str, user: Any = None) -> None:
        # zxcvbn ranks user inputs by position: the person's own names go first,
        # as an attacker would try them first.
        inputs: list[str] = []
        if user is not None:
            # The person's own names, accent-free and word by word: "jeanne",
            # "lefevre" from Jeanne Lefèvre <jeanne.lefevre@…>.
            raw = " ".join(
                str(getattr(user, f, "") or "") for f in ("email", "first_name", "last_name")
            )
            inputs += [w for w in re.split(r"[^a-z0-9]+", _fold(raw)) if len(w) > 2]
        inputs += sorted(french_words())
        # zxcvbn is slow on very long inputs; the cut keeps it bounded and long
        # passwords are strong anyway.
        result = zxcvbn(password[:100], user_inputs=[i for i in inputs if i])
        if result["score"] < self.min_score:
            raise ValidationError(
                _(
                    "Ce mot de passe est trop facile à deviner. Allongez-le, par exemple "
                    "avec plusieurs mots sans lien entre eux."
                ),
                code="password_too_weak",
            )

    def get_help_text(self) -> str:
        return _("Votre mot de passe doit être difficile à deviner (plusieurs mots sans lien).")
