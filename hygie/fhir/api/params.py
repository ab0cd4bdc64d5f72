"""Search parameters: parsing what a client asks into typed values.

FHIR semantics: a repeated parameter is AND, comma-separated values are OR
(a literal comma is written `\\,`). Parameters Hygie does not know are ignored
with a warning in lenient mode (the default) and refused (400) when the client
sends `Prefer: handling=strict`. Unknown modifiers are always refused: a
modifier changes the meaning, and guessing would return the wrong patients.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.http import HttpRequest
from django.utils import timezone

from hygie.patients.criteria import DatePrefix, DateValue, InstantValue

from ..validation import Issue
from .errors import FhirError, bad_request

MAX_COUNT = 50
DEFAULT_COUNT = 20
# A search or history lists at most MAX_RESULTS matches; beyond, the client must
# narrow it (decision 0011, §4): searching is not a way to read a whole practice.
MAX_RESULTS = 200
MAX_OFFSET = MAX_RESULTS
# Comma-separated values of one parameter (OR): a few alternatives, not a sweep.
MAX_VALUES = 10
# Parameters that shape the result rather than select it, known for every type.
RESULT_PARAMS = frozenset(
    {"_count", "_offset", "_sort", "_summary", "_elements", "_format", "_total", "_totalMethod"}
)
MODIFIERS = {"string": frozenset({"exact"}), "token": frozenset(), "date": frozenset(),
             "reference": frozenset()}  # fmt: skip
_DATE = re.compile(r"^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?$")
_ELEMENT = re.compile(r"^[a-z][A-Za-z0-9]{0,63}$")


@dataclass(frozen=True)
class Param:
    name: str
    modifier: str
    values: tuple[str, ...]  # the OR-ed values of one occurrence


@dataclass
class Search:
    """A parsed search: the selecting parameters (AND of Params) and the result
    parameters. `query` is the canonical query string of the selection, for links."""

    params: list[Param]
    count: int = DEFAULT_COUNT
    offset: int = 0
    sort: list[tuple[str, bool]] = field(default_factory=list)
    sort_param: str = ""  # as the client wrote it (the sorts Hygie kept), for links
    summary_count: bool = False
    elements: frozenset[str] | None = None
    warnings: list[Issue] = field(default_factory=list)
    query: list[tuple[str, str]] = field(default_factory=list)

    def query_string(self, *, offset: int | None = None) -> str:
        extra = [("_count", str(self.count))]
        if self.sort_param:
            extra.append(("_sort", self.sort_param))
        if self.summary_count:
            extra.append(("_summary", "count"))
        if self.elements is not None:
            extra.append(("_elements", ",".join(sorted(self.elements))))
        if offset:
            extra.append(("_offset", str(offset)))
        return urlencode([*self.query, *extra])


def is_strict(request: HttpRequest) -> bool:
    prefer = request.headers.get("Prefer", "")
    return any(p.strip() == "handling=strict" for p in prefer.split(","))


def split_values(raw: str) -> tuple[str, ...]:
    parts = re.split(r"(?<!\\),", raw)
    return tuple(p.replace("\\,", ",") for p in parts)


def _int(
    name: str, raw: str, low: int, high: int | None = None, *, maximum: int | None = None
) -> int:
    """`high` caps the value silently (a server may serve fewer than asked);
    `maximum` refuses anything above it."""
    if not raw.isascii() or not raw.lstrip("-").isdigit() or len(raw) > 12:
        raise bad_request(f"{name} doit être un nombre entier.", name)
    value = int(raw)
    if value < low:
        raise bad_request(f"{name} doit être supérieur ou égal à {low}.", name)
    if maximum is not None and value > maximum:
        raise bad_request(f"{name} ne peut dépasser {maximum}.", name)
    return value if high is None else min(value, high)


def parse_search(
    items: list[tuple[str, str]],
    known: dict[str, str],
    sorts: dict[str, str],
    *,
    strict: bool,
) -> Search:
    """`known` maps each search parameter of the type to its FHIR type; `sorts`
    maps sortable parameter names to the domain's sort keys."""
    search = Search(params=[])

    def unknown(message: str, expression: str) -> None:
        if strict:
            raise bad_request(message, expression)
        search.warnings.append(Issue("not-supported", message, expression, severity="warning"))

    for key, raw in items:
        name, _, modifier = key.partition(":")
        if name in RESULT_PARAMS:
            _result_param(search, name, raw, sorts, unknown)
            continue
        kind = known.get(name)
        if kind is None:
            unknown(f"Paramètre de recherche inconnu, ignoré : {name}", name)
            continue
        if modifier and modifier not in MODIFIERS[kind]:
            raise bad_request(f"Modificateur non pris en charge : {key}", key)
        values = tuple(v for v in split_values(raw) if v != "")
        if not values:
            raise bad_request(f"Valeur vide pour {key}.", key)
        if len(values) > MAX_VALUES:
            raise FhirError(
                400,
                "too-costly",
                f"{key} : {MAX_VALUES} valeurs au plus, séparées par des virgules.",
                expression=key,
            )
        search.params.append(Param(name, modifier, values))
        search.query.append((key, raw))
    return search


def _result_param(search: Search, name: str, raw: str, sorts: dict[str, str], unknown) -> None:  # type: ignore[no-untyped-def]
    if name == "_count":
        search.count = _int("_count", raw, 0, MAX_COUNT)
    elif name == "_offset":
        search.offset = _int("_offset", raw, 0, maximum=MAX_OFFSET)
    elif name == "_sort":
        search.sort = []
        kept = []
        for item in (p.strip() for p in raw.split(",") if p.strip()):
            desc = item.startswith("-")
            key = sorts.get(item.lstrip("-"))
            if key is None:
                unknown(f"Tri non pris en charge, ignoré : {item}", "_sort")
                continue
            search.sort.append((key, desc))
            kept.append(item)
        search.sort_param = ",".join(kept)
    elif name == "_summary":
        if raw == "count":
            search.summary_count = True
        elif raw != "false":
            raise FhirError(
                400, "not-supported", "_summary accepte count ou false.", expression="_summary"
            )
    elif name == "_elements":
        names = [e.strip() for e in raw.split(",") if e.strip()]
        bad = [e for e in names if not _ELEMENT.match(e)]
        if bad:
            raise bad_request(f"Élément invalide dans _elements : {bad[0]}", "_elements")
        search.elements = frozenset(names)
    # _format was checked with the request; _total and _totalMethod: Hygie always counts.


def _date_range(text: str, name: str) -> tuple[dt.date, dt.date]:
    match = _DATE.match(text)
    if match is None:
        raise bad_request(
            f"Date invalide pour {name} : {text} (AAAA, AAAA-MM ou AAAA-MM-JJ).", name
        )
    year, month, day = match.groups()
    try:
        if day:
            start = dt.date(int(year), int(month), int(day))
            return start, start
        if month:
            start = dt.date(int(year), int(month), 1)
            if start.month == 12:
                return start, dt.date(start.year, 12, 31)
            return start, dt.date(start.year, start.month + 1, 1) - dt.timedelta(days=1)
        return dt.date(int(year), 1, 1), dt.date(int(year), 12, 31)
    except ValueError:
        raise bad_request(f"Date impossible pour {name} : {text}.", name) from None


def _prefix(value: str, name: str) -> tuple[DatePrefix, str]:
    prefix, rest = (value[:2], value[2:]) if value[:2].isalpha() else ("", value)
    if prefix in ("sa", "eb", "ap"):
        raise FhirError(
            400, "not-supported", f"Préfixe non pris en charge : {prefix}", expression=name
        )
    try:
        return DatePrefix(prefix or "eq"), rest
    except ValueError:
        raise bad_request(f"Préfixe de date inconnu : {prefix}", name) from None


def date_value(value: str, name: str) -> DateValue:
    prefix, rest = _prefix(value, name)
    start, end = _date_range(rest, name)
    return DateValue(prefix, start, end)


def instant_value(value: str, name: str) -> InstantValue:
    """A date or date-time with its precision's range, for _lastUpdated."""
    prefix, rest = _prefix(value, name)
    try:
        return InstantValue(prefix, *_instant_range(rest, name))
    except OverflowError:
        raise bad_request(f"Date hors des limites pour {name} : {rest}.", name) from None


def _instant_range(rest: str, name: str) -> tuple[dt.datetime, dt.datetime]:
    if "T" not in rest:
        start_day, end_day = _date_range(rest, name)
        zone = timezone.get_current_timezone()
        start = dt.datetime.combine(start_day, dt.time(), zone)
        return start, dt.datetime.combine(end_day + dt.timedelta(days=1), dt.time(), zone)
    try:
        moment = dt.datetime.fromisoformat(rest.replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(f"Date et heure invalides pour {name} : {rest}.", name) from None
    if moment.tzinfo is None:
        raise bad_request(f"{name} : une heure doit porter son fuseau (Z ou +01:00).", name)
    # The range is the precision written: 10:00 is a minute, 10:00:00 a second.
    time_part = rest.split("T", 1)[1]
    if moment.microsecond:
        precision = dt.timedelta(microseconds=1)
    elif time_part.count(":") >= 2:
        precision = dt.timedelta(seconds=1)
    else:
        precision = dt.timedelta(minutes=1)
    # Compared in UTC: the database stores UTC, and extreme local years overflow.
    start = moment.astimezone(dt.UTC)
    return start, start + precision


def reference(value: str, kinds: tuple[str, ...], name: str) -> tuple[str, uuid.UUID]:
    """A reference search value, `Kind/id` with Kind among `kinds` (a bare id means
    the first) → (Kind, id). Anything else is a 400 naming what is expected."""
    kind, _, ident = value.rpartition("/")
    parsed = uuid_or_none(ident)
    if parsed is None or kind not in ("", *kinds):
        expected = " ou ".join(f"{k}/id" for k in kinds)
        raise bad_request(f"{name} attend {expected}.", name)
    return kind or kinds[0], parsed


def uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def token(value: str) -> tuple[str | None, str]:
    """`system|code` → (system, code); `|code` → ("", code); `code` → (None, code)."""
    if "|" in value:
        system, _, code = value.partition("|")
        return system, code
    return None, value


@dataclass(frozen=True)
class HistoryPage:
    since: dt.datetime | None
    count: int
    offset: int

    def query_string(self, offset: int) -> str:
        items = [("_count", str(self.count))]
        if self.since is not None:
            items.insert(0, ("_since", self.since.isoformat()))
        if offset:
            items.append(("_offset", str(offset)))
        return urlencode(items)


def history_page(items: list[tuple[str, str]]) -> HistoryPage:
    """_since, _count and _offset of a history request; nothing else is allowed."""
    since, count, offset = None, DEFAULT_COUNT, 0
    for name, raw in items:
        if name == "_since":
            moment = instant_value(raw, "_since")
            if raw[:2].isalpha():
                raise bad_request("_since est un instant, sans préfixe.", "_since")
            since = moment.start
        elif name == "_count":
            count = _int("_count", raw, 0, MAX_COUNT)
        elif name == "_offset":
            offset = _int("_offset", raw, 0, maximum=MAX_OFFSET)
        else:
            raise bad_request(f"Paramètre non pris en charge par l'historique : {name}", name)
    return HistoryPage(since, count, offset)
