"""Versions of a patient's record: what a version holds, and how an old one is
rebuilt for FHIR vread and history. Pure functions over the models."""

from __future__ import annotations

import datetime as dt
from dataclasses import fields as dataclass_fields

from .forms_data import IdentityData
from .models import Patient, PatientVersion

# What a version of the record is made of: every field the record shows or
# exports, as stored (dates in ISO format).
SNAPSHOT_FIELDS = (
    *(f.name for f in dataclass_fields(IdentityData)),
    "identity_status",
    "ins_retrieved_at",
    "identity_document",
    "identity_checked_at",
    "treating_practitioner_id",
)
_SNAPSHOT_DATES = {
    "birth_date": dt.date,
    "ins_retrieved_at": dt.datetime,
    "identity_checked_at": dt.datetime,
}


def snapshot_of(patient: Patient) -> dict[str, object]:
    data: dict[str, object] = {}
    for name in SNAPSHOT_FIELDS:
        value = getattr(patient, name)
        if isinstance(value, dt.date | dt.datetime):
            value = value.isoformat()
        elif value is not None and not isinstance(value, str):
            value = str(value)
        data[name] = value
    return data


def patient_from_snapshot(version: PatientVersion) -> Patient:
    """An unsaved Patient holding `version` as it was: for vread and history."""
    values: dict[str, object] = {}
    for name, value in version.snapshot.items():
        kind = _SNAPSHOT_DATES.get(name)
        if value is not None and kind is dt.date:
            value = dt.date.fromisoformat(str(value))
        elif value is not None and kind is dt.datetime:
            value = dt.datetime.fromisoformat(str(value))
        values[name] = value
    patient = Patient(
        id=version.patient_id, practice_id=version.practice_id, version=version.version, **values
    )
    patient.updated_at = version.valid_from
    return patient
