"""Fixtures shared by every test: isolated keys and audit checkpoints, and the cast."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hygie.crypto.keys import clear_caches


@pytest.fixture(autouse=True)
def _isolated_keys(settings: Any, tmp_path: Path) -> Iterator[None]:
    """Each test gets its own master key directory, checkpoint directory and a cold
    key cache: keys never leak from one test (or one database) to another."""
    settings.KEYS_DIR = tmp_path / "keys"
    settings.MASTER_KEY = None
    settings.MASTER_KEY_PREVIOUS = None
    settings.AUDIT_CHECKPOINT_DIR = tmp_path / "audit"
    # No cached active key version: rotation tests must not wait for it to expire.
    settings.KEY_VERSION_CACHE_SECONDS = 0
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Argon2 is slow by design; tests that check hashing restore it explicitly
    # (accounts/tests/test_passwords.py).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    clear_caches()
    yield
    clear_caches()


@pytest.fixture
def cast(db: None) -> Any:
    from tests.cast import build_cast

    return build_cast()
