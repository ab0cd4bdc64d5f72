"""search_cim10 and get_cim10 on the real list: what a doctor types, what comes first."""

from __future__ import annotations

from typing import Any

import pytest

from hygie.terminology.loading import LoadReport
from hygie.terminology.queries import MAX_LIMIT, get_cim10, search_cim10
from hygie.terminology.tests.conftest import clear_cim10
from hygie.terminology.text import fold

pytestmark = pytest.mark.django_db


def codes(query: str, limit: int = 20, **options: Any) -> list[str]:
    return [found.code for found in search_cim10(query, limit, **options)]


def has_every_word(label: str, query: str) -> bool:
    words = fold(label).split()
    return all(any(word.startswith(asked) for word in words) for asked in fold(query).split())


@pytest.mark.parametrize("query", ["E11.9", "e11.9", "E119", "e119", "  e11.9 "])
def test_a_code_comes_first_however_it_is_written(cim10: LoadReport, query: str) -> None:
    found = codes(query)
    assert found[0] == "E11.9"
    assert found[1:3] == ["E11.90", "E11.98"]  # then the codes under it


def test_a_start_of_code_lists_the_general_before_the_specific(cim10: LoadReport) -> None:
    found = search_cim10("e11", limit=30)
    assert [c.code for c in found[:4]] == ["E11", "E11.0", "E11.1", "E11.2"]
    assert all(c.compact.startswith("E11") for c in found)
    keys = [(c.compact != "E11", c.depth, c.compact) for c in found]
    assert keys == sorted(keys)
    assert codes("e1")[:5] == ["E10", "E11", "E12", "E13", "E14"]
    assert codes("B24.+0") == ["B24.+0"]


def test_words_find_labels_by_the_start_of_their_words(cim10: LoadReport) -> None:
    assert codes("diab typ 2")[:3] == ["E11", "E11.0", "O24.1"]
    assert codes("fracture col femur") == ["S72.0", "S72.00", "S72.01"]
    # No French CIM-10 label says "hypertension artérielle" (I10 is "Hypertension
    # essentielle"): the one label with both words is found, nothing else.
    assert codes("hypertension arterielle") == ["R03.0"]
    for query in ("diab typ 2", "fracture col femur", "tum malig sein", "insuf card"):
        found = search_cim10(query)
        assert found
        assert all(has_every_word(c.label, query) for c in found), query


def test_a_word_must_begin_a_label_word_not_sit_inside_one(cim10: LoadReport) -> None:
    assert "K52.9" in codes("colite", limit=100)
    assert codes("olite") == []  # inside "colite", "entérocolite": no match


def test_accents_and_case_do_not_matter(cim10: LoadReport) -> None:
    expected = codes("diabete sucre type 2")
    assert expected
    assert codes("DIABÈTE SUCRÉ TYPE 2") == expected
    assert codes("Diabète Sucré type 2") == expected
    assert codes("céphalée")[0] == codes("CEPHALEE")[0] == "R51"
    # The ligature: the list writes "oedème", a doctor may type "œdème".
    assert codes("œdème poumon") == codes("oedeme poumon") == ["J68.1"]


def test_categories_come_before_subdivisions_then_shorter_labels(cim10: LoadReport) -> None:
    found = search_cim10("asthme")
    # J45 "Asthme", then its subdivisions, the shortest labels first.
    assert [c.code for c in found[:3]] == ["J45", "J45.8", "J45.1"]
    keys = [(c.depth, len(c.label), c.compact) for c in found]
    assert keys == sorted(keys)
    assert codes("grippe")[:3] == ["J11", "J10", "J09"]


def test_the_same_query_always_gives_the_same_order(cim10: LoadReport) -> None:
    assert codes("de", limit=50) == codes("de", limit=50)
    assert codes("de", limit=10) == codes("de", limit=50)[:10]


@pytest.mark.parametrize("query", ["", " ", "e", "E", "é", "  a  "])
def test_an_empty_or_one_letter_query_finds_nothing(cim10: LoadReport, query: str) -> None:
    assert search_cim10(query) == []


def test_the_limit_is_respected_and_capped(cim10: LoadReport) -> None:
    assert len(search_cim10("diab", limit=5)) == 5
    assert search_cim10("diab", limit=0) == []
    assert len(search_cim10("de", limit=10_000)) == MAX_LIMIT
    # A code query short of results is completed by labels with that word.
    found = codes("b12")
    assert found and all("B12" in c.label for c in search_cim10("b12"))


@pytest.mark.parametrize(
    "query",
    ["%", "_", "'", "%%%%", "' OR 1=1 --", "diab%", "diab_", "e11%", "x" * 200, "a " * 100],
)
def test_sql_like_or_long_queries_are_harmless(cim10: LoadReport, query: str) -> None:
    found = search_cim10(query)
    assert isinstance(found, list)
    if query.startswith("diab"):
        assert codes(query) == codes("diab")  # % and _ are no wildcards
    if not any(ch.isalnum() for ch in query):
        assert found == []


def test_a_misspelt_word_costs_one_query(cim10: LoadReport, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        assert search_cim10("diabte type") == []


@pytest.mark.parametrize("query", ["e11", "I10", "diab typ 2", "de", "b12", "accident travail"])
def test_a_search_takes_at_most_three_queries(
    cim10: LoadReport, django_assert_max_num_queries: Any, query: str
) -> None:
    with django_assert_max_num_queries(3):
        found = search_cim10(query)
    with django_assert_max_num_queries(0):
        labels = [c.category.label for c in found]  # the category comes with the code
    assert labels


def test_selectable_only_leaves_out_subdivided_categories(cim10: LoadReport) -> None:
    assert "E11" in codes("e11")
    found = search_cim10("e11", selectable_only=True)
    assert found and all(c.selectable for c in found)
    assert "E11" not in [c.code for c in found] and "E11.9" not in [c.code for c in found]
    assert all(c.selectable for c in search_cim10("diab typ 2", selectable_only=True))


@pytest.mark.parametrize("written", ["E11.9", "e11.9", "E119", " e119 "])
def test_get_cim10_finds_a_code_with_its_category_and_parent(
    cim10: LoadReport, django_assert_num_queries: Any, written: str
) -> None:
    with django_assert_num_queries(1):
        code = get_cim10(written)
        assert code is not None
        assert (code.code, code.category.code, code.parent.code) == ("E11.9", "E11", "E11")
    assert code.label == "Diabète sucré de type 2, sans complication"


def test_withdrawn_codes_are_found_by_code_but_never_searched(cim10: LoadReport) -> None:
    assert codes("dengue")[0] == "A97"  # the code that replaced A90 and A91
    assert not {"A90", "A91"} & set(codes("dengue", limit=100) + codes("a9", limit=100))
    withdrawn = get_cim10("A90")
    assert withdrawn is not None and withdrawn.withdrawn_in == 2017


@pytest.mark.parametrize("written", ["Z99.99", "E11.99", "", "E", "drop table", "%"])
def test_get_cim10_answers_none_for_what_is_not_a_listed_code(
    cim10: LoadReport, written: str
) -> None:
    assert get_cim10(written) is None


def test_search_finds_nothing_before_the_list_is_loaded(cim10: LoadReport) -> None:
    clear_cim10()  # rolled back after the test
    assert search_cim10("diab") == []
    assert search_cim10("e11") == []
