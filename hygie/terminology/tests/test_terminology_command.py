"""`hygie terminology load|status`: French output, --json for scripts, CommandError
and nothing written on failure."""

from __future__ import annotations

import importlib.metadata
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from hygie.terminology import source
from hygie.terminology.loading import LoadReport
from hygie.terminology.models import Cim10Code, Cim10Release
from hygie.terminology.queries import current_release
from hygie.terminology.tests.conftest import SMALL_LIST, CsvWriter

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("terminology", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_status_says_which_list_is_loaded_and_that_it_is_current(cim10: LoadReport) -> None:
    text = run("status")
    assert "CIM-10 chargée le " in text
    assert ": 42\xa0886 codes (40\xa0408 sélectionnables)." in text
    assert "Source : edsnlp 0.23.0 (edsnlp/resources/cim10.csv.gz)" in text
    assert cim10.release.sha256 in text
    assert "autre version" not in text

    data = json.loads(run("status", "--json"))
    assert data["loaded"] and data["up_to_date"]
    assert (data["codes"], data["selectable_codes"]) == (42_886, 40_408)
    assert (data["package"], data["package_version"]) == ("edsnlp", "0.23.0")
    assert data["sha256"] == data["installed_sha256"] == cim10.release.sha256


def test_status_before_any_load_says_how_to_load(cim10: LoadReport) -> None:
    Cim10Release.objects.all().delete()  # rolled back after the test
    assert run("status").startswith("CIM-10 non chargée : lancez « hygie terminology load ».")
    data = json.loads(run("status", "--json"))
    assert (data["loaded"], data["up_to_date"]) == (False, False)
    assert data["installed_sha256"] == cim10.release.sha256


def test_status_names_a_missing_package(cim10: LoadReport, monkeypatch: pytest.MonkeyPatch) -> None:
    def not_installed(name: str) -> Any:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(source.importlib.metadata, "distribution", not_installed)
    text = run("status")
    assert "Paquet : le paquet edsnlp, qui fournit la CIM-10, n'est pas installé" in text
    assert json.loads(run("status", "--json"))["installed_sha256"] is None


def test_load_of_the_loaded_file_says_there_is_nothing_to_do(cim10: LoadReport) -> None:
    assert run("load") == (
        "CIM-10 déjà chargée depuis ce fichier "
        "(edsnlp 0.23.0 (edsnlp/resources/cim10.csv.gz)) : rien à faire.\n"
    )
    data = json.loads(run("load", "--json"))
    assert (data["loaded"], data["codes"], data["sha256"]) == (
        False,
        42_886,
        cim10.release.sha256,
    )
    assert Cim10Release.objects.count() == 1


def test_load_of_another_file_replaces_the_list(cim10: LoadReport, cim10_file: CsvWriter) -> None:
    path = cim10_file(*SMALL_LIST)
    text = run("load", "--file", str(path))
    assert text.startswith(f"CIM-10 chargée : 5 codes (2 sélectionnables) depuis {path}, en ")
    assert Cim10Code.objects.count() == 5
    # The package still ships the full list: status says it differs.
    status = run("status")
    assert "Le paquet installé fournit une autre version" in status
    assert json.loads(run("status", "--json"))["up_to_date"] is False


def test_load_refuses_a_bad_file_and_changes_nothing(
    cim10: LoadReport, cim10_file: CsvWriter
) -> None:
    path = cim10_file("E11,3,NNNN,3,X,Diabète", "E11,0,NOOO,0,X,Doublon")
    with pytest.raises(CommandError) as refused:
        run("load", "--file", str(path), "--json")
    assert str(refused.value) == (
        "CIM-10 non chargée, rien n'a changé :\n"
        f"{path}, ligne 3 : code E11 en double (déjà ligne 2)"
    )
    assert current_release() == cim10.release
    assert Cim10Code.objects.count() == 42_886


def test_load_refuses_a_missing_file(cim10: LoadReport, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"absent\.csv\.gz : lecture impossible"):
        run("load", "--file", str(tmp_path / "absent.csv.gz"))
