"""Import of patients from a CSV file, for a practice moving from other software.

Every row is checked before anything is written; the import is one transaction,
so it writes all valid rows or nothing."""

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

from .actions import build_patient, check_can_write_identity
from .enums import Gender
from .forms_data import IdentityData, check_identity
from .models import Patient, PatientNameToken

COLUMNS = ("family", "given", "birth_date", "sex", "nir", "birthplace_insee", "phone", "email")
SEX_CODES = {"f": Gender.FEMALE, "female": Gender.FEMALE, "2": Gender.FEMALE,
             "m": Gender.MALE, "male": Gender.MALE, "h": Gender.MALE, "1": Gender.MALE,
             "u": Gender.UNKNOWN, "unknown": Gender.UNKNOWN, "i": Gender.UNKNOWN}


@dataclass
class RowError:
    line: int
    reason: str


@dataclass
class ImportReport:
    imported: int = 0
    errors: list[RowError] = field(default_factory=list)


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
    raise ValidationError({"birth_date": [_("date illisible (AAAA-MM-JJ ou JJ/MM/AAAA)")]})


def parse_rows(text: str) -> tuple[list[tuple[int, IdentityData]], list[RowError]]:
    reader = csv.DictReader(io.StringIO(text), delimiter=_sniff_delimiter(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        return [], [RowError(1, _("colonnes manquantes : %(c)s") % {"c": ", ".join(missing)})]
    rows, errors = [], []
    today = clock.today()
    for record in reader:
        line = reader.line_num
        try:
            sex = SEX_CODES.get((record["sex"] or "").strip().lower())
            if sex is None:
                raise ValidationError({"sex": [_("sexe attendu : F, M ou U")]})
            data = IdentityData(
                birth_family_name=record["family"] or "", birth_given_names=record["given"] or "",
                birth_date=_date(record["birth_date"] or ""), sex=sex,
                nir=record["nir"] or "", birthplace_insee=record["birthplace_insee"] or "",
                phone=record["phone"] or "", email=record["email"] or "",
            )
            rows.append((line, check_identity(data, today)))
        except ValidationError as exc:
            errors.append(RowError(line, _describe(exc)))
    return rows, errors


def _sniff_delimiter(text: str) -> str:
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def _describe(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(f"{f} : {' '.join(m)}" for f, m in error.message_dict.items())
    return " ".join(error.messages)


def do_import_patients(actor: Actor, text: str, *, skip_invalid: bool = False) -> ImportReport:
    check_can_write_identity(actor)
    rows, errors = parse_rows(text)
    report = ImportReport(errors=errors)
    seen: dict[bytes, int] = {}
    built = []
    for line, data in rows:
        patient, tokens = build_patient(actor, data)
        if patient.nir_index is not None:
            if patient.nir_index in seen:
                report.errors.append(RowError(line, _("NIR déjà présent à la ligne %(l)s du "
                                                      "fichier") % {"l": seen[patient.nir_index]}))
                continue
            seen[patient.nir_index] = line
        built.append((line, patient, tokens))
    # BinaryField values come back as memoryview on PostgreSQL: compare as bytes.
    existing = {bytes(index) for index in Patient.objects.filter(
        practice=actor.practice, nir_index__in=list(seen)).values_list("nir_index", flat=True)}
    for line, patient, _tokens in built:
        if patient.nir_index is not None and bytes(patient.nir_index) in existing:
            report.errors.append(RowError(line, _("un patient du cabinet porte déjà ce NIR")))
    bad_lines = {e.line for e in report.errors}
    report.errors.sort(key=lambda e: e.line)
    if report.errors and not skip_invalid:
        raise ImportRefused(report)
    good = [(p, t) for line, p, t in built if line not in bad_lines]
    with transaction.atomic():
        Patient.objects.bulk_create([p for p, _t in good], batch_size=500)
        PatientNameToken.objects.bulk_create([t for _p, ts in good for t in ts], batch_size=2000)
        for patient, _t in good:
            record_event(actor.source, AuditEventType.PATIENT_CREATED, action=AuditAction.CREATE,
                         patient_id=patient.pk, entity_type="Patient", entity_id=str(patient.pk),
                         purpose=PurposeOfUse.PATADMIN, detail={"via": "import"})
        record_event(actor.source, AuditEventType.PATIENT_IMPORT, action=AuditAction.CREATE,
                     entity_type="Patient", purpose=PurposeOfUse.PATADMIN,
                     detail={"imported": len(good), "skipped": len(bad_lines)})
    report.imported = len(good)
    return report
