"""Recording a problem or history item (FHIR Condition), correcting it, marking it
entered in error.

Every field is read and judged first, the CIM-10 code against hygie.terminology,
and every problem collected, with its French message, into one ValidationError
keyed by field; then the row, the previous version (on a change) and one
CLINICAL_WRITE event, in one transaction. A change names the version it was made
on: if someone changed the condition since, ConditionVersionConflict, never a
silent overwrite (decisions 0019 and 0021).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from hygie.audit.enums import AuditAction
from hygie.clinical.access import (
    CONDITIONS,
    WriteGrant,
    access_condition_for_writing,
    access_record_for_writing,
)
from hygie.clinical.actions.checks import (
    REASON_MIN_LENGTH,
    Errors,
    add_error,
    choice,
    clean_text,
    parse_onset,
    truncated,
)
from hygie.clinical.actions.writes import keep_version, record_clinical_write
from hygie.clinical.enums import (
    ConditionCategory,
    ConditionClinicalStatus,
    ConditionKind,
    ConditionSeverity,
    ConditionVerificationStatus,
    DatePrecision,
)
from hygie.clinical.models import Condition, ConditionVersion
from hygie.clinical.models.conditions import ABATED_STATUSES
from hygie.core import clock
from hygie.patients.actions import VersionConflict
from hygie.practices.context import Actor
from hygie.terminology.queries import get_cim10

TEXT_MAX_LENGTH = 500
NOTE_MAX_LENGTH = 2000

# The content fields of Condition that a change may touch.
CONTENT_FIELDS = (
    "category",
    "kind",
    "code",
    "code_label",
    "text",
    "clinical_status",
    "verification_status",
    "severity",
    "onset",
    "onset_precision",
    "abatement",
    "abatement_precision",
    "note",
)


@dataclass(frozen=True)
class ConditionData:
    """What the form (or the API) sends, as typed. The condition is a CIM-10 code
    (with or without its dot: E11.9, e119), a text, or both; `onset` and
    `abatement` are a year (2019), a month (03/2019 or 2019-03) or a date
    (12/03/2019 or 2019-03-12), or blank. Codes are the enums' values."""

    category: str = ConditionCategory.PROBLEM_LIST_ITEM.value
    kind: str = ConditionKind.MEDICAL.value
    code: str = ""
    text: str = ""
    clinical_status: str = ConditionClinicalStatus.ACTIVE.value
    verification_status: str = ConditionVerificationStatus.CONFIRMED.value
    severity: str = ""
    onset: str = ""
    abatement: str = ""
    note: str = ""


class ConditionVersionConflict(VersionConflict):
    """Someone changed the condition since the version the writer read. Nothing
    was written; `current` is the version now stored."""

    def __init__(self, current: int) -> None:
        Exception.__init__(
            self,
            _(
                "Ce problème ou antécédent a été modifié entre-temps (il en est à la "
                "version %(version)s) : rien n'a été enregistré. Rouvrez-le pour voir ce "
                "qui a changé, puis refaites votre modification."
            )
            % {"version": current},
        )
        self.current = current


# A code already stored, by its compact form ("F321"): (dotted code, label).
KeptCodes = Mapping[str, tuple[str, str | None]]


def check_cim10_code(
    typed: str, field: str, errors: Errors, *, kept: KeptCodes | None = None
) -> tuple[str | None, str | None]:
    """The dotted code and its label if `typed` is a CIM-10 code a doctor may
    pick: known, not withdrawn, selectable (one query); (None, None) for a blank.
    A code in `kept` (already on the record being corrected) is kept as it is,
    even if the list withdrew or dropped it since: an old record stays writable."""
    typed = typed.strip()
    if not typed:
        return None, None
    compact = typed.upper().replace(".", "")
    if kept and compact in kept:
        return kept[compact]
    found = get_cim10(typed)
    if found is None:
        add_error(
            errors,
            field,
            _("Code CIM-10 inconnu : « %(code)s » ; cherchez-le par son libellé") % {"code": typed},
            "unknown-code",
        )
        return None, None
    if found.withdrawn_in is not None:
        add_error(
            errors,
            field,
            _(
                "Le code CIM-10 « %(code)s » a été supprimé en %(year)s : cherchez le "
                "code actuel par son libellé."
            )
            % {"code": found.code, "year": found.withdrawn_in},
            "withdrawn-code",
        )
        return None, None
    if not found.selectable:
        add_error(
            errors,
            field,
            _(
                "Le code CIM-10 « %(code)s » (%(label)s) est subdivisé : choisissez l'une "
                "de ses subdivisions, plus précise."
            )
            % {"code": found.code, "label": found.label},
            "not-selectable",
        )
        return None, None
    return found.code, found.label


def _check_date(
    field: str,
    text: str,
    birth_date: dt.date,
    today: dt.date,
    errors: Errors,
) -> tuple[dt.date | None, str]:
    """A partial date of the patient's own life: not in the future, not before
    birth, each compared at the precision given."""
    if not text.strip():
        return None, ""
    parsed = parse_onset(text)
    if parsed is None:
        add_error(
            errors,
            field,
            _(
                "« %(value)s » n'est pas une date : saisissez une année (2019), un mois "
                "(03/2019) ou une date (12/03/2019)."
            )
            % {"value": text.strip()},
            "invalid",
        )
        return None, ""
    day, precision = parsed
    what = _("Le début") if field == "onset" else _("La résolution")
    if truncated(day, precision) > truncated(today, precision):
        add_error(errors, field, _("%(what)s est dans le futur.") % {"what": what}, "future")
    elif truncated(day, precision) < truncated(birth_date, precision):
        add_error(
            errors,
            field,
            _("%(what)s précède la date de naissance.") % {"what": what},
            "before-birth",
        )
    return day, precision.value


def _coarser(first: str, second: str) -> DatePrecision:
    order = [DatePrecision.YEAR, DatePrecision.MONTH, DatePrecision.DAY]
    return order[min(order.index(DatePrecision(first)), order.index(DatePrecision(second)))]


def check_condition(
    data: ConditionData, birth_date: dt.date, today: dt.date, *, kept: KeptCodes | None = None
) -> dict[str, Any]:
    """The values to store (Condition field names), or one ValidationError keyed
    by field with every problem found. Reads the CIM-10 tables (one query per
    code typed); `kept` is the code already stored, on a correction."""
    errors: Errors = {}
    values: dict[str, Any] = {
        "category": choice(
            data.category,
            ConditionCategory,
            "category",
            errors,
            required=_("Indiquez s'il s'agit d'un problème ou antécédent, ou d'un diagnostic."),
        ),
        "kind": choice(
            data.kind,
            ConditionKind,
            "kind",
            errors,
            required=_("Indiquez le type d'antécédent : médical, chirurgical ou obstétrical."),
        ),
        "clinical_status": choice(
            data.clinical_status,
            ConditionClinicalStatus,
            "clinical_status",
            errors,
            required=_(
                "Indiquez si le problème est actif, en récidive, en rechute, inactif, en "
                "rémission ou résolu."
            ),
        ),
        "severity": choice(data.severity, ConditionSeverity, "severity", errors, required=None),
    }
    verification = (data.verification_status or "").strip()
    if verification == ConditionVerificationStatus.ENTERED_IN_ERROR:
        add_error(
            errors,
            "verification_status",
            _("Une saisie par erreur se signale par l'action dédiée, qui demande un motif."),
            "refused",
        )
        verification = ""
    values["verification_status"] = choice(
        verification,
        ConditionVerificationStatus,
        "verification_status",
        errors,
        required=(
            None
            if "verification_status" in errors
            else _(
                "Indiquez le statut de vérification : non confirmé, provisoire, diagnostic "
                "différentiel, confirmé ou réfuté."
            )
        ),
    )

    text = clean_text(data.text)
    if len(text) > TEXT_MAX_LENGTH:
        add_error(
            errors,
            "text",
            _("Le libellé tient en %(limit)s caractères au plus.") % {"limit": TEXT_MAX_LENGTH},
            "too-long",
        )
    code, label = check_cim10_code(data.code or "", "code", errors, kept=kept)
    if not text and not (data.code or "").strip():
        add_error(
            errors,
            "text",
            _("Indiquez le problème ou l'antécédent, en texte ou par son code CIM-10."),
            "required",
        )
    values["code"], values["code_label"], values["text"] = code, label, text or None

    onset, onset_precision = _check_date("onset", data.onset or "", birth_date, today, errors)
    abatement, abatement_precision = _check_date(
        "abatement", data.abatement or "", birth_date, today, errors
    )
    if onset is not None and abatement is not None:
        precision = _coarser(onset_precision, abatement_precision)
        if truncated(abatement, precision) < truncated(onset, precision):
            add_error(
                errors,
                "abatement",
                _("La résolution précède le début."),
                "before-onset",
            )
    status = values["clinical_status"]
    if abatement is not None and status and status not in ABATED_STATUSES:
        # FHIR con-4: a problem that ended is not active any more.
        add_error(
            errors,
            "clinical_status",
            _(
                "Une date de résolution va avec un statut inactif, en rémission ou résolu, "
                "pas avec un problème encore actif."
            ),
            "abated",
        )
    values["onset"], values["onset_precision"] = onset, onset_precision
    values["abatement"], values["abatement_precision"] = abatement, abatement_precision

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


def do_record_condition(actor: Actor, patient_id: object, data: ConditionData) -> Condition:
    """Records a problem or history item of the patient, as version 1.

    Raises ValidationError (every problem, keyed by field; nothing written), and
    as access_record_for_writing when the actor may not write the record."""
    grant = access_record_for_writing(
        actor, patient_id, action=AuditAction.CREATE, section=CONDITIONS
    )
    values = check_condition(data, grant.patient.birth_date, clock.today())
    now = clock.now()
    condition = Condition(
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
        condition.save(force_insert=True)
        _record_write(
            actor,
            grant,
            AuditAction.CREATE,
            condition,
            # Nothing of what the condition is, not even its kind: the log is
            # read by the practice's administrators and stored in clear.
            {},
            reason=grant.reason,
        )
    return condition


def do_update_condition(
    actor: Actor, condition_id: object, data: ConditionData, *, expected_version: int
) -> Condition:
    """Replaces the content of a condition with `data`, keeping the version it
    replaces (encrypted, with who made it and when). `expected_version` is the
    version the user read: if the condition changed since,
    ConditionVersionConflict and nothing is written. Nothing changed: nothing
    written, nothing audited. The code it already carries is kept even if the
    CIM-10 list withdrew it since; a new code must be current and selectable.

    Raises ValidationError (every problem; also for a condition entered in
    error, which is not corrected but recorded anew), and as
    access_condition_for_writing."""
    condition, grant = access_condition_for_writing(actor, condition_id, action=AuditAction.UPDATE)
    if condition.is_entered_in_error:
        raise ValidationError(
            {
                NON_FIELD_ERRORS: [
                    _(
                        "Ce problème ou antécédent est marqué comme saisi par erreur : il ne "
                        "se modifie plus. Enregistrez-en un nouveau."
                    )
                ]
            },
            code="entered-in-error",
        )
    kept = (
        {condition.code.replace(".", ""): (condition.code, condition.code_label)}
        if condition.code
        else {}
    )
    values = check_condition(data, grant.patient.birth_date, clock.today(), kept=kept)
    if condition.version != expected_version:
        raise ConditionVersionConflict(condition.version)
    changed = [name for name in CONTENT_FIELDS if getattr(condition, name) != values[name]]
    if not changed:
        return condition
    with transaction.atomic():
        _keep_version(actor, condition)
        for name in changed:
            setattr(condition, name, values[name])
        condition.save(update_fields=[*changed, *_VERSION_FIELDS])
        _record_write(
            actor,
            grant,
            AuditAction.UPDATE,
            condition,
            {"fields": changed},
            reason=grant.reason,
        )
    return condition


def do_mark_condition_entered_in_error(
    actor: Actor, condition_id: object, reason: str, *, expected_version: int | None = None
) -> Condition:
    """Marks a condition entered in error (FHIR verificationStatus; its clinical
    status is cleared, as FHIR con-5 requires), with its reason: it leaves the
    lists and the banner but is kept, its previous version too. One
    CLINICAL_WRITE event whose reason is the one given (sealed in the log). With
    `expected_version`, refused with ConditionVersionConflict if it changed
    since; without, a change made while marking is a conflict too.

    Raises ValidationError without a reason or when it is already marked, and as
    access_condition_for_writing."""
    condition, grant = access_condition_for_writing(actor, condition_id, action=AuditAction.UPDATE)
    reason = clean_text(reason)
    if len(reason) < REASON_MIN_LENGTH:
        raise ValidationError(
            {"reason": [_("Indiquez le motif (5 caractères au moins).")]}, code="reason"
        )
    if condition.is_entered_in_error:
        raise ValidationError(
            _("Ce problème ou antécédent est déjà marqué comme saisi par erreur.")
        )
    if expected_version is not None and condition.version != expected_version:
        raise ConditionVersionConflict(condition.version)
    with transaction.atomic():
        _keep_version(actor, condition)
        condition.verification_status = ConditionVerificationStatus.ENTERED_IN_ERROR
        condition.clinical_status = ""
        condition.status_reason = reason
        condition.save(
            update_fields=[
                "verification_status",
                "clinical_status",
                "status_reason",
                *_VERSION_FIELDS,
            ]
        )
        _record_write(
            actor,
            grant,
            AuditAction.UPDATE,
            condition,
            {"verification_status": condition.verification_status},
            reason=reason,
        )
    return condition


_VERSION_FIELDS = ("version", "last_changed_at", "last_changed_by", "updated_at")


def _keep_version(actor: Actor, condition: Condition) -> None:
    keep_version(
        actor,
        condition,
        version_model=ConditionVersion,
        owner_field="condition_id",
        conflict=ConditionVersionConflict,
    )


def _record_write(
    actor: Actor,
    grant: WriteGrant,
    action: AuditAction,
    condition: Condition,
    detail: Mapping[str, object],
    *,
    reason: str,
) -> None:
    record_clinical_write(
        actor,
        grant,
        action,
        entity_type="Condition",
        entity_id=str(condition.pk),
        detail={"section": CONDITIONS, "version": condition.version, **detail},
        reason=reason,
    )
