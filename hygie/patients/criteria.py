"""Criteria for finding patients, as the FHIR API's search asks for them.

A search is a conjunction of conditions; each condition is a disjunction of
values (FHIR: repeated parameters AND, comma-separated values OR). Identity
fields are encrypted, so each condition says two things:

- `index_filter(practice_id, via)`: the filter that selects its candidates through
  a keyed blind index or a plain column, or None when no index serves it; `via`
  prefixes the Patient fields (`"patient__"` when the query starts from the name
  index, see access.find_patients);
- `matches(patient)`: the test on a decrypted patient.

`exact` tells whether the candidates are exactly the matches, in which case no
row needs decrypting to count or page them (access.find_patients). Pure code
over the models; access.py is the only caller with an actor.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from dataclasses import dataclass
from typing import Protocol

from django.db.models import Q

from hygie.crypto.blind import NAME_MAX_LEN, NAME_MIN_LEN, normalize_name

from . import queries
from .models import Patient


class Condition(Protocol):
    @property
    def exact(self) -> bool: ...

    def index_filter(self, practice_id: uuid.UUID, via: str = "") -> Q | None: ...

    def matches(self, patient: Patient) -> bool: ...


@dataclass(frozen=True)
class IdIn:
    ids: frozenset[uuid.UUID]
    exact = True

    def index_filter(self, practice_id: uuid.UUID, via: str = "") -> Q:
        return Q(**{f"{via}pk__in": self.ids})

    def matches(self, patient: Patient) -> bool:
        return patient.pk in self.ids


@dataclass(frozen=True)
class InsIn:
    """INS matricules (NIR or NIA), with their OID when the system was given."""

    values: frozenset[tuple[str, str]]  # (oid or "", matricule)

    @property
    def exact(self) -> bool:
        return not any(oid for oid, _nir in self.values)  # the index knows no OID

    def index_filter(self, practice_id: uuid.UUID, via: str = "") -> Q:
        indexes = [queries.nir_index(practice_id, nir) for _oid, nir in self.values]
        return Q(**{f"{via}nir_index__in": indexes})

    def matches(self, patient: Patient) -> bool:
        return any(
            patient.nir == nir and (not oid or patient.ins_oid == oid) for oid, nir in self.values
        )


class NamePart(enum.Enum):
    ANY = "name"
    FAMILY = "family"
    GIVEN = "given"


@dataclass(frozen=True)
class NameValue:
    text: str
    exact: bool = False  # FHIR :exact, whole name part, case and accents count


def _parts(patient: Patient, part: NamePart) -> list[str]:
    family = [patient.birth_family_name or "", patient.used_family_name or ""]
    given = [patient.birth_given_names or "", patient.used_given_name or ""]
    chosen = {NamePart.ANY: family + given, NamePart.FAMILY: family, NamePart.GIVEN: given}[part]
    return [p for p in chosen if p]


def _value_matches(patient: Patient, part: NamePart, value: NameValue) -> bool:
    parts = _parts(patient, part)
    if value.exact:
        words = [w for p in parts for w in ([p] if part is NamePart.FAMILY else p.split())]
        return value.text in parts or value.text in words
    wanted = normalize_name(value.text).split()
    have = [w for p in parts for w in normalize_name(p).split()]
    return bool(wanted) and all(any(h.startswith(w) for h in have) for w in wanted)


@dataclass(frozen=True)
class NameMatch:
    """Each word of the value starts a word of the name part (accents and case
    ignored); with :exact, the value is a whole name part as written."""

    part: NamePart
    values: tuple[NameValue, ...]

    @property
    def exact(self) -> bool:
        # The prefix index knows words, not which name they belong to, and cuts them
        # at NAME_MAX_LEN: only a plain `name` search on indexed words is exact.
        return self.part is NamePart.ANY and all(
            not v.exact
            and all(NAME_MIN_LEN <= len(w) <= NAME_MAX_LEN for w in normalize_name(v.text).split())
            for v in self.values
        )

    def indexed_words(self) -> list[str] | None:
        """The indexed words of each value (one string per value), or None when a
        value has no word long enough to be indexed."""
        texts = []
        for value in self.values:
            words = [w for w in normalize_name(value.text).split() if len(w) >= NAME_MIN_LEN]
            if not words:
                return None  # a one-letter word selects nothing through the index
            texts.append(" ".join(words))
        return texts

    def index_filter(self, practice_id: uuid.UUID, via: str = "") -> Q | None:
        # A correlated EXISTS per word: checked on the rows another index already
        # selected, through the (patient, token) index, never by testing the whole
        # practice against a list.
        texts = self.indexed_words()
        if texts is None:
            return None
        found = Q()
        for text in texts:
            found |= queries.has_name_words(practice_id, text, f"{via}pk")
        return found

    def matches(self, patient: Patient) -> bool:
        return any(_value_matches(patient, self.part, v) for v in self.values)


class DatePrefix(enum.StrEnum):
    EQ = "eq"
    NE = "ne"
    LT = "lt"
    GT = "gt"
    LE = "le"
    GE = "ge"


@dataclass(frozen=True)
class DateValue:
    """A FHIR date search value: the prefix and the range its precision covers
    (`1984` covers 1984-01-01 to 1984-12-31)."""

    prefix: DatePrefix
    start: dt.date
    end: dt.date

    def contains(self, day: dt.date) -> bool:
        inside = self.start <= day <= self.end
        return {
            DatePrefix.EQ: inside,
            DatePrefix.NE: not inside,
            DatePrefix.LT: day < self.start,
            DatePrefix.GT: day > self.end,
            DatePrefix.LE: day <= self.end,
            DatePrefix.GE: day >= self.start,
        }[self.prefix]


@dataclass(frozen=True)
class BirthDateIn:
    values: tuple[DateValue, ...]

    @property
    def exact(self) -> bool:
        return all(v.prefix is DatePrefix.EQ and v.start == v.end for v in self.values)

    def index_filter(self, practice_id: uuid.UUID, via: str = "") -> Q | None:
        if not self.exact:
            return None  # the birth date is encrypted: only a whole day is indexed
        indexes = [queries.birth_date_index(practice_id, v.start) for v in self.values]
        return Q(**{f"{via}birth_date_index__in": indexes})

    def matches(self, patient: Patient) -> bool:
        return any(v.contains(patient.birth_date) for v in self.values)


@dataclass(frozen=True)
class GenderIn:
    values: frozenset[str]
    exact = False

    def index_filter(self, practice_id: uuid.UUID, via: str = "") -> None:
        return None  # encrypted and never indexed: too few values to hide anything

    def matches(self, patient: Patient) -> bool:
        return patient.sex in self.values


@dataclass(frozen=True)
class TreatingIn:
    """Patients whose médecin traitant is one of these memberships."""

    membership_ids: frozenset[uuid.UUID]
    exact = True

    def index_filter(self, practice_id: uuid.UUID, via: str = "") -> Q:
        return Q(**{f"{via}treating_practitioner_id__in": self.membership_ids})

    def matches(self, patient: Patient) -> bool:
        return patient.treating_practitioner_id in self.membership_ids


@dataclass(frozen=True)
class InstantValue:
    prefix: DatePrefix
    start: dt.datetime
    end: dt.datetime  # exclusive

    def q(self, via: str = "") -> Q:
        field = f"{via}updated_at"
        inside = Q(**{f"{field}__gte": self.start, f"{field}__lt": self.end})
        return {
            DatePrefix.EQ: inside,
            DatePrefix.NE: ~inside,
            DatePrefix.LT: Q(**{f"{field}__lt": self.start}),
            DatePrefix.GT: Q(**{f"{field}__gte": self.end}),
            DatePrefix.LE: Q(**{f"{field}__lt": self.end}),
            DatePrefix.GE: Q(**{f"{field}__gte": self.start}),
        }[self.prefix]

    def contains(self, instant: dt.datetime) -> bool:
        inside = self.start <= instant < self.end
        return {
            DatePrefix.EQ: inside,
            DatePrefix.NE: not inside,
            DatePrefix.LT: instant < self.start,
            DatePrefix.GT: instant >= self.end,
            DatePrefix.LE: instant < self.end,
            DatePrefix.GE: instant >= self.start,
        }[self.prefix]


@dataclass(frozen=True)
class UpdatedIn:
    """The record's last change (FHIR _lastUpdated): a plain column."""

    values: tuple[InstantValue, ...]
    exact = True

    def _q(self, via: str = "") -> Q:
        q = Q()
        for value in self.values:
            q |= value.q(via)
        return q

    def index_filter(self, practice_id: uuid.UUID, via: str = "") -> Q:
        return self._q(via)

    def matches(self, patient: Patient) -> bool:
        return any(v.contains(patient.updated_at) for v in self.values)
