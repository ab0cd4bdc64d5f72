"""`hygie patients import --practice P FILE.csv`, for a practice moving from other
software. All data is synthetic: NIRs are computed test numbers, with the test OID."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from hygie.audit.enums import AuditEventType
from hygie.audit.models import AuditEvent
from hygie.core import clock
from hygie.patients.access import search_patients
from hygie.patients.demo import nir_key
from hygie.patients.enums import Gender, IdentityStatus, InsOid
from hygie.patients.models import Patient
from hygie.practices.context import as_system
from hygie.practices.models import Practice
from tests.cast import Cast

HEADER = "family,given,birth_date,sex,nir,birthplace_insee,phone,email,ins_oid"
TEST_OID = InsOid.TEST_NIR.value


def nir_for(sex: str, born: str, place: str = "75112", serial: str = "001") -> str:
    """A synthetic NIR consistent with sex and birth date, with its computed key."""
    first13 = f"{'1' if sex == 'M' else '2'}{born[2:4]}{born[5:7]}{place}{serial}"
    return first13 + nir_key(first13)


def row(
    family: str,
    given: str,
    born: str,
    sex: str,
    *,
    nir: str | None = None,
    place: str = "75112",
    phone: str = "01 99 00 12 34",
    email: str = "",
) -> str:
    nir = nir_for(sex, born, place) if nir is None else nir
    return ",".join([family, given, born, sex, nir, place, phone, email, TEST_OID if nir else ""])


MARTIN = row("Martin", "Paul", "1975-06-02", "M", email="paul.martin@exemple.test")
DURAND = row("Durand", "Sophie Anne", "1990-11-23", "F", place="69123")
PETIT = row("Petit", "Louise", "2001-01-15", "F", place="2A004")
VALID = [MARTIN, DURAND, PETIT]


def csv_file(
    tmp_path: Path,
    *rows: str,
    header: str = HEADER,
    name: str = "export.csv",
    encoding: str = "utf-8",
    newline: str = "\n",
) -> Path:
    path = tmp_path / name
    path.write_bytes(newline.join([header, *rows, ""]).encode(encoding))
    return path


def run(practice: Practice, path: Path | str, *extra: str) -> str:
    out = io.StringIO()
    call_command(
        "patients",
        "import",
        str(path),
        "--practice",
        str(practice.pk),
        *extra,
        stdout=out,
        stderr=io.StringIO(),
    )
    return out.getvalue()


def refused(practice: Practice, path: Path | str, *extra: str) -> str:
    """The message of a refused import, checking that it wrote nothing at all."""
    patients, events = Patient.objects.count(), AuditEvent.objects.count()
    with pytest.raises(CommandError) as failure:
        run(practice, path, *extra)
    assert Patient.objects.count() == patients
    assert AuditEvent.objects.count() == events
    return str(failure.value)


def found(practice: Practice, name: str) -> list[Patient]:
    return search_patients(as_system(practice, "test"), name=name)


# --- a valid file -----------------------------------------------------------------------------


def test_a_valid_file_imports_every_row(cast: Cast, tmp_path: Path) -> None:
    out = run(cast.practice_a, csv_file(tmp_path, *VALID))

    assert "3 patient(s) importé(s)" in out
    assert [p.birth_given_names for p in found(cast.practice_a, "Martin")] == ["Paul"]
    assert [p.birth_given_names for p in found(cast.practice_a, "Durand Sophie")] == ["Sophie Anne"]
    assert len(found(cast.practice_a, "Petit Louise")) == 1


def test_imported_identities_are_provisional_and_keep_their_ins(cast: Cast, tmp_path: Path) -> None:
    run(cast.practice_a, csv_file(tmp_path, MARTIN))

    (martin,) = found(cast.practice_a, "Martin")
    assert martin.birth_family_name == "MARTIN"
    assert martin.birth_date == dt.date(1975, 6, 2)
    assert martin.sex == Gender.MALE
    assert martin.nir == nir_for("M", "1975-06-02")
    assert martin.ins_oid == TEST_OID
    assert martin.email == "paul.martin@exemple.test"
    assert martin.identity_status == IdentityStatus.PROVISIONAL


def test_imported_patients_belong_to_the_named_practice_only(cast: Cast, tmp_path: Path) -> None:
    run(cast.practice_b, csv_file(tmp_path, *VALID))

    assert found(cast.practice_a, "Martin") == []
    assert len(found(cast.practice_b, "Martin")) == 1


def test_each_creation_is_audited_and_so_is_the_import(cast: Cast, tmp_path: Path) -> None:
    run(cast.practice_a, csv_file(tmp_path, *VALID))

    created = AuditEvent.objects.filter(
        event_type=AuditEventType.PATIENT_CREATED, detail__via="import"
    )
    imported = Patient.objects.filter(practice=cast.practice_a).exclude(pk=cast.patient.pk)
    assert sorted(e.patient_id for e in created) == sorted(p.pk for p in imported)
    assert {e.user_label for e in created} == {"system:cli:patients-import"}
    summary = AuditEvent.objects.get(event_type=AuditEventType.PATIENT_IMPORT)
    assert summary.practice_id == cast.practice_a.pk
    assert summary.detail == {"imported": 3, "skipped": 0}


def test_a_semicolon_separated_file_is_read(cast: Cast, tmp_path: Path) -> None:
    path = csv_file(
        tmp_path, *(r.replace(",", ";") for r in VALID), header=HEADER.replace(",", ";")
    )

    assert "3 patient(s) importé(s)" in run(cast.practice_a, path)
    assert len(found(cast.practice_a, "Durand")) == 1


def test_a_file_with_a_utf8_byte_order_mark_and_windows_line_ends_is_read(
    cast: Cast, tmp_path: Path
) -> None:
    path = csv_file(
        tmp_path,
        row("Lefèvre", "Élodie", "1988-04-09", "F"),
        *VALID,
        encoding="utf-8-sig",
        newline="\r\n",
    )

    assert "4 patient(s) importé(s)" in run(cast.practice_a, path)
    assert [p.birth_given_names for p in found(cast.practice_a, "lefevre elodie")] == ["Élodie"]


def test_french_dates_and_sex_codes_are_understood(cast: Cast, tmp_path: Path) -> None:
    nir = nir_for("M", "1975-06-02")
    path = csv_file(tmp_path, f"Martin,Paul,02/06/1975,H,{nir},75112,,,{TEST_OID}")

    run(cast.practice_a, path)

    (martin,) = found(cast.practice_a, "Martin")
    assert (martin.birth_date, martin.sex) == (dt.date(1975, 6, 2), Gender.MALE)


def test_column_names_are_matched_whatever_their_case_and_spacing(
    cast: Cast, tmp_path: Path
) -> None:
    header = ", ".join(c.capitalize() for c in HEADER.split(","))
    path = csv_file(tmp_path, *(r.replace(",", ", ") for r in VALID), header=header)

    assert "3 patient(s) importé(s)" in run(cast.practice_a, path)


def test_rows_without_nir_are_imported(cast: Cast, tmp_path: Path) -> None:
    run(
        cast.practice_a,
        csv_file(
            tmp_path,
            row("Martin", "Paul", "1975-06-02", "M", nir=""),
            row("Roux", "Léa", "2010-02-02", "F", nir=""),
        ),
    )

    assert found(cast.practice_a, "Martin")[0].nir is None
    assert len(found(cast.practice_a, "Roux")) == 1


def test_unknown_columns_are_ignored_and_reported(cast: Cast, tmp_path: Path) -> None:
    path = csv_file(tmp_path, *(r + ",allergique" for r in VALID), header=HEADER + ",notes")

    out = run(cast.practice_a, path)

    assert "3 patient(s) importé(s)" in out
    assert "Colonnes ignorées : notes" in out


def test_json_reports_the_count(cast: Cast, tmp_path: Path) -> None:
    data = json.loads(run(cast.practice_a, csv_file(tmp_path, *VALID), "--json"))

    assert data == {"imported": 3, "errors": [], "ignored_columns": []}


# --- invalid rows -----------------------------------------------------------------------------

# row -> (column named in the report, fragment of the reason). The reasons come from
# the identity rules (forms_data.py, identity.py): only their gist is checked here.
BAD_ROWS = {
    "bad NIR key": (
        row("Roux", "Léa", "1990-11-23", "F", nir=nir_for("F", "1990-11-23")[:13] + "00"),
        "nir",
        "clé de contrôle incorrecte",
    ),
    "short NIR": (row("Roux", "Léa", "1990-11-23", "F", nir="29011"), "nir", "15 caractères"),
    "unreadable date": (
        row("Roux", "Léa", "1990-02-31", "F"),
        "birth_date",
        "date illisible (AAAA-MM-JJ ou JJ/MM/AAAA)",
    ),
    "date in the future": (
        row("Roux", "Léa", f"{clock.today().year + 1}-01-01", "F"),
        "birth_date",
        "dans le futur",
    ),
    "unknown sex": (
        ",".join(["Roux", "Léa", "1990-11-23", "X", "", "", "", "", ""]),
        "sex",
        "sexe attendu : F, M ou U",
    ),
    "NIR of a woman for a man": (
        row("Roux", "Léo", "1990-11-23", "M", nir=nir_for("F", "1990-11-23")),
        "nir",
        "sexe masculin",
    ),
    "NIR of another year": (
        row("Roux", "Léa", "1991-11-23", "F", nir=nir_for("F", "1990-11-23")),
        "nir",
        "année de naissance",
    ),
    "digits in the name": (row("R2D2", "Léa", "1990-11-23", "F"), "family", "Lettres"),
    "missing given name": (row("Roux", "", "1990-11-23", "F"), "given", "obligatoire"),
    "bad birthplace": (
        row("Roux", "Léa", "1990-11-23", "F", nir="", place="Paris"),
        "birthplace_insee",
        "INSEE",
    ),
    "bad email": (row("Roux", "Léa", "1990-11-23", "F", email="lea@"), "email", "e-mail"),
}
# Rows whose fields do not line up with the header: reported without a column.
MISALIGNED = {
    "a field too many": (
        row("Roux", "Léa", "1990-11-23", "F") + ",extra",
        "10 champs au lieu de 9",
    ),
    "fields missing": ("Roux,Léa,1990-11-23,F", "4 champs au lieu de 9"),
}


@pytest.mark.parametrize("case", list(BAD_ROWS))
def test_import_refuses_the_whole_file_when_one_row_is_invalid(
    cast: Cast, tmp_path: Path, case: str
) -> None:
    bad, column, reason = BAD_ROWS[case]
    path = csv_file(tmp_path, MARTIN, bad, DURAND)

    message = refused(cast.practice_a, path)

    assert "1 ligne(s) invalide(s), rien n'a été importé" in message
    assert re.search(rf"^ligne 3 : {column} : .*{re.escape(reason)}", message, re.MULTILINE)
    assert found(cast.practice_a, "Martin") == []


@pytest.mark.parametrize("case", list(MISALIGNED))
def test_import_refuses_a_row_whose_fields_do_not_line_up_with_the_header(
    cast: Cast, tmp_path: Path, case: str
) -> None:
    bad, reason = MISALIGNED[case]

    message = refused(cast.practice_a, csv_file(tmp_path, MARTIN, bad))

    assert f"ligne 3 : {reason} (séparateur ou guillemets ?)" in message


def test_the_report_names_every_bad_row_by_its_line_in_the_file(cast: Cast, tmp_path: Path) -> None:
    path = csv_file(
        tmp_path,
        MARTIN,
        BAD_ROWS["unknown sex"][0],
        DURAND,
        BAD_ROWS["unreadable date"][0],
        "",
        PETIT,
        BAD_ROWS["bad NIR key"][0],
    )

    message = refused(cast.practice_a, path)

    lines = re.findall(r"^ligne (\d+) : ", message, flags=re.MULTILINE)
    assert lines == ["3", "5", "8"]  # the header is line 1; the blank line 6 counts
    assert "3 ligne(s) invalide(s)" in message


def test_a_row_with_several_problems_lists_them_all(cast: Cast, tmp_path: Path) -> None:
    path = csv_file(tmp_path, "Roux,Léa,1990-13-45,X,,,,,")

    message = refused(cast.practice_a, path)

    assert "sex : sexe attendu" in message
    assert "birth_date : date illisible" in message


def test_skip_invalid_imports_the_valid_rows_and_reports_the_others(
    cast: Cast, tmp_path: Path
) -> None:
    path = csv_file(
        tmp_path, MARTIN, BAD_ROWS["unknown sex"][0], DURAND, BAD_ROWS["bad NIR key"][0]
    )

    out = run(cast.practice_a, path, "--skip-invalid")

    assert "2 patient(s) importé(s)" in out
    assert "ligne 3 : sex : sexe attendu" in out
    assert "ligne 5 : nir : " in out
    assert len(found(cast.practice_a, "Martin")) == 1
    assert len(found(cast.practice_a, "Durand")) == 1
    assert found(cast.practice_a, "Roux") == []
    summary = AuditEvent.objects.get(event_type=AuditEventType.PATIENT_IMPORT)
    assert summary.detail == {"imported": 2, "skipped": 2}


def test_skip_invalid_json_lists_the_rows_left_out(cast: Cast, tmp_path: Path) -> None:
    path = csv_file(tmp_path, MARTIN, BAD_ROWS["unknown sex"][0])

    data = json.loads(run(cast.practice_a, path, "--skip-invalid", "--json"))

    assert data == {
        "imported": 1,
        "ignored_columns": [],
        "errors": [{"line": 3, "reason": "sex : sexe attendu : F, M ou U"}],
    }


def test_json_of_a_refused_file_lists_the_errors_on_stdout(cast: Cast, tmp_path: Path) -> None:
    out = io.StringIO()
    path = csv_file(tmp_path, MARTIN, BAD_ROWS["unknown sex"][0])

    with pytest.raises(CommandError):
        call_command(
            "patients",
            "import",
            str(path),
            "--practice",
            str(cast.practice_a.pk),
            "--json",
            stdout=out,
            stderr=io.StringIO(),
        )

    assert json.loads(out.getvalue())["errors"] == [
        {"line": 3, "reason": "sex : sexe attendu : F, M ou U"}
    ]
    assert Patient.objects.filter(practice=cast.practice_a).count() == 1  # the cast's


# --- duplicates -------------------------------------------------------------------------------


def test_a_nir_repeated_inside_the_file_is_refused(cast: Cast, tmp_path: Path) -> None:
    twin = row("Martin", "Pierre", "1975-06-02", "M")  # same NIR as MARTIN
    path = csv_file(tmp_path, MARTIN, DURAND, twin)

    message = refused(cast.practice_a, path)

    assert "ligne 4 : nir : NIR déjà présent à la ligne 2 du fichier" in message


def test_a_nir_already_held_by_a_patient_of_the_practice_is_refused(
    cast: Cast, tmp_path: Path
) -> None:
    jeanne = row("Lefèvre", "Jeanne", "1984-03-12", "F", nir=cast.patient.nir)
    path = csv_file(tmp_path, MARTIN, jeanne)

    message = refused(cast.practice_a, path)

    assert "ligne 3 : nir : un patient du cabinet porte déjà ce NIR" in message


def test_the_same_nir_in_another_practice_is_no_duplicate(cast: Cast, tmp_path: Path) -> None:
    jeanne = row("Lefèvre", "Jeanne", "1984-03-12", "F", nir=cast.patient.nir)

    assert "1 patient(s) importé(s)" in run(cast.practice_b, csv_file(tmp_path, jeanne))


def test_importing_the_same_file_twice_is_refused_the_second_time(
    cast: Cast, tmp_path: Path
) -> None:
    path = csv_file(tmp_path, *VALID)
    run(cast.practice_a, path)

    message = refused(cast.practice_a, path)

    assert message.count("un patient du cabinet porte déjà ce NIR") == 3


# --- unusable files ---------------------------------------------------------------------------


@pytest.mark.parametrize("extra", [(), ("--skip-invalid",)])
def test_a_missing_column_refuses_the_file_even_with_skip_invalid(
    cast: Cast, tmp_path: Path, extra: tuple[str, ...]
) -> None:
    header = HEADER.replace("nir,", "")
    path = csv_file(tmp_path, "Martin,Paul,1975-06-02,M,75112,,,", header=header)

    message = refused(cast.practice_a, path, *extra)

    assert "fichier inutilisable, rien n'a été importé" in message
    assert "ligne 1 : colonnes manquantes : nir" in message
    assert "--skip-invalid" not in message  # it would not help


@pytest.mark.parametrize("extra", [(), ("--skip-invalid",)])
def test_a_quote_left_open_refuses_the_file_naming_the_line_where_it_starts(
    cast: Cast, tmp_path: Path, extra: tuple[str, ...]
) -> None:
    """The open quote swallows the rows after it: none of them can be trusted."""
    opened = MARTIN.replace("Paul", '"Paul')
    path = csv_file(tmp_path, DURAND, opened, PETIT)

    message = refused(cast.practice_a, path, *extra)

    assert "ligne 3 : guillemet non refermé" in message
    assert "jusqu'à la ligne 4" in message  # the end of the file


def test_a_quoted_multi_line_value_in_an_ignored_column_is_fine(cast: Cast, tmp_path: Path) -> None:
    path = csv_file(tmp_path, MARTIN + ',"suivi\nannuel"', DURAND + ",", header=HEADER + ",notes")

    assert "2 patient(s) importé(s)" in run(cast.practice_a, path)


def test_a_file_that_is_not_csv_at_all_is_refused(cast: Cast, tmp_path: Path) -> None:
    path = csv_file(tmp_path, MARTIN, "x," + "y" * 200_000, DURAND)

    message = refused(cast.practice_a, path, "--skip-invalid")

    assert "ligne 3 : CSV illisible à partir d'ici" in message


def test_an_empty_file_is_refused(cast: Cast, tmp_path: Path) -> None:
    path = tmp_path / "vide.csv"
    path.write_bytes(b"")

    assert "ligne 1 : colonnes manquantes : family, given" in refused(cast.practice_a, path)


def test_a_header_only_file_imports_nothing(cast: Cast, tmp_path: Path) -> None:
    assert "0 patient(s) importé(s)" in run(cast.practice_a, csv_file(tmp_path))


def test_a_file_that_is_not_utf8_is_refused_with_a_clear_message(
    cast: Cast, tmp_path: Path
) -> None:
    path = csv_file(tmp_path, row("Lefèvre", "Hélène", "1984-03-12", "F"), encoding="latin-1")

    message = refused(cast.practice_a, path)

    assert "doit être encodé en UTF-8" in message


def test_a_missing_file_is_refused_with_a_clear_message(cast: Cast, tmp_path: Path) -> None:
    message = refused(cast.practice_a, tmp_path / "absent.csv")

    assert "absent.csv : lecture impossible (No such file or directory)" in message


def test_an_unknown_practice_is_refused(cast: Cast, tmp_path: Path) -> None:
    path = csv_file(tmp_path, *VALID)
    with pytest.raises(CommandError, match="aucun cabinet"):
        call_command(
            "patients",
            "import",
            str(path),
            "--practice",
            "00000000-0000-0000-0000-000000000000",
            stdout=io.StringIO(),
        )


def test_a_practice_in_read_only_mode_is_refused(cast: Cast, tmp_path: Path) -> None:
    # No action sets the incident mode yet: set the flag directly.
    Practice.objects.filter(pk=cast.practice_a.pk).update(read_only_since=clock.now())

    message = refused(cast.practice_a, csv_file(tmp_path, *VALID))

    assert "lecture seule" in message


def test_an_unknown_oid_is_reported_on_its_row(cast: Cast, tmp_path: Path) -> None:
    bad = MARTIN.replace(TEST_OID, "1.2.3")

    assert "ligne 2 : nir : OID de l'INS inconnu : 1.2.3" in refused(
        cast.practice_a, csv_file(tmp_path, bad)
    )
