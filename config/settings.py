"""Hygie settings: the only settings file. Every value comes from the environment.

The helpers below fail loudly on a malformed value: a typo in the operator's
configuration must stop start-up, not fall back silently to a default.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str | None = None) -> str | None:
    """A string from NAME, or from the file named by NAME_FILE (for secrets)."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={file_name} cannot be read: {exc}") from exc
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use true or false)")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer") from exc
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} must be at least {minimum}")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DATA_DIR = Path(env_str("HYGIE_DATA_DIR", str(BASE_DIR / "var")) or "var").resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("HYGIE_DEBUG", False)
HTTPS = env_bool("HYGIE_HTTPS", False)


def _secret_key() -> str:
    """Hosted deployments pass HYGIE_SECRET_KEY; embedded ones keep one in the data dir."""
    configured = env_str("HYGIE_SECRET_KEY")
    if configured:
        if len(configured) < 32:
            raise ImproperlyConfigured("HYGIE_SECRET_KEY must be at least 32 characters long")
        return configured
    path = DATA_DIR / "secret_key"
    if not path.exists():
        # Written aside then linked into place: two processes starting together
        # both succeed and agree on the first key written.
        tmp = path.with_name(f".secret_key.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_urlsafe(50))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("HYGIE_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("HYGIE_CSRF_TRUSTED_ORIGINS", [])
# Reverse proxies whose X-Forwarded-For is believed (addresses or networks).
TRUSTED_PROXIES = env_list("HYGIE_TRUSTED_PROXIES", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_tasks",
    "django_tasks_db",
    "oauth2_provider",
    "hygie.core",
    "hygie.terminology",
    "hygie.crypto",
    "hygie.audit",
    "hygie.accounts",
    "hygie.practices",
    "hygie.patients",
    "hygie.clinical",
    "hygie.fhir",
    "hygie.web",
]

MIDDLEWARE = [
    "hygie.web.middleware.TrustedProxyMiddleware",
    "hygie.web.middleware.SecurityHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "hygie.web.middleware.RequestSizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "hygie.accounts.middleware.SessionGuardMiddleware",
    "hygie.accounts.middleware.MfaRequiredMiddleware",
    "hygie.practices.middleware.ActorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "hygie.web.middleware.FailureMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Hygie's overrides of allauth's templates must win over allauth's own.
        "DIRS": [BASE_DIR / "hygie" / "web" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "hygie.web.context.hygie",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'hygie.sqlite3'}") or ""
try:
    _db: dict[str, Any] = dict(dj_database_url.parse(DATABASE_URL, conn_max_age=60))
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from exc
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # Django's backend with writers queued instead of sleeping in SQLite's busy
    # handler (hygie/core/sqlite/write_queue.py).
    _db["ENGINE"] = "hygie.core.sqlite"
    # Tests use an in-memory database, Django's default for SQLite; said outright
    # because pytest-django recognises SQLite by the stock ENGINE name only.
    _db["TEST"] = {"NAME": ":memory:"}
    # WAL lets readers go on while one writer commits; IMMEDIATE takes the write
    # lock at BEGIN so two writers queue instead of failing on lock upgrade.
    # Persistent connections: opening SQLite and its PRAGMAs on every request, with
    # a cold page cache, cost 3-4 ms a request (docs/performance.md).
    _db["CONN_MAX_AGE"] = env_int("HYGIE_CONN_MAX_AGE", 600, minimum=0)
    # mmap: every audited request writes, and a write makes every other
    # connection drop its page cache at its next transaction; with the file
    # mapped, reading the pages again costs no system calls (reads over HTTP
    # went from 5.7 to 3.1 ms, docs/performance.md). Address space, not memory.
    _db["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL;PRAGMA synchronous=FULL;"
            "PRAGMA foreign_keys=ON;PRAGMA busy_timeout=10000;"
            "PRAGMA mmap_size=1073741824;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 10,
    }
elif _db["ENGINE"] == "django.db.backends.postgresql":
    _db["CONN_HEALTH_CHECKS"] = True
else:
    raise ImproperlyConfigured(f"DATABASE_URL: unsupported engine {_db['ENGINE']}")
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (throttling, used TOTP codes, client assertion jti): shared across processes
REDIS_URL = env_str("HYGIE_REDIS_URL")
CACHES: dict[str, dict[str, Any]]
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "hygie_cache",
            # Django culls a third of the entries past 300 by default: a used TOTP
            # code or a client assertion's jti must not be forgotten early because
            # someone filled the cache with failed logins.
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Accounts and authentication -----------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["hygie.practices.auth.MembershipAuthenticationBackend"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "hygie.accounts.passwords.FrenchCommonPasswordValidator"},
    {"NAME": "hygie.accounts.passwords.StrengthValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "web:home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_ADAPTER = "hygie.practices.adapter.AccountAdapter"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_EMAIL_NOTIFICATIONS = True  # password and MFA changes are mailed to the user
# Soft, time-based throttling per account ("key") and per address: an attacker
# slows the real user down for minutes at most, never locks them out for good.
ACCOUNT_RATE_LIMITS = {
    "login_failed": env_str("HYGIE_LOGIN_RATE_LIMIT", "20/m/ip,5/5m/key"),
    "login": "30/m/ip",
    "reset_password": "5/m/ip,3/m/key",
}
MFA_ADAPTER = "hygie.accounts.mfa_adapter.MfaAdapter"
MFA_FORMS = {"activate_totp": "hygie.accounts.forms.ActivateTOTPForm"}
# Before adding or removing a factor: the password or a factor, never a mailed code.
ACCOUNT_REAUTHENTICATION_METHODS = ["password", "mfa"]
# Staff e-mail addresses are managed by practice admins.
ACCOUNT_MAX_EMAIL_ADDRESSES = 1
ACCOUNT_CHANGE_EMAIL = False
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG or not HTTPS
MFA_TOTP_ISSUER = "Hygie"
MFA_TOTP_TOLERANCE = 1  # one 30 s step either side, for phone clocks that drift
MFA_RECOVERY_CODE_COUNT = 10

# --- Sessions ---------------------------------------------------------------
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS
SESSION_COOKIE_NAME = "__Host-hygie" if HTTPS else "hygie_session"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_IDLE_SECONDS = env_int("HYGIE_SESSION_IDLE_SECONDS", 15 * 60, minimum=60)
SESSION_ABSOLUTE_SECONDS = env_int("HYGIE_SESSION_ABSOLUTE_SECONDS", 12 * 3600, minimum=300)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SAMESITE = "Strict"
ACCOUNT_DORMANT_DAYS = env_int("HYGIE_DORMANT_DAYS", 90, minimum=1)

# --- Security headers ------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if HTTPS:
    SECURE_SSL_REDIRECT = env_bool("HYGIE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = 63072000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("HYGIE_MAX_REQUEST_BYTES", 2 * 1024 * 1024, minimum=1024)
HYGIE_MAX_REQUEST_BYTES = DATA_UPLOAD_MAX_MEMORY_SIZE

# --- Clinical access rules ------------------------------------------------
BASE_URL = env_str("HYGIE_BASE_URL", "http://127.0.0.1:8000") or ""
CARE_WINDOW_DAYS = env_int("HYGIE_CARE_WINDOW_DAYS", 365, minimum=1)
BREAK_GLASS_DAYS = env_int("HYGIE_BREAK_GLASS_DAYS", 7, minimum=1)

# --- FHIR API authorization: OAuth 2.0 / SMART on FHIR (decision 0010) -------
# The token, code and client models are Hygie's (they carry the practice, the
# membership and the launch patient); DOT's own are swapped out.
OAUTH2_PROVIDER_APPLICATION_MODEL = "fhir.ApiClient"
OAUTH2_PROVIDER_GRANT_MODEL = "fhir.AuthorizationCode"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "fhir.AccessToken"  # noqa: S105 (a model name)
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "fhir.RefreshToken"  # noqa: S105 (a model name)
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "fhir.IdToken"  # noqa: S105 (a model name)
# How long an unused offline_access refresh token stays valid (sliding).
OAUTH_REFRESH_TOKEN_DAYS = env_int("HYGIE_OAUTH_REFRESH_TOKEN_DAYS", 30, minimum=1)
OAUTH2_PROVIDER = {
    "OAUTH2_SERVER_CLASS": "hygie.fhir.smart.server.SmartServer",
    "OAUTH2_VALIDATOR_CLASS": "hygie.fhir.smart.validator.SmartValidator",
    "SCOPES_BACKEND_CLASS": "hygie.fhir.smart.validator.SmartScopes",
    "SCOPES": {},
    "DEFAULT_SCOPES": [],
    "PKCE_REQUIRED": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    # SMART Backend Services: "expires_in SHOULD NOT exceed 300"; App Launch too.
    "ACCESS_TOKEN_EXPIRE_SECONDS": 300,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
    "REFRESH_TOKEN_EXPIRE_SECONDS": OAUTH_REFRESH_TOKEN_DAYS * 86400,
    # https only; a client registered with a loopback http:// redirect URI (native
    # app, RFC 8252) is allowed http for itself (ApiClient.get_allowed_schemes).
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    # RFC 9207: the authorization response names its issuer, the FHIR base URL.
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "OIDC_ISS_ENDPOINT": BASE_URL.rstrip("/") + "/fhir/R4",
    "REQUEST_APPROVAL_PROMPT": "force",
}

# --- Encryption keys --------------------------------------------------------
# Embedded: a key file created at first start in HYGIE_DATA_DIR/keys (mode 0600).
# Hosted: HYGIE_MASTER_KEY (or HYGIE_MASTER_KEY_FILE), "kid:base64url(32 bytes)".
MASTER_KEY = env_str("HYGIE_MASTER_KEY")
MASTER_KEY_PREVIOUS = env_str("HYGIE_MASTER_KEY_PREVIOUS")
KEYS_DIR = DATA_DIR / "keys"
# How long a process may keep using the previous data key version after a rotation.
KEY_VERSION_CACHE_SECONDS = env_int("HYGIE_KEY_VERSION_CACHE_SECONDS", 5, minimum=0)
AUDIT_CHECKPOINT_DIR = Path(env_str("HYGIE_AUDIT_CHECKPOINT_DIR", str(DATA_DIR / "audit")) or "")

# --- Email ---------------------------------------------------------------
EMAIL_BACKEND = env_str("HYGIE_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = str(DATA_DIR / "mail")
EMAIL_HOST = env_str("HYGIE_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("HYGIE_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("HYGIE_EMAIL_USER", "") or ""
EMAIL_HOST_PASSWORD = env_str("HYGIE_EMAIL_PASSWORD", "") or ""
EMAIL_USE_TLS = env_bool("HYGIE_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = env_str("HYGIE_EMAIL_FROM", "Hygie <securite@hygie.invalid>")

# --- Internationalisation: French first ---------------------------------------
LANGUAGE_CODE = "fr"
# French only until an English translation exists: a browser asking for English
# would otherwise get allauth's English messages inside French pages.
LANGUAGES = [("fr", "Français")]
TIME_ZONE = env_str("HYGIE_TIME_ZONE", "Europe/Paris") or "Europe/Paris"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "hygie" / "locale"]

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise serves from the finders; the dir must exist
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("HYGIE_LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}
