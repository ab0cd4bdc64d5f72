"""The real CIM-10 (the 42,886 rows shipped in edsnlp), loaded once per test module,
and small hand-made files for the loader's refusals. Reference data: no patient."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hygie.terminology.loading import LoadReport, load_cim10
from hygie.terminology.models import Cim10Code, Cim10Release, Cim10Word, Cim10WordCount

HEADER = "code,type,ssr,psy,short,long"
# A tiny but well-formed list: a category, its subdivisions, an ATIH "+" extension.
SMALL_LIST = [
    "E11,3,NNNN,3,DIABETE TYPE 2,Diabète sucré de type 2",
    'E119,3,NNNN,3,DIABETE TYPE 2 SANS COMPLIC.,"Diabète sucré de type 2, sans complication"',
    'E1190,0,NOOO,0,DIABETE TYPE 2 INSULINO.,"Diabète de type 2 insulinotraité, sans complication"',
    "B24,3,NNNN,3,VIH,Immunodéficience humaine virale [VIH]",
    "B24+0,0,NOOO,0,PRE-SIDA,Pré-SIDA (A.R.C.) sans précision",
]


def clear_cim10() -> None:
    Cim10Word.objects.all().delete()
    Cim10WordCount.objects.all().delete()
    Cim10Code.objects.all().delete()
    Cim10Release.objects.all().delete()


@pytest.fixture(scope="module")
def cim10(django_db_setup: None, django_db_blocker: Any) -> Iterator[LoadReport]:
    """The packaged list, loaded (committed) for the whole module; each test runs in
    a transaction rolled back after it, so a test may replace or empty the list."""
    with django_db_blocker.unblock():
        clear_cim10()
        report = load_cim10()
    yield report
    with django_db_blocker.unblock():
        clear_cim10()


CsvWriter = Callable[..., Path]


@pytest.fixture
def cim10_file(tmp_path: Path) -> CsvWriter:
    """Writes a gzip CSV in edsnlp's format: cim10_file(*lines, header=HEADER)."""

    def write(*lines: str, header: str = HEADER, name: str = "cim10.csv.gz") -> Path:
        path = tmp_path / name
        path.write_bytes(gzip.compress("\n".join([header, *lines, ""]).encode()))
        return path

    return write
