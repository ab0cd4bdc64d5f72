"""Master key providers: the keys that wrap (encrypt) the per-practice data keys.

The master key never touches patient data directly; it only wraps 32-byte data
keys (envelope encryption). Rotating it therefore means re-wrapping a few rows,
not re-encrypting the database.

Adding a KMS (hosted deployments): write a class satisfying `KeyProvider` whose
`wrap`/`unwrap` call the KMS Encrypt/Decrypt operations, passing `aad` as the
encryption context, and name a zero-argument factory returning it in
`settings.KEY_PROVIDER` (dotted path; e.g. from
an HYGIE_KEY_PROVIDER variable). `get_key_provider()` then uses it
instead of the environment or file providers.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
import stat
from pathlib import Path
from typing import Protocol, runtime_checkable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.utils.module_loading import import_string

from hygie.crypto.errors import DecryptionError, KeyConfigurationError, MasterKeyUnavailableError

KEY_BYTES = 32
NONCE_BYTES = 12
KID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_B64URL_RE = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")
_FILE_RE = re.compile(r"^master-([A-Za-z0-9_-]{1,64})\.key$")


@runtime_checkable
class KeyProvider(Protocol):
    def current_kid(self) -> str:
        """Id of the master key that wraps new data keys."""
        ...

    def wrap(self, key: bytes, aad: bytes) -> tuple[str, bytes]:
        """Encrypt `key` under the current master key; returns (kid, wrapped)."""
        ...

    def unwrap(self, kid: str, wrapped: bytes, aad: bytes) -> bytes:
        """Decrypt a wrapped key. Raises MasterKeyUnavailableError if `kid` is not
        held, DecryptionError if the master key or `aad` does not match."""
        ...

    def describe(self, kid: str) -> str:
        """Where master key `kid` comes from, for error messages (never the key)."""
        ...


def _aes_wrap(master: bytes, key: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(master).encrypt(nonce, key, aad)


def _aes_unwrap(master: bytes, wrapped: bytes, aad: bytes) -> bytes:
    try:
        return AESGCM(master).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], aad)
    except InvalidTag:
        raise DecryptionError("wrapped key does not authenticate") from None


class _StaticKeyProvider:
    """Shared logic once the master keys are in memory, newest last."""

    def __init__(self, keys: dict[str, bytes], current: str) -> None:
        self._keys = keys
        self._current = current

    def current_kid(self) -> str:
        return self._current

    def known_kids(self) -> list[str]:
        return list(self._keys)

    def wrap(self, key: bytes, aad: bytes) -> tuple[str, bytes]:
        return self._current, _aes_wrap(self._keys[self._current], key, aad)

    def unwrap(self, kid: str, wrapped: bytes, aad: bytes) -> bytes:
        master = self._keys.get(kid)
        if master is None:
            raise MasterKeyUnavailableError(kid, *self._missing_message(kid))
        return _aes_unwrap(master, wrapped, aad)

    def describe(self, kid: str) -> str:
        raise NotImplementedError

    def _missing_message(self, kid: str) -> tuple[str, str]:
        raise NotImplementedError


class FileKeyProvider(_StaticKeyProvider):
    """Embedded mode: master keys are files `master-<kid>.key` in the keys directory.

    The newest key (highest sequence number in its kid) is current; older files stay
    to unwrap keys not yet re-wrapped. A key file is created only on explicit request:
    inventing a new master key while data keys exist would hide a lost key file and
    make every record unreadable later instead of failing now.
    """

    def __init__(self, keys_dir: Path, *, create_if_missing: bool = False) -> None:
        self.keys_dir = Path(keys_dir)
        keys = self._load()
        if not keys:
            if not create_if_missing:
                raise KeyConfigurationError(
                    f"Aucune clé maîtresse dans {self.keys_dir} (fichier master-*.key).",
                    f"No master key in {self.keys_dir} (master-*.key file).",
                )
            self._create_key_file()
            keys = self._load()
        super().__init__(keys, max(keys, key=_kid_order))

    def create_new_master(self) -> str:
        """Write a new master key file that becomes current; returns its kid."""
        kid = self._create_key_file()
        self._keys = self._load()
        self._current = max(self._keys, key=_kid_order)
        return kid

    def path_for(self, kid: str) -> Path:
        return self.keys_dir / f"master-{kid}.key"

    def describe(self, kid: str) -> str:
        return f"{self.path_for(kid)}"

    def _missing_message(self, kid: str) -> tuple[str, str]:
        path = self.path_for(kid)
        return (
            f"Le fichier de clé maîtresse {path} est introuvable : restaurez-le depuis "
            "votre sauvegarde (Hygie n'en crée pas de nouveau).",
            f"Master key file {path} is missing: restore it from your backup "
            "(Hygie will not create a new one).",
        )

    def _load(self) -> dict[str, bytes]:
        if not self.keys_dir.is_dir():
            return {}
        keys: dict[str, bytes] = {}
        for path in sorted(self.keys_dir.iterdir()):
            match = _FILE_RE.match(path.name)
            if match is None:
                continue
            _check_private(path)
            data = path.read_bytes()
            if len(data) != KEY_BYTES:
                raise KeyConfigurationError(
                    f"Le fichier {path} ne contient pas une clé de {KEY_BYTES} octets.",
                    f"{path} does not hold a {KEY_BYTES}-byte key.",
                )
            keys[match.group(1)] = data
        return keys

    def _create_key_file(self) -> str:
        self.keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.keys_dir, 0o700)  # mkdir's mode is filtered by the umask
        existing = self._load()
        sequence = max((_kid_order(kid)[0] for kid in existing), default=0) + 1
        # The random suffix keeps kids unique even if a lost file's sequence number
        # is reused, so a wrong key is reported as missing, not as tampering.
        kid = f"{sequence:04d}-{secrets.token_hex(4)}"
        fd = os.open(self.path_for(kid), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, secrets.token_bytes(KEY_BYTES))
            os.fsync(fd)
        finally:
            os.close(fd)
        return kid


class EnvKeyProvider(_StaticKeyProvider):
    """Hosted mode: HYGIE_MASTER_KEY (and HYGIE_MASTER_KEY_PREVIOUS while rotating),
    each "kid:base64url(32 bytes)"."""

    def __init__(self, current: str, previous: str | None = None) -> None:
        kid, key = parse_master_key(current, "HYGIE_MASTER_KEY")
        keys = {kid: key}
        if previous:
            old_kid, old_key = parse_master_key(previous, "HYGIE_MASTER_KEY_PREVIOUS")
            if old_kid == kid:
                raise KeyConfigurationError(
                    "HYGIE_MASTER_KEY et HYGIE_MASTER_KEY_PREVIOUS ont le même identifiant "
                    f"« {kid} ».",
                    f"HYGIE_MASTER_KEY and HYGIE_MASTER_KEY_PREVIOUS share the key id '{kid}'.",
                )
            keys[old_kid] = old_key
        super().__init__(keys, kid)

    def describe(self, kid: str) -> str:
        if kid == self._current:
            return "HYGIE_MASTER_KEY"
        return "HYGIE_MASTER_KEY_PREVIOUS"

    def _missing_message(self, kid: str) -> tuple[str, str]:
        present = ", ".join(self._keys)
        return (
            f"Aucune clé maîtresse « {kid} » dans HYGIE_MASTER_KEY ni "
            f"HYGIE_MASTER_KEY_PREVIOUS (clés présentes : {present}).",
            f"No master key '{kid}' in HYGIE_MASTER_KEY or HYGIE_MASTER_KEY_PREVIOUS "
            f"(present: {present}).",
        )


def parse_master_key(value: str, name: str) -> tuple[str, bytes]:
    """Parse "kid:base64url" from variable `name`; errors never echo the secret."""
    kid, sep, encoded = value.strip().partition(":")
    if not sep or not KID_RE.match(kid):
        raise KeyConfigurationError(
            f"{name} doit avoir la forme « identifiant:base64url(32 octets) », "
            "identifiant en [A-Za-z0-9_-].",
            f"{name} must look like 'kid:base64url(32 bytes)', kid made of [A-Za-z0-9_-].",
        )
    try:
        # urlsafe_b64decode silently drops stray characters: check the alphabet first.
        if not _B64URL_RE.match(encoded):
            raise ValueError(encoded)
        key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (binascii.Error, ValueError):
        raise KeyConfigurationError(
            f"{name} : la partie après « : » n'est pas du base64url valide.",
            f"{name}: the part after ':' is not valid base64url.",
        ) from None
    if len(key) != KEY_BYTES:
        raise KeyConfigurationError(
            f"{name} : la clé fait {len(key)} octets au lieu de {KEY_BYTES}.",
            f"{name}: the key is {len(key)} bytes long, not {KEY_BYTES}.",
        )
    return kid, key


def generate_master_key_value(kid: str) -> str:
    """A fresh "kid:base64url" value for HYGIE_MASTER_KEY (used by docs and tests)."""
    encoded = base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode().rstrip("=")
    return f"{kid}:{encoded}"


def get_key_provider(*, create_if_missing: bool = False) -> KeyProvider:
    """The configured provider: a KMS hook, else the environment (hosted), else files.

    `create_if_missing` only concerns the file provider; callers pass True only
    when no wrapped data key exists yet (see keys.check_keys()).
    """
    factory_path = getattr(settings, "KEY_PROVIDER", None)
    if factory_path:
        provider = import_string(factory_path)()
        if not isinstance(provider, KeyProvider):
            raise KeyConfigurationError(
                f"{factory_path} n'a pas renvoyé de KeyProvider.",
                f"{factory_path} did not return a KeyProvider.",
            )
        return provider
    if settings.MASTER_KEY:
        return EnvKeyProvider(settings.MASTER_KEY, settings.MASTER_KEY_PREVIOUS)
    return FileKeyProvider(settings.KEYS_DIR, create_if_missing=create_if_missing)


def _kid_order(kid: str) -> tuple[int, str]:
    head = kid.split("-", 1)[0]
    return (int(head) if head.isdigit() else -1, kid)


def _check_private(path: Path) -> None:
    # Like ssh with private keys: a key file others can read is a leak waiting to
    # happen, so refuse it loudly rather than use it. (POSIX permissions only.)
    if os.name != "posix":
        return
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyConfigurationError(
            f"{path} est lisible par d'autres utilisateurs : chmod 600 {path}",
            f"{path} is accessible to other users: chmod 600 {path}",
        )
