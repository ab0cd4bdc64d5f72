"""Recording what a relative of the patient had (FHIR FamilyMemberHistory),
correcting it, marking it entered in error.

As for the patient's own conditions (actions/conditions.py): every field judged
first and every problem collected into one ValidationError keyed by field, the
CIM-10 codes checked against hygie.terminology; then the row, the previous
version (on a change) and one CLINICAL_WRITE event, in one transaction; a change
names the version it was made on. The dates of the patient's life do not apply:
a relative's condition is dated by their age at onset (decision 0021).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from hygie.audit.enums import AuditAction
from hygie.clinical.access import (
    FAMILY_HISTORY,
    WriteGrant,
    access_family_history_entry_for_writing,
    access_record_for_writing,
)
from hygie.clinical.actions.checks import (
    REASON_MIN_LENGTH,
    Errors,
    add_error,
    choice,
    clean_text,
)
from hygie.clinical.actions.conditions import (
    NOTE_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    KeptCodes,
    check_cim10_code,
)
from hygie.clinical.actions.writes import keep_version, record_clinical_write
from hygie.clinical.enums import FamilyHistoryStatus, FamilyRelationship
from hygie.clinical.models import FamilyMemberHistory, FamilyMemberHistoryVersion
from hygie.core import clock
from hygie.patients.actions import VersionConflict
from hygie.practices.context import Actor

MAX_FAMILY_CONDITIONS = 20
MAX_ONSET_AGE = 130

CONTENT_FIELDS = ("relationship", "status", "deceased", "conditions", "note")


@dataclass(frozen=True)
class FamilyConditionData:
    """One condition of the relative, as typed: a CIM-10 code and/or text, the
    age it began at (years, or blank), whether it caused the death."""

    code: str = ""
    text: str = ""
    onset_age: str = ""
    contributed_to_death: bool = False


@dataclass(frozen=True)
class FamilyHistoryData:
    """What the form sends for one relative. `deceased` is None when not said."""

    relationship: str = ""
    status: str = FamilyHistoryStatus.COMPLETED.value
    deceased: bool | None = None
    conditions: Sequence[FamilyConditionData] = ()
    note: str = ""


class FamilyHistoryVersionConflict(VersionConflict):
    """Someone changed the entry since the version the writer read. Nothing was
    written; `current` is the version now stored."""

    def __init__(self, current: int) -> None:
        Exception.__init__(
            self,
            _(
                "Cet antécédent familial a été modifié entre-temps (il en est à la version "
                "%(version)s) : rien n'a été enregistré. Rouvrez-le pour voir ce qui a "
                "changé, puis refaites votre modification."
            )
            % {"version": current},
        )
        self.current = current


def _check_one(
    condition: FamilyConditionData, deceased: bool | None, kept: KeptCodes
) -> tuple[dict[str, Any], Errors]:
    problems: Errors = {}
    text = clean_text(condition.text)
    if len(text) > TEXT_MAX_LENGTH:
        add_error(
            problems,
            "text",
            _("le libellé tient en %(limit)s caractères au plus.") % {"limit": TEXT_MAX_LENGTH},
            "too-long",
        )
    code, label = check_cim10_code(condition.code or "", "code", problems, kept=kept)
    if not text and not (condition.code or "").strip():
        add_error(
            problems,
            "text",
            _("indiquez l'affection, en texte ou par son code CIM-10."),
            "required",
        )
    age_typed = (condition.onset_age or "").strip()
    onset_age = None
    if age_typed:
        if age_typed.isdigit() and int(age_typed) <= MAX_ONSET_AGE:
            onset_age = int(age_typed)
        else:
            add_error(
                problems,
                "onset_age",
                _("l'âge au début est un nombre d'années, de 0 à %(limit)s.")
                % {"limit": MAX_ONSET_AGE},
                "invalid",
            )
    if condition.contributed_to_death and deceased is not True:
        add_error(
            problems,
            "contributed_to_death",
            _("une affection n'a pu causer le décès que d'un parent décédé."),
            "not-deceased",
        )
    stored = {
        "code": code,
        "code_label": label,
        "text": text or None,
        "onset_age": onset_age,
        "contributed_to_death": bool(condition.contributed_to_death),
    }
    return stored, problems


def check_family_history(
    data: FamilyHistoryData, *, kept: KeptCodes | None = None
) -> dict[str, Any]:
    """The values to store (FamilyMemberHistory field names), or one
    ValidationError keyed by field with every problem found; a condition's
    problems are under `conditions`, numbered. `kept`: the codes already on the
    entry being corrected."""
    errors: Errors = {}
    values: dict[str, Any] = {
        "relationship": choice(
            data.relationship,
            FamilyRelationship,
            "relationship",
            errors,
            required=_("Indiquez le lien de parenté."),
        ),
        "deceased": data.deceased,
    }
    status = (data.status or "").strip()
    if status == FamilyHistoryStatus.ENTERED_IN_ERROR:
        add_error(
            errors,
            "status",
            _("Une saisie par erreur se signale par l'action dédiée, qui demande un motif."),
            "refused",
        )
        status = ""
    values["status"] = choice(
        status,
        FamilyHistoryStatus,
        "status",
        errors,
        required=None if "status" in errors else _("Indiquez le statut."),
    )
    typed = [c for c in data.conditions if any((c.code.strip(), clean_text(c.text), c.onset_age))]
    conditions: list[dict[str, Any]] = []
    if len(typed) > MAX_FAMILY_CONDITIONS:
        add_error(
            errors,
            "conditions",
            _("%(limit)s affections au plus.") % {"limit": MAX_FAMILY_CONDITIONS},
            "too-many",
        )
        typed = []
    if typed and values["status"] == FamilyHistoryStatus.HEALTH_UNKNOWN:
        add_error(
            errors,
            "status",
            _("Un état de santé inconnu ne va pas avec des affections."),
            "health-unknown",
        )
    for number, condition in enumerate(typed, start=1):
        stored, problems = _check_one(condition, data.deceased, kept or {})
        for problem in (e for found in problems.values() for e in found):
            add_error(
                errors,
                "conditions",
                _("Affection %(number)s : %(problem)s")
                % {"number": number, "problem": problem.message},
                problem.code or "invalid",
            )
        conditions.append(stored)
    values["conditions"] = conditions
    note = (data.note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        add_error(
            errors,
            "note",
            _("La note tient en %(limit)s caractères au plus.") % {"limit": NOTE_MAX_LENGTH},
            "too-long",
        )
    values["note"] = note or None
    if errors:
        raise ValidationError(errors)
    return values


def do_record_family_history(
    actor: Actor, patient_id: object, data: FamilyHistoryData
) -> FamilyMemberHistory:
    """Records what a relative of the patient had, as version 1.

    Raises ValidationError (every problem; nothing written), and as
    access_record_for_writing."""
    grant = access_record_for_writing(
        actor, patient_id, action=AuditAction.CREATE, section=FAMILY_HISTORY
    )
    values = check_family_history(data)
    now = clock.now()
    entry = FamilyMemberHistory(
        practice=actor.practice,
        patient=grant.patient,
        recorded_at=now,
        recorded_by=actor.membership,
        last_changed_at=now,
        last_changed_by=actor.membership,
        version=1,
        **values,
    )
    with transaction.atomic():
        entry.save(force_insert=True)
        _record_write(actor, grant, AuditAction.CREATE, entry, {}, reason=grant.reason)
    return entry


def do_update_family_history(
    actor: Actor, entry_id: object, data: FamilyHistoryData, *, expected_version: int
) -> FamilyMemberHistory:
    """Replaces a relative's history with `data`, keeping the version it replaces.
    FamilyHistoryVersionConflict if it changed since `expected_version`; nothing
    changed: nothing written, nothing audited. Codes already on the entry are
    kept even if withdrawn since.

    Raises ValidationError (also for an entry entered in error), and as
    access_family_history_entry_for_writing."""
    entry, grant = access_family_history_entry_for_writing(
        actor, entry_id, action=AuditAction.UPDATE
    )
    if entry.is_entered_in_error:
        raise ValidationError(
            {
                NON_FIELD_ERRORS: [
                    _(
                        "Cet antécédent familial est marqué comme saisi par erreur : il ne se "
                        "modifie plus. Enregistrez-en un nouveau."
                    )
                ]
            },
            code="entered-in-error",
        )
    kept = {
        c["code"].replace(".", ""): (c["code"], c["code_label"])
        for c in entry.conditions
        if c["code"]
    }
    values = check_family_history(data, kept=kept)
    if entry.version != expected_version:
        raise FamilyHistoryVersionConflict(entry.version)
    changed = [name for name in CONTENT_FIELDS if getattr(entry, name) != values[name]]
    if not changed:
        return entry
    with transaction.atomic():
        _keep_version(actor, entry)
        for name in changed:
            setattr(entry, name, values[name])
        entry.save(update_fields=[*changed, *_VERSION_FIELDS])
        _record_write(
            actor,
            grant,
            AuditAction.UPDATE,
            entry,
            {"fields": changed},
            reason=grant.reason,
        )
    return entry


def do_mark_family_history_entered_in_error(
    actor: Actor, entry_id: object, reason: str, *, expected_version: int | None = None
) -> FamilyMemberHistory:
    """Marks a relative's history entered in error (FHIR status), with its reason:
    it leaves the list but is kept, its previous version too. One CLINICAL_WRITE
    event, the reason sealed in the log.

    Raises ValidationError without a reason or when already marked,
    FamilyHistoryVersionConflict, and as access_family_history_entry_for_writing."""
    entry, grant = access_family_history_entry_for_writing(
        actor, entry_id, action=AuditAction.UPDATE
    )
    reason = clean_text(reason)
    if len(reason) < REASON_MIN_LENGTH:
        raise ValidationError(
            {"reason": [_("Indiquez le motif (5 caractères au moins).")]}, code="reason"
        )
    if entry.is_entered_in_error:
        raise ValidationError(_("Cet antécédent familial est déjà marqué comme saisi par erreur."))
    if expected_version is not None and entry.version != expected_version:
        raise FamilyHistoryVersionConflict(entry.version)
    with transaction.atomic():
        _keep_version(actor, entry)
        entry.status = FamilyHistoryStatus.ENTERED_IN_ERROR
        entry.status_reason = reason
        entry.save(update_fields=["status", "status_reason", *_VERSION_FIELDS])
        _record_write(
            actor, grant, AuditAction.UPDATE, entry, {"status": entry.status}, reason=reason
        )
    return entry


_VERSION_FIELDS = ("version", "last_changed_at", "last_changed_by", "updated_at")


def _keep_version(actor: Actor, entry: FamilyMemberHistory) -> None:
    keep_version(
        actor,
        entry,
        version_model=FamilyMemberHistoryVersion,
        owner_field="family_history_id",
        conflict=FamilyHistoryVersionConflict,
    )


def _record_write(
    actor: Actor,
    grant: WriteGrant,
    action: AuditAction,
    entry: FamilyMemberHistory,
    detail: Mapping[str, object],
    *,
    reason: str,
) -> None:
    record_clinical_write(
        actor,
        grant,
        action,
        entity_type="FamilyMemberHistory",
        entity_id=str(entry.pk),
        detail={"section": FAMILY_HISTORY, "version": entry.version, **detail},
        reason=reason,
    )
