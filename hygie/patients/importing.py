"""Import of patients from a CSV file, for a practice moving from other software.

Every row is checked before anything is written; the import is one transaction,
so it writes all valid rows or nothing. Rows are reported by their line number in
the file (the header is line 1), with the file's own column names."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from hygie.audit.actions import record_event
from hygie.audit.enums import AuditAction, AuditEventType, PurposeOfUse
from hygie.core import clock
from hygie.practices.context import Actor

from .actions import build_patient, check_can_write_identity, do_create_built_patients
from .enums import Gender
from .forms_data import IdentityData, check_identity
from .models import Patient

COLUMNS = ("family", "given", "birth_date", "sex", "nir", "birthplace_insee", "phone", "email")
# Optional: the OID of the matricule (NIR by default; the test OID for test data).
OPTIONAL_COLUMNS = ("ins_oid",)
SEX_CODES = {
    "f": Gender.FEMALE,
    "female": Gender.FEMALE,
    "2": Gender.FEMALE,
    "m": Gender.MALE,
    "male": Gender.MALE,
    "h": Gender.MALE,
    "1": Gender.MALE,
    "u": Gender.UNKNOWN,
    "unknown": Gender.UNKNOWN,
    "i": Gender.UNKNOWN,
}
# Errors name the file's columns, not the model's fields.
COLUMN_OF_FIELD = {"birth_family_name": "family", "birth_given_names": "given"}


@dataclass
class RowError:
    line: int
    reason: str


@dataclass
class ImportReport:
    imported: int = 0
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    # The file itself is unusable (missing columns, broken CSV): no row can be
    # trusted, so nothing is imported even with skip_invalid.
    unusable: bool = False


class ImportRefused(Exception):
    def __init__(self, report: ImportReport) -> None:
        super().__init__(f"{len(report.errors)} invalid rows")
        self.report = report


def _date(value: str) -> dt.date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(value.strip(), fmt).date()  # noqa: DTZ007
        except ValueError:
            continue
    raise ValidationError(_("date illisible (AAAA-MM-JJ ou JJ/MM/AAAA)"))


def _row(values: dict[str, str], today: dt.date) -> IdentityData:
    """The checked identity of one CSV record, or ValidationError naming every
    problem of the row."""
    errors: dict[str, list[str]] = {}
    sex = SEX_CODES.get(values["sex"].strip().lower())
    if sex is None:
        errors["sex"] = [_("sexe attendu : F, M ou U")]
    birth_date = None
    try:
        birth_date = _date(values["birth_date"])
    except ValidationError as exc:
        errors["birth_date"] = exc.messages
    if errors or sex is None or birth_date is None:
        raise ValidationError(errors)
    data = IdentityData(
        birth_family_name=values["family"],
        birth_given_names=values["given"],
        birth_date=birth_date,
        sex=sex,
        nir=values["nir"],
        ins_oid=values.get("ins_oid", "").strip(),
        birthplace_insee=values["birthplace_insee"],
        phone=values["phone"],
        email=values["email"],
    )
    return check_identity(data, today)


Rows = list[tuple[int, IdentityData]]


def parse_rows(text: str) -> tuple[Rows, ImportReport]:
    """The valid rows with their line numbers, and a report of the others. A row is
    reported at the line where it starts."""
    rows: Rows = []
    report = ImportReport()
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))
    try:
        header = [name.strip().lower() for name in next(reader, [])]
    except csv.Error as exc:
        report.errors.append(RowError(1, _("en-tête CSV illisible : %(e)s") % {"e": exc}))
        report.unusable = True
        return rows, report
    missing = [c for c in COLUMNS if c not in header]
    duplicated = sorted({c for c in header if c and header.count(c) > 1})
    if missing or duplicated:
        reasons = []
        if missing:
            reasons.append(_("colonnes manquantes : %(c)s") % {"c": ", ".join(missing)})
        if duplicated:
            reasons.append(_("colonnes en double : %(c)s") % {"c": ", ".join(duplicated)})
        report.errors.append(RowError(1, "; ".join(reasons)))
        report.unusable = True
        return rows, report
    known = set(COLUMNS) | set(OPTIONAL_COLUMNS)
    report.ignored_columns = [c for c in header if c and c not in known]
    today = clock.today()
    end = reader.line_num
    try:
        for fields in reader:
            line, end = end + 1, reader.line_num
            if not fields:
                continue  # a blank line
            values = dict(zip(header, fields, strict=False))
            if end > line and (
                len(fields) != len(header)
                or any("\n" in v or "\r" in v for c, v in values.items() if c in known)
            ):
                # No identity field spans lines: a quote left open has swallowed the
                # rows that follow, which can no longer be told apart.
                message = _(
                    "guillemet non refermé : l'enregistrement s'étend jusqu'à la ligne %(end)s"
                )
                report.errors.append(RowError(line, message % {"end": end}))
                report.unusable = True
                continue
            if len(fields) != len(header):
                message = _("%(n)s champs au lieu de %(m)s (séparateur ou guillemets ?)")
                report.errors.append(RowError(line, message % {"n": len(fields), "m": len(header)}))
                continue
            try:
                rows.append((line, _row(values, today)))
            except ValidationError as exc:
                report.errors.append(RowError(line, _describe(exc)))
    except csv.Error as exc:
        report.errors.append(
            RowError(end + 1, _("CSV illisible à partir d'ici : %(e)s") % {"e": exc})
        )
        report.unusable = True
    return rows, report


def _sniff_delimiter(text: str) -> str:
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def _describe(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(
            f"{COLUMN_OF_FIELD.get(f, f)} : {' '.join(m)}" for f, m in error.message_dict.items()
        )
    return " ".join(error.messages)


def do_import_patients(actor: Actor, text: str, *, skip_invalid: bool = False) -> ImportReport:
    """Imports the patients of a CSV text (see COLUMNS). Raises ImportRefused, with
    writing nothing, if a row is invalid (unless skip_invalid: then the valid rows
    are imported and the others reported) or if the file itself is unusable."""
    check_can_write_identity(actor)
    rows, report = parse_rows(text)
    seen: dict[bytes, int] = {}
    built = []
    for line, data in rows:
        patient, tokens = build_patient(actor, data)
        if patient.nir_index is not None:
            index = bytes(patient.nir_index)
            if index in seen:
                report.errors.append(
                    RowError(
                        line,
                        _("nir : NIR déjà présent à la ligne %(l)s du fichier")
                        % {"l": seen[index]},
                    )
                )
                continue
            seen[index] = line
        built.append((line, patient, tokens))
    # BinaryField values come back as memoryview on PostgreSQL: compare as bytes.
    existing = {
        bytes(index)
        for index in Patient.objects.filter(
            practice=actor.practice, nir_index__in=list(seen)
        ).values_list("nir_index", flat=True)
        if index is not None
    }
    for line, patient, _tokens in built:
        if patient.nir_index is not None and bytes(patient.nir_index) in existing:
            report.errors.append(RowError(line, _("nir : un patient du cabinet porte déjà ce NIR")))
    bad_lines = {e.line for e in report.errors}
    report.errors.sort(key=lambda e: e.line)
    if report.unusable or (report.errors and not skip_invalid):
        raise ImportRefused(report)
    good = [(p, t) for line, p, t in built if line not in bad_lines]
    with transaction.atomic():
        do_create_built_patients(actor, good, via="import")
        record_event(
            actor.source,
            AuditEventType.PATIENT_IMPORT,
            action=AuditAction.CREATE,
            entity_type="Patient",
            purpose=PurposeOfUse.PATADMIN,
            detail={"imported": len(good), "skipped": len(bad_lines)},
        )
    report.imported = len(good)
    return report
