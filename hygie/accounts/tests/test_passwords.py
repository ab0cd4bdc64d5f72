"""Password rules: Argon2id, and weak or common passwords refused (French too)."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError


def test_passwords_are_hashed_with_argon2id(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    assert make_password("Hiboux-Trombone-Garance-1789").startswith("argon2$argon2id$")


@pytest.mark.parametrize(
    "password",
    [
        "motdepasse123",
        "Azertyuiop!!",
        "Marseille2024!",
        "Soleil-Soleil",
        "Docteur12345",
        "Password1234",
        "123456789012",
        "qwertyuiop12",
    ],
)
def test_common_and_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_a_long_passphrase_is_accepted():
    validate_password("Hiboux-Trombone-Garance-1789")


def test_a_password_made_of_the_users_name_is_refused(db):
    from hygie.accounts.models import User

    user = User(email="jeanne.lefevre@a.test", first_name="Jeanne", last_name="Lefèvre")
    with pytest.raises(ValidationError):
        validate_password("JeanneLefevre2026", user)
