"""Folding of labels and queries, and the two spellings of a CIM-10 code.

The same functions serve the loader (what is indexed) and the search (what is
looked up), so that the two can never disagree on what a word is."""

from __future__ import annotations

import re
import unicodedata

# NFKD splits "é" into "e" + an accent, and "²" into "2", but leaves ligatures whole.
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss"})
# A CIM-10 code without its dot: a letter, two digits, then up to three characters,
# digits or the "+" of the ATIH extensions ("B24+0", "C169+8", "F03+00").
COMPACT_CODE = re.compile(r"[A-Z][0-9]{2}[0-9A-Z+]{0,3}")
# What a code search accepts as a start of code ("e1", "E11.", "e11.9", "B24.+").
_CODE_QUERY = re.compile(r"[A-Z][0-9]([0-9][0-9A-Z+]{0,3})?")
WORD_MAX_LENGTH = 40
# The accents NFKD splits off Latin letters (U+0300-U+036F, combining diacritics).
_ACCENTS = re.compile("[\u0300-\u036f]+")
_NOT_WORD = re.compile("[^a-z0-9]+")


def fold(text: str) -> str:
    """Lower case, accents and ligatures removed, every run of characters other
    than ASCII letters and digits replaced by one space: "Œdème aigu (du poumon)"
    → "oedeme aigu du poumon"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    # Regular expressions rather than a loop over characters: the loader folds
    # 43,000 labels, and this is most of its parsing time.
    return _NOT_WORD.sub(" ", _ACCENTS.sub("", decomposed)).strip()


def label_words(label: str) -> list[str]:
    """The distinct folded words of a label, in order of first appearance."""
    return list(dict.fromkeys(word[:WORD_MAX_LENGTH] for word in fold(label).split()))


def dotted(compact: str) -> str:
    """The code as a doctor writes it: "E119" → "E11.9", "B24+0" → "B24.+0", "I10" → "I10"."""
    return compact if len(compact) <= 3 else f"{compact[:3]}.{compact[3:]}"


def compact_query(query: str) -> str | None:
    """The compact start of code a query asks for ("e11.9" → "E119", "E1" → "E1"),
    or None when the query does not look like a code."""
    candidate = query.strip().upper().replace(".", "")
    return candidate if _CODE_QUERY.fullmatch(candidate) else None


def prefix_end(prefix: str) -> str:
    """The smallest string greater than every string that starts with `prefix`
    (its last character moved up by one): `prefix <= s < prefix_end(prefix)` is
    "s starts with prefix" in byte order, which a b-tree index answers directly,
    where LIKE 'prefix%' would need a collation SQLite and PostgreSQL do not share.
    `prefix` is ASCII (folded words, compact codes), so its last character is
    never the highest code point."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)
