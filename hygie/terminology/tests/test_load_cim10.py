"""load_cim10: the whole edsnlp file checked, then written in one transaction, once."""

from __future__ import annotations

import gzip
import hashlib
import importlib.metadata
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from hygie.terminology import loading, source
from hygie.terminology.enums import PmsiType
from hygie.terminology.loading import LoadReport, load_cim10
from hygie.terminology.models import Cim10Code, Cim10Release, Cim10Word, Cim10WordCount
from hygie.terminology.queries import current_release, get_cim10
from hygie.terminology.source import Cim10SourceError, packaged_source
from hygie.terminology.tests.conftest import SMALL_LIST, CsvWriter

pytestmark = pytest.mark.django_db


def packaged_file() -> Path:
    return packaged_source().path


def test_it_loads_every_row_of_the_packaged_file(cim10: LoadReport) -> None:
    release = cim10.release
    assert cim10.loaded
    assert release.codes == 42_886 == Cim10Code.objects.count()
    assert release.package == "edsnlp"
    assert release.package_version == importlib.metadata.version("edsnlp") == "0.23.0"
    assert release.source_file == "edsnlp/resources/cim10.csv.gz"
    assert release.sha256 == hashlib.sha256(packaged_file().read_bytes()).hexdigest()
    # PMSI type 3 (subdivided or withdrawn) is the only one a doctor cannot pick.
    not_codable = Cim10Code.objects.filter(pmsi_type=PmsiType.NOT_CODABLE).count()
    assert release.selectable_codes == 42_886 - not_codable == 40_408
    assert Cim10Code.objects.filter(selectable=True).count() == 40_408
    assert current_release() == release


def test_codes_are_written_with_their_dot_category_and_parent(cim10: LoadReport) -> None:
    leaf = Cim10Code.objects.select_related("category", "parent").get(compact="E1190")
    assert (leaf.code, leaf.depth, leaf.selectable) == ("E11.90", 2, True)
    assert leaf.label == "Diabète sucré de type 2 insulinotraité, sans complication"
    assert (leaf.category.code, leaf.parent.code) == ("E11", "E11.9")

    category = Cim10Code.objects.get(compact="E11")
    assert (category.category_id, category.parent_id, category.depth) == (category.pk, None, 0)
    assert not category.selectable  # subdivided: the doctor picks a subdivision

    # The ATIH "+" extensions hang from the nearest code that exists.
    extension = Cim10Code.objects.select_related("parent").get(compact="B24+0")
    assert (extension.code, extension.parent.code) == ("B24.+0", "B24")
    deeper = Cim10Code.objects.select_related("parent").get(compact="F03+00")
    assert (deeper.code, deeper.parent.code) == ("F03.+00", "F03.+0")


def test_a_withdrawn_code_is_kept_unselectable_without_its_marker(cim10: LoadReport) -> None:
    # "*** SU17 *** Dengue [dengue classique]" in the file: withdrawn in 2017.
    dengue = Cim10Code.objects.get(compact="A90")
    assert (dengue.label, dengue.withdrawn_in, dengue.selectable) == (
        "Dengue [dengue classique]",
        2017,
        False,
    )
    assert Cim10Code.objects.exclude(withdrawn_in=None).count() == 401
    assert not Cim10Code.objects.filter(label__contains="***").exists()
    assert not Cim10Word.objects.filter(code=dengue).exists()  # search cannot find it


def test_every_code_hangs_from_its_category(cim10: LoadReport) -> None:
    rows = Cim10Code.objects.values_list("compact", "category__compact", "parent__compact", "depth")
    for compact, category, parent, depth in rows:
        assert category == compact[:3]
        assert depth == len(compact) - 3
        assert (parent is None) == (depth == 0)
        if parent is not None:
            assert compact.startswith(parent) and len(parent) < len(compact)


def test_the_word_index_has_every_label_word_once_per_code(cim10: LoadReport) -> None:
    code = Cim10Code.objects.get(compact="E11")
    words = Cim10Word.objects.filter(code=code).values_list("word", flat=True)
    assert sorted(words) == ["2", "de", "diabete", "sucre", "type"]
    assert Cim10WordCount.objects.get(word="diabete").codes == (
        Cim10Word.objects.filter(word="diabete").count()
    )


def test_loading_the_same_file_again_writes_nothing(
    cim10: LoadReport, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(1):  # reads the current release, nothing else
        again = load_cim10()
    assert not again.loaded
    assert again.release == cim10.release
    assert Cim10Release.objects.count() == 1


def test_the_same_content_under_another_name_is_recognised(
    cim10: LoadReport, tmp_path: Path
) -> None:
    copy = tmp_path / "copie.csv.gz"
    shutil.copy(packaged_file(), copy)
    assert not load_cim10(copy).loaded


def test_a_new_file_replaces_the_whole_list(cim10: LoadReport, cim10_file: CsvWriter) -> None:
    path = cim10_file(*SMALL_LIST)
    report = load_cim10(path)
    assert report.loaded
    assert sorted(Cim10Code.objects.values_list("code", flat=True)) == [
        "B24",
        "B24.+0",
        "E11",
        "E11.9",
        "E11.90",
    ]
    assert get_cim10("I10") is None
    assert (report.release.codes, report.release.selectable_codes) == (5, 2)
    assert (report.release.package, report.release.source_file) == ("", str(path))
    assert current_release() == report.release
    assert Cim10Release.objects.count() == 2  # the history keeps the previous load


@pytest.mark.parametrize(
    ("lines", "line", "reason"),
    [
        (["E11,3,NNNN,3,X,Diabète", "E1X9,0,NOOO,0,X,Diabète"], 3, "code CIM-10 invalide : 'E1X9'"),
        (
            ["E11,3,NNNN,3,X,Diabète", "E11,0,NOOO,0,X,Autre"],
            3,
            "code E11 en double (déjà ligne 2)",
        ),
        (["E11,7,NNNN,3,X,Diabète"], 2, "type '7' inconnu pour E11"),
        (["E11,3,NNNN,3,X,   "], 2, "libellé vide pour E11"),
        (["E11,3,NNNN,3,X,Diabète", "E119,0,NOOO,0,X"], 3, "5 colonnes au lieu de 6"),
        (["E11,3,NNNN,3,X,Diabète", "I109,0,NOOO,0,X,Hypertension"], 3, "catégorie I10 absente"),
        (["E11,3,NNNN,3,X," + "x" * 401], 2, "libellé de E11 trop long"),
    ],
)
def test_a_bad_row_stops_the_load_with_its_line_and_reason(
    cim10: LoadReport, cim10_file: CsvWriter, lines: list[str], line: int, reason: str
) -> None:
    path = cim10_file(*lines)
    with pytest.raises(Cim10SourceError) as refused:
        load_cim10(path)
    assert f"{path}, ligne {line} : {reason}" in str(refused.value)
    assert_untouched(cim10)


def test_every_bad_row_is_listed_not_only_the_first(
    cim10: LoadReport, cim10_file: CsvWriter
) -> None:
    path = cim10_file("E11,3,NNNN,3,X,Diabète", "e119,0,N,0,X,Minuscule", "E118,9,N,0,X,Type")
    with pytest.raises(Cim10SourceError) as refused:
        load_cim10(path)
    message = str(refused.value)
    assert "ligne 3 : code CIM-10 invalide" in message
    assert "ligne 4 : type '9' inconnu" in message


def gz(data: bytes) -> bytes:
    # mtime=0: the same bytes on every run. The parameters name the tests, and
    # xdist's workers must collect the same names (a header holding the time of
    # collection made two workers disagree across a second's boundary).
    return gzip.compress(data, mtime=0)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"not gzip at all", "fichier gzip illisible ou tronqué"),
        (gz(b"code,type\nE11,3\n")[:-12], "fichier gzip illisible ou tronqué"),
        (gz(b"code,libelle\nE11,Diabete\n"), "ligne 1 : en-tête attendu"),
        (gz(b"code,type,ssr,psy,short,long\n"), "ligne 1 : aucun code dans le fichier"),
        (
            gz(
                "code,type,ssr,psy,short,long\nE11,3,N,3,X,Diab\nE12,3,N,3,X,Diab\xe8te\n".encode(
                    "latin-1"
                )
            ),
            "ligne 3 : texte non UTF-8",
        ),
    ],
)
def test_an_unusable_file_is_refused_and_the_loaded_list_kept(
    cim10: LoadReport, tmp_path: Path, content: bytes, reason: str
) -> None:
    path = tmp_path / "cim10.csv.gz"
    path.write_bytes(content)
    with pytest.raises(Cim10SourceError, match=reason) as refused:
        load_cim10(path)
    assert str(path) in str(refused.value)
    assert_untouched(cim10)


def test_a_missing_file_is_refused(cim10: LoadReport, tmp_path: Path) -> None:
    missing = tmp_path / "absent.csv.gz"
    with pytest.raises(Cim10SourceError, match=re.escape(f"{missing} : lecture impossible")):
        load_cim10(missing)
    assert_untouched(cim10)


def test_a_missing_package_says_how_to_install_it(
    cim10: LoadReport, monkeypatch: pytest.MonkeyPatch
) -> None:
    def not_installed(name: str) -> None:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(source.importlib.metadata, "distribution", not_installed)
    with pytest.raises(Cim10SourceError) as refused:
        load_cim10()
    assert "le paquet edsnlp, qui fournit la CIM-10, n'est pas installé" in str(refused.value)
    assert ": lancez « make venv »" in str(refused.value)
    assert "pip install --no-deps --require-hashes -r requirements-data.txt" in str(refused.value)
    assert_untouched(cim10)


def test_a_package_without_the_file_says_how_to_reinstall_it(
    cim10: LoadReport, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    class Emptied:
        version = "0.23.0"

        def locate_file(self, name: str) -> Path:
            return tmp_path / name

    monkeypatch.setattr(source.importlib.metadata, "distribution", lambda name: Emptied())
    with pytest.raises(
        Cim10SourceError,
        match=r"introuvable dans edsnlp 0\.23\.0, à réinstaller : lancez « make venv »",
    ):
        load_cim10()
    assert_untouched(cim10)


def test_a_failure_while_writing_leaves_the_previous_list(
    cim10: LoadReport, cim10_file: CsvWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The old rows are already deleted and the new codes written when this fails:
    the transaction must bring the whole previous list back."""

    def fail(*models: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(loading, "_analyze", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        load_cim10(cim10_file(*SMALL_LIST))
    assert_untouched(cim10)


def assert_untouched(cim10: LoadReport) -> None:
    assert current_release() == cim10.release
    assert Cim10Release.objects.count() == 1
    assert Cim10Code.objects.count() == 42_886
    assert Cim10Word.objects.filter(code__compact="I10").exists()
    assert Cim10WordCount.objects.filter(word="hypertension").exists()
