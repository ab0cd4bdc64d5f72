"""Keyed blind indexes: equality and prefix search over encrypted values.

An index is HMAC-SHA256(practice index key, purpose NUL value) truncated to 16
bytes. Without the practice's index key a stolen database cannot test guesses
(e.g. a NIR or a name) against it; the same value in two practices gives
unrelated tokens. What it still reveals is equality inside one practice and
purpose; see docs/decisions/0003-envelope-encryption.md.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

from hygie.crypto.keys import TenantId, index_key

INDEX_BYTES = 16
NAME_PREFIX_PURPOSE = "name.prefix"
NAME_MIN_LEN = 2
NAME_MAX_LEN = 12

_PURPOSE_RE = re.compile(r"^[a-z0-9_.:-]{1,64}$")
# Apostrophes and hyphens (typed or typographic) break words in names.
_SEPARATORS = "'`_-\u2019\u2018\u02bc\u00b4\u2010\u2011\u2012\u2013\u2014"
# Letters that NFKD does not decompose but that people type as plain Latin.
_FOLD = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th"})


def blind_index(tenant_id: TenantId, purpose: str, value: str | bytes) -> bytes:
    """The practice's keyed index of `value` for `purpose` (e.g. "patient.nir").

    The caller normalizes `value`; the purpose separates domains so the index of a
    NIR can never equal that of a name with the same characters.
    """
    if not _PURPOSE_RE.match(purpose):
        raise ValueError(f"invalid blind index purpose {purpose!r}")
    data = value.encode() if isinstance(value, str) else value
    message = purpose.encode() + b"\x00" + data
    return hmac.new(index_key(tenant_id), message, hashlib.sha256).digest()[:INDEX_BYTES]


def normalize_name(name: str) -> str:
    """Fold a name for indexing: "Lefèvre-Durand" and "LEFEVRE durand" → "lefevre durand"."""
    folded = unicodedata.normalize("NFKD", name.casefold())
    chars: list[str] = []
    for char in folded.translate(_FOLD):
        if unicodedata.combining(char):
            continue  # accents, once NFKD has split them from their letter
        if char.isalnum():
            chars.append(char)
        elif char.isspace() or char in _SEPARATORS:
            chars.append(" ")
        # anything else (dots, commas, digits' punctuation) is dropped
    return " ".join("".join(chars).split())


def name_prefix_tokens(
    tenant_id: TenantId, *names: str, min_len: int = NAME_MIN_LEN, max_len: int = NAME_MAX_LEN
) -> set[bytes]:
    """Index tokens of every prefix (min_len..max_len) of every word of `names`."""
    tokens: set[bytes] = set()
    for name in names:
        for word in normalize_name(name).split():
            for length in range(min_len, min(len(word), max_len) + 1):
                tokens.add(blind_index(tenant_id, NAME_PREFIX_PURPOSE, word[:length]))
    return tokens


def name_query_tokens(
    tenant_id: TenantId, query: str, *, min_len: int = NAME_MIN_LEN, max_len: int = NAME_MAX_LEN
) -> list[bytes]:
    """One token per word of a search query, matching name_prefix_tokens(): words
    shorter than min_len are ignored, longer ones cut to max_len."""
    return [
        blind_index(tenant_id, NAME_PREFIX_PURPOSE, word[:max_len])
        for word in normalize_name(query).split()
        if len(word) >= min_len
    ]
