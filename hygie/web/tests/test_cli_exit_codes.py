"""What a shell script sees of `hygie`: exit status, stdout, stderr. A real process
on a real (temporary) installation, as an administrator would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings

from hygie.patients.demo import nir_key

Hygie = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def hygie(tmp_path_factory: pytest.TempPathFactory) -> Hygie:
    """`hygie ARGS...` (manage.py) on a fresh data directory, migrated once."""
    data_dir = tmp_path_factory.mktemp("hygie-data")
    env = {
        k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("HYGIE_")
    }
    env["HYGIE_DATA_DIR"] = str(data_dir)

    def run(*args: str, module: bool = False) -> subprocess.CompletedProcess[str]:
        command = ["-m", "hygie"] if module else [str(Path(settings.BASE_DIR) / "manage.py")]
        return subprocess.run(  # noqa: S603 (our own interpreter and script)
            [sys.executable, *command, *args],
            env=env,
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    migrated = run("migrate", "--no-input", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr
    return run


@pytest.fixture(scope="module")
def practice_id(hygie: Hygie) -> str:
    created = hygie("practice", "create", "Cabinet des Processus", "--json")
    assert created.returncode == 0, created.stderr
    return str(json.loads(created.stdout)["id"])


def practices(hygie: Hygie) -> list[dict[str, str]]:
    listed = hygie("practice", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    return list(json.loads(listed.stdout))


def test_a_successful_command_exits_0_with_its_json_on_stdout(
    hygie: Hygie, practice_id: str
) -> None:
    assert {"id": practice_id, "name": "Cabinet des Processus"} in practices(hygie)


def test_python_m_hygie_is_the_same_command(hygie: Hygie, practice_id: str) -> None:
    listed = hygie("practice", "list", "--json", module=True)

    assert listed.returncode == 0, listed.stderr
    assert practice_id in {p["id"] for p in json.loads(listed.stdout)}


def test_an_empty_practice_name_exits_1_with_the_reason_on_stderr(hygie: Hygie) -> None:
    before = practices(hygie)

    result = hygie("practice", "create", "")

    assert result.returncode == 1
    assert "Le nom du cabinet est obligatoire." in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert practices(hygie) == before


def test_a_practitioner_without_rpps_exits_1_and_leaves_no_account(
    hygie: Hygie, practice_id: str
) -> None:
    args = (
        "user",
        "create",
        "--email",
        "ines@processus.test",
        "--practice",
        practice_id,
        "--role",
        "practitioner",
    )

    refused = hygie(*args)

    assert refused.returncode == 1
    assert "numéro RPPS" in refused.stderr
    # Nothing was left behind: the same e-mail can be used at once.
    created = hygie(*args, "--rpps", "19999990013", "--json")
    assert created.returncode == 0, created.stderr
    assert "/comptes/password/reset/key/" in json.loads(created.stdout)["enrolment_link"]


def test_an_unknown_practice_exits_1(hygie: Hygie) -> None:
    result = hygie(
        "user",
        "create",
        "--email",
        "x@processus.test",
        "--practice",
        "Cabinet",
        "--role",
        "assistant",
    )

    assert result.returncode == 1
    assert "n'est pas un identifiant de cabinet" in result.stderr


def test_an_invalid_import_exits_1_naming_the_bad_line_and_imports_nothing(
    hygie: Hygie, practice_id: str, tmp_path: Path
) -> None:
    first13 = "1750675112001"
    good = f"Martin,Paul,1975-06-02,M,{first13}{nir_key(first13)},75112,,,1.2.250.1.213.1.4.10"
    bad = "Roux,Léa,1990-11-23,X,,,,,"
    header = "family,given,birth_date,sex,nir,birthplace_insee,phone,email,ins_oid"
    path = tmp_path / "export.csv"
    path.write_text(f"{header}\n{good}\n{bad}\n", encoding="utf-8")

    refused = hygie("patients", "import", str(path), "--practice", practice_id)

    assert refused.returncode == 1
    assert "ligne 3 : sex" in refused.stderr
    assert "rien n'a été importé" in refused.stderr
    # The good row was not imported: importing it alone now succeeds.
    path.write_text(f"{header}\n{good}\n", encoding="utf-8")
    imported = hygie("patients", "import", str(path), "--practice", practice_id, "--json")
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["imported"] == 1


def test_a_missing_import_file_exits_1(hygie: Hygie, practice_id: str, tmp_path: Path) -> None:
    result = hygie("patients", "import", str(tmp_path / "absent.csv"), "--practice", practice_id)

    assert result.returncode == 1
    assert "lecture impossible" in result.stderr


def test_an_unknown_subcommand_exits_non_zero(hygie: Hygie) -> None:
    result = hygie("practice", "delete", "x")

    assert result.returncode != 0
    assert "invalid choice" in result.stderr
