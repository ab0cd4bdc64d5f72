"""Hosted mode keeps throttling counters and used TOTP codes in Redis, shared by
every app server: a code used on one server is refused on the others."""

from __future__ import annotations

import socket

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.core.cache import caches

from tests.cast import enrol_totp

REDIS = ("127.0.0.1", 6379)


def redis_answers() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
def redis_cache(settings):
    if not redis_answers():
        pytest.skip("Redis not reachable at 127.0.0.1:6379 (the CI machine has one)")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/15",
            "KEY_PREFIX": "hygie-test",
        }
    }
    caches["default"].clear()
    yield caches["default"]
    caches["default"].clear()


@pytest.mark.django_db
def test_a_totp_code_used_on_one_server_is_refused_on_another(cast, redis_cache):
    import time

    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    secret = enrol_totp(cast.alice.user)
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    server_one = TOTP(Authenticator.objects.get(user=cast.alice.user, type="totp"))
    server_two = TOTP(Authenticator.objects.get(user=cast.alice.user, type="totp"))
    assert server_one.validate_code(code)
    assert not server_two.validate_code(code)
    stored = redis_cache._cache.get_client().scan_iter(match="*allauth.mfa.totp.used*")
    assert list(stored)
