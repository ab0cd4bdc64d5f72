from __future__ import annotations

import uuid

import pytest

from hygie.crypto.blind import (
    NAME_PREFIX_PURPOSE,
    blind_index,
    name_prefix_tokens,
    name_query_tokens,
    normalize_name,
)


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("Lefèvre", "lefevre"),
        ("LEFEVRE", "lefevre"),
        ("  Lefèvre-Durand ", "lefevre durand"),
        ("N\u2019Diaye", "n diaye"),  # typographic apostrophe
        ("O'Brien  de   la Tour", "o brien de la tour"),
        ("Cœur", "coeur"),
        ("Jean-François Müller", "jean francois muller"),
        ("St. Étienne", "st etienne"),
        ("Louis XIV 2", "louis xiv 2"),
    ],
)
def test_names_are_folded_for_search(raw: str, normalized: str) -> None:
    assert normalize_name(raw) == normalized


@pytest.mark.django_db
def test_accents_and_case_give_the_same_index(practice_a: uuid.UUID) -> None:
    def index(name: str) -> bytes:
        return blind_index(practice_a, "patient.name", normalize_name(name))

    assert index("Lefèvre") == index("LEFEVRE")
    assert index("Lefèvre") != index("Lefebvre")
    assert len(index("Lefèvre")) == 16


@pytest.mark.django_db
def test_the_same_value_gives_unrelated_indexes_in_two_practices(
    practice_a: uuid.UUID, practice_b: uuid.UUID
) -> None:
    nir = "1850599123456"
    assert blind_index(practice_a, "patient.nir", nir) != blind_index(
        practice_b, "patient.nir", nir
    )


@pytest.mark.django_db
def test_purposes_separate_domains(practice_a: uuid.UUID) -> None:
    assert blind_index(practice_a, "patient.nir", "x") != blind_index(
        practice_a, "patient.name", "x"
    )
    with pytest.raises(ValueError, match="purpose"):
        blind_index(practice_a, "bad\x00purpose", "x")


@pytest.mark.django_db
def test_prefix_tokens_cover_every_word_of_every_name(practice_a: uuid.UUID) -> None:
    tokens = name_prefix_tokens(practice_a, "Lefèvre-Durand", "Anne")

    def token(prefix: str) -> bytes:
        return blind_index(practice_a, NAME_PREFIX_PURPOSE, prefix)

    expected = {"le", "lef", "lefe", "lefev", "lefevr", "lefevre", "du", "dur", "dura"}
    expected |= {"duran", "durand", "an", "ann", "anne"}
    assert tokens == {token(p) for p in expected}


@pytest.mark.django_db
def test_prefix_tokens_stop_at_the_maximum_length(practice_a: uuid.UUID) -> None:
    tokens = name_prefix_tokens(practice_a, "Constantinopolitaine", min_len=3, max_len=5)
    assert len(tokens) == 3  # "con", "cons", "const"


@pytest.mark.django_db
def test_a_query_matches_the_indexed_prefixes(practice_a: uuid.UUID) -> None:
    indexed = name_prefix_tokens(practice_a, "Lefèvre-Durand", "Marie-Hélène")
    query = name_query_tokens(practice_a, "lefe  D marie-HELENE")
    assert len(query) == 3  # "d" is too short to search on
    assert set(query) <= indexed


@pytest.mark.django_db
def test_a_long_query_word_is_cut_like_the_index(practice_a: uuid.UUID) -> None:
    indexed = name_prefix_tokens(practice_a, "Constantinopolitaine")
    assert name_query_tokens(practice_a, "constantinopolitaine")[0] in indexed
