"""Read-only selectors over the CIM-10. Reference data, not patient data: no access
check and no audit (decision 0012).

A search is by code when the query looks like one ("e11", "E11.9", "e119"), else
by words: every word of the query must begin a word of the label, accents and case
ignored ("diab typ 2" finds "Diabète sucré de type 2"). Ranking, most useful first:
1. by code, the exact code, then the codes under it from the general to the
   specific (E11, E11.0 … E11.9, E11.00 …);
2. by words, the general before the specific (categories, then their
   subdivisions), then the shorter label (fewer words besides the ones asked
   for), then the code: the rank fixed at load (Cim10Code.id), so equal
   labels always come in the same order.
Decision 0012 says why."""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Left

from .models import Cim10Code, Cim10Release, Cim10Word, Cim10WordCount
from .text import COMPACT_CODE, WORD_MAX_LENGTH, compact_query, fold, prefix_end

MIN_QUERY_LENGTH = 2
MAX_QUERY_LENGTH = 200
MAX_QUERY_WORDS = 8
MAX_LIMIT = 100


def current_release(*, for_update: bool = False) -> Cim10Release | None:
    """The release whose codes are in the tables, None before the first load."""
    releases = Cim10Release.objects.order_by("-loaded_at", "-created_at")
    if for_update:
        releases = releases.select_for_update()
    return releases.first()


def get_cim10(code: str) -> Cim10Code | None:
    """One code, written with or without its dot, in any case ("e11.9", "E119"),
    with its category and parent, withdrawn ones included (an old record may
    carry one); None if the list has no such code."""
    compact = code.strip().upper().replace(".", "")
    if not COMPACT_CODE.fullmatch(compact):
        return None
    return Cim10Code.objects.select_related("category", "parent").filter(compact=compact).first()


def search_cim10(query: str, limit: int = 20, *, selectable_only: bool = False) -> list[Cim10Code]:
    """At most `limit` (capped at MAX_LIMIT) codes for what a doctor typed, best
    first, each with its category; never a withdrawn code. Empty for a query
    shorter than 2 characters.
    `selectable_only` leaves out the codes a doctor cannot pick (categories and
    sub-categories that have subdivisions: Cim10Code.selectable). Three queries
    at most."""
    query = query.strip()[:MAX_QUERY_LENGTH]
    limit = min(limit, MAX_LIMIT)
    if len(query) < MIN_QUERY_LENGTH or limit < 1:
        return []
    found: list[Cim10Code] = []
    compact = compact_query(query)
    if compact is not None:
        found = list(_by_code(compact, selectable_only)[:limit])
    if len(found) < limit:
        # A code-like query can also be a word of labels ("b12", "a1c").
        by_words = _by_words(query, selectable_only)
        if found:
            by_words = by_words.exclude(pk__in=[code.pk for code in found])
        found += by_words[: limit - len(found)]
    return found


def _codes(selectable_only: bool) -> QuerySet[Cim10Code]:
    codes = Cim10Code.objects.select_related("category").filter(withdrawn_in=None)
    return codes.filter(selectable=True) if selectable_only else codes


def _by_code(compact: str, selectable_only: bool) -> QuerySet[Cim10Code]:
    return (
        _codes(selectable_only)
        .filter(compact__gte=compact, compact__lt=prefix_end(compact))
        # The exact code, being the shortest of the codes it begins, comes first.
        .order_by("depth", "compact")
    )


def _starts(field: str, prefix: str) -> Q:
    """`field` begins with `prefix`, as a range an index can serve (text.prefix_end)."""
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix_end(prefix)})


def _by_words(query: str, selectable_only: bool) -> QuerySet[Cim10Code]:
    words = [word[:WORD_MAX_LENGTH] for word in dict.fromkeys(fold(query).split())]
    words = words[:MAX_QUERY_WORDS]
    if not words:
        return Cim10Code.objects.none()
    # How many codes each query word can match (an upper bound: a code with two
    # words beginning with it counts twice). A word that begins no label word ends
    # the search here: a typo costs one small query.
    totals = Cim10WordCount.objects.filter(reduce(or_, (_starts("word", w) for w in words)))
    sums = totals.aggregate(
        **{f"w{i}": Sum("codes", filter=_starts("word", w)) for i, w in enumerate(words)}
    )
    counts = {word: sums[f"w{i}"] or 0 for i, word in enumerate(words)}
    if not all(counts.values()):
        return Cim10Code.objects.none()
    # The rarest word's codes, read in rank order (the primary key), each checked
    # for the other words, until the limit: the cost is bounded by that word's
    # codes (under 30,000 even for a 2-letter prefix), not by the list.
    rarest = min(words, key=counts.__getitem__)
    codes = _codes(selectable_only).filter(
        pk__in=Cim10Word.objects.filter(_starts("word", rarest)).values("code_id")
    )
    for word in words:
        if word != rarest:
            codes = codes.filter(Exists(_has_word_starting(word)))
    return codes.order_by("pk")


def _has_word_starting(prefix: str) -> QuerySet[Cim10Word]:
    """For EXISTS: the outer code has a word beginning with `prefix`. Written
    LEFT(word, n) = prefix rather than as a range, so that only the (code, word)
    index can serve it, by reading the code's few words. With a range,
    PostgreSQL sometimes probed the (word, code) index instead, reading every word
    of the range for each code (its statistics cannot tell that "clas" begins
    1,600 words): 50 ms, not 2."""
    return Cim10Word.objects.annotate(start=Left("word", len(prefix))).filter(
        code_id=OuterRef("pk"), start=prefix
    )
