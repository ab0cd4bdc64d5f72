"""Recording an allergy or intolerance, correcting it, marking it entered in error.

Every field is read and judged first and every problem collected, with its
French message, into one ValidationError keyed by field; then the row, the
previous version (on a change) and one CLINICAL_WRITE event, in one transaction.
A change names the version it was made on: if someone changed the allergy since,
it is refused with AllergyVersionConflict, never written over (decision 0019).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from hygie.audit.enums import AuditAction
from hygie.clinical.access import (
    ALLERGIES,
    WriteGrant,
    access_allergy_for_writing,
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
    AllergyIntoleranceCategory,
    AllergyIntoleranceClinicalStatus,
    AllergyIntoleranceCriticality,
    AllergyIntoleranceType,
    AllergyIntoleranceVerificationStatus,
    AllergyReactionSeverity,
)
from hygie.clinical.models import (
    AllergyIntolerance,
    AllergyIntoleranceVersion,
    is_atc,
    normalize_atc,
)
from hygie.core import clock
from hygie.patients.actions import VersionConflict
from hygie.practices.context import Actor

SUBSTANCE_MAX_LENGTH = 200
MANIFESTATION_MAX_LENGTH = 200
NOTE_MAX_LENGTH = 2000
MAX_REACTIONS = 20

# Categories an ATC code may name: drugs, and biologic products (vaccines J07,
# blood products B05A), which the ATC classification covers too.
_ATC_CATEGORIES = frozenset(
    {AllergyIntoleranceCategory.MEDICATION, AllergyIntoleranceCategory.BIOLOGIC}
)

# The content fields of AllergyIntolerance that a change may touch.
CONTENT_FIELDS = (
    "type",
    "category",
    "substance_text",
    "atc_code",
    "criticality",
    "clinical_status",
    "verification_status",
    "onset",
    "onset_precision",
    "reactions",
    "note",
)


@dataclass(frozen=True)
class ReactionData:
    """One reaction as typed: what was seen (« urticaire »), and how severe."""

    manifestation: str = ""
    severity: str = ""  # AllergyReactionSeverity, or blank when not said


@dataclass(frozen=True)
class AllergyData:
    """What the form (or the API) sends, as typed. The substance is the text, an
    ATC code, or both; `onset` is a year (2019), a month (03/2019 or 2019-03) or
    a date (12/03/2019 or 2019-03-12), or blank. Codes are the enums' values."""

    type: str = ""
    category: str = ""
    substance: str = ""
    atc_code: str = ""
    criticality: str = ""
    clinical_status: str = AllergyIntoleranceClinicalStatus.ACTIVE.value
    verification_status: str = AllergyIntoleranceVerificationStatus.UNCONFIRMED.value
    onset: str = ""
    reactions: Sequence[ReactionData] = ()
    note: str = ""


class AllergyVersionConflict(VersionConflict):
    """Someone changed the allergy since the version the writer read. Nothing was
    written; `current` is the version now stored."""

    def __init__(self, current: int) -> None:
        Exception.__init__(
            self,
            _(
                "Cette allergie a été modifiée entre-temps (elle en est à la version "
                "%(version)s) : rien n'a été enregistré. Rouvrez-la pour voir ce qui a "
                "changé, puis refaites votre modification."
            )
            % {"version": current},
        )
        self.current = current


def _check_onset(
    text: str, birth_date: dt.date, today: dt.date, errors: Errors
) -> tuple[dt.date | None, str]:
    if not text.strip():
        return None, ""
    parsed = parse_onset(text)
    if parsed is None:
        add_error(
            errors,
            "onset",
            _(
                "« %(value)s » n'est pas une date : saisissez une année (2019), un mois "
                "(03/2019) ou une date (12/03/2019)."
            )
            % {"value": text.strip()},
            "invalid",
        )
        return None, ""
    day, precision = parsed
    if truncated(day, precision) > truncated(today, precision):
        add_error(errors, "onset", _("Le début est dans le futur."), "future")
    elif truncated(day, precision) < truncated(birth_date, precision):
        add_error(errors, "onset", _("Le début précède la date de naissance."), "before-birth")
    return day, precision.value


def _check_reactions(reactions: Sequence[ReactionData], errors: Errors) -> list[dict[str, str]]:
    typed = [r for r in reactions if clean_text(r.manifestation) or (r.severity or "").strip()]
    if len(typed) > MAX_REACTIONS:
        add_error(
            errors,
            "reactions",
            _("%(limit)s réactions au plus.") % {"limit": MAX_REACTIONS},
            "too-many",
        )
        return []
    stored = []
    for number, reaction in enumerate(typed, start=1):
        manifestation = clean_text(reaction.manifestation)
        problems: Errors = {}
        severity = choice(
            reaction.severity, AllergyReactionSeverity, "severity", problems, required=None
        )
        if not manifestation:
            add_error(problems, "manifestation", _("décrivez la manifestation."), "required")
        elif len(manifestation) > MANIFESTATION_MAX_LENGTH:
            add_error(
                problems,
                "manifestation",
                _("%(limit)s caractères au plus.") % {"limit": MANIFESTATION_MAX_LENGTH},
                "too-long",
            )
        for problem in (e for found in problems.values() for e in found):
            add_error(
                errors,
                "reactions",
                _("Réaction %(number)s : %(problem)s")
                % {"number": number, "problem": problem.message},
                problem.code or "invalid",
            )
        stored.append({"manifestation": manifestation, "severity": severity})
    return stored


def check_allergy(data: AllergyData, birth_date: dt.date, today: dt.date) -> dict[str, Any]:
    """The values to store (AllergyIntolerance field names), or one ValidationError
    keyed by field with every problem found."""
    errors: Errors = {}
    values: dict[str, Any] = {
        "type": choice(
            data.type,
            AllergyIntoleranceType,
            "type",
            errors,
            required=_("Indiquez s'il s'agit d'une allergie ou d'une intolérance."),
        ),
        "category": choice(
            data.category,
            AllergyIntoleranceCategory,
            "category",
            errors,
            required=_(
                "Indiquez la catégorie : aliment, médicament, environnement ou produit biologique."
            ),
        ),
        "criticality": choice(
            data.criticality, AllergyIntoleranceCriticality, "criticality", errors, required=None
        ),
        "clinical_status": choice(
            data.clinical_status,
            AllergyIntoleranceClinicalStatus,
            "clinical_status",
            errors,
            required=_("Indiquez si l'allergie est active, inactive ou résolue."),
        ),
    }
    verification = (data.verification_status or "").strip()
    if verification == AllergyIntoleranceVerificationStatus.ENTERED_IN_ERROR:
        add_error(
            errors,
            "verification_status",
            _("Une saisie par erreur se signale par l'action dédiée, qui demande un motif."),
            "refused",
        )
        verification = ""
    values["verification_status"] = choice(
        verification,
        AllergyIntoleranceVerificationStatus,
        "verification_status",
        errors,
        required=(
            None
            if "verification_status" in errors
            else _(
                "Indiquez le statut de vérification : non confirmée, présumée, confirmée "
                "ou réfutée."
            )
        ),
    )

    substance = clean_text(data.substance)
    if len(substance) > SUBSTANCE_MAX_LENGTH:
        add_error(
            errors,
            "substance",
            _("La substance tient en %(limit)s caractères au plus.")
            % {"limit": SUBSTANCE_MAX_LENGTH},
            "too-long",
        )
    atc = normalize_atc(data.atc_code or "")
    if atc and not is_atc(atc):
        add_error(
            errors,
            "atc_code",
            _(
                "« %(value)s » n'est pas un code ATC : une lettre, 2 chiffres, 2 lettres "
                "et 2 chiffres, ou le début d'un tel code (par exemple J01C pour les "
                "pénicillines, J01CA04 pour l'amoxicilline)."
            )
            % {"value": data.atc_code.strip()},
            "invalid",
        )
    elif atc and values["category"] and values["category"] not in _ATC_CATEGORIES:
        add_error(
            errors,
            "category",
            _(
                "Un code ATC désigne un médicament ou un produit biologique : "
                "choisissez l'une de ces catégories."
            ),
            "atc-category",
        )
    if not substance and not atc:
        add_error(
            errors,
            "substance",
            _("Indiquez la substance, en texte ou par son code ATC."),
            "required",
        )
    values["substance_text"] = substance or None
    values["atc_code"] = atc or None

    values["onset"], values["onset_precision"] = _check_onset(
        data.onset or "", birth_date, today, errors
    )
    values["reactions"] = _check_reactions(data.reactions, errors)
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


def do_record_allergy(actor: Actor, patient_id: object, data: AllergyData) -> AllergyIntolerance:
    """Records an allergy or intolerance of the patient, as version 1.

    Raises ValidationError (every problem, keyed by field; nothing written), and
    as access_record_for_writing when the actor may not write the record."""
    grant = access_record_for_writing(
        actor, patient_id, action=AuditAction.CREATE, section=ALLERGIES
    )
    values = check_allergy(data, grant.patient.birth_date, clock.today())
    now = clock.now()
    allergy = AllergyIntolerance(
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
        allergy.save(force_insert=True)
        _record_write(
            actor,
            grant,
            AuditAction.CREATE,
            allergy,
            # Nothing of what the allergy is: the log is in clear (see vital_signs.py).
            {},
            reason=grant.reason,
        )
    return allergy


def do_update_allergy(
    actor: Actor, allergy_id: object, data: AllergyData, *, expected_version: int
) -> AllergyIntolerance:
    """Replaces the content of an allergy with `data`, keeping the version it
    replaces (encrypted, with who made it and when). `expected_version` is the
    version the user read: if the allergy changed since, AllergyVersionConflict
    and nothing is written. Nothing changed: nothing written, nothing audited.

    Raises ValidationError (every problem; also for an allergy entered in error,
    which is not corrected but recorded anew), and as access_allergy_for_writing."""
    allergy, grant = access_allergy_for_writing(actor, allergy_id, action=AuditAction.UPDATE)
    if allergy.is_entered_in_error:
        raise ValidationError(
            {
                NON_FIELD_ERRORS: [
                    _(
                        "Cette allergie est marquée comme saisie par erreur : elle ne se "
                        "modifie plus. Enregistrez-en une nouvelle."
                    )
                ]
            },
            code="entered-in-error",
        )
    values = check_allergy(data, grant.patient.birth_date, clock.today())
    if allergy.version != expected_version:
        raise AllergyVersionConflict(allergy.version)
    changed = [name for name in CONTENT_FIELDS if getattr(allergy, name) != values[name]]
    if not changed:
        return allergy
    with transaction.atomic():
        _keep_version(actor, allergy)
        for name in changed:
            setattr(allergy, name, values[name])
        allergy.save(update_fields=[*changed, *_VERSION_FIELDS])
        _record_write(
            actor,
            grant,
            AuditAction.UPDATE,
            allergy,
            {"fields": changed},
            reason=grant.reason,
        )
    return allergy


def do_mark_allergy_entered_in_error(
    actor: Actor, allergy_id: object, reason: str, *, expected_version: int | None = None
) -> AllergyIntolerance:
    """Marks an allergy entered in error (FHIR verificationStatus; its clinical
    status is cleared, as FHIR requires), with its reason: it leaves the lists
    and the banner but is kept, its previous version too. One CLINICAL_WRITE
    event whose reason is the one given (sealed in the log). With
    `expected_version`, refused with AllergyVersionConflict if it changed since;
    without, a change made while marking is a conflict too.

    Raises ValidationError without a reason or when it is already marked, and as
    access_allergy_for_writing."""
    allergy, grant = access_allergy_for_writing(actor, allergy_id, action=AuditAction.UPDATE)
    reason = clean_text(reason)
    if len(reason) < REASON_MIN_LENGTH:
        raise ValidationError(
            {"reason": [_("Indiquez le motif (5 caractères au moins).")]}, code="reason"
        )
    if allergy.is_entered_in_error:
        raise ValidationError(_("Cette allergie est déjà marquée comme saisie par erreur."))
    if expected_version is not None and allergy.version != expected_version:
        raise AllergyVersionConflict(allergy.version)
    with transaction.atomic():
        _keep_version(actor, allergy)
        allergy.verification_status = AllergyIntoleranceVerificationStatus.ENTERED_IN_ERROR
        allergy.clinical_status = ""
        allergy.status_reason = reason
        allergy.save(
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
            allergy,
            {"verification_status": allergy.verification_status},
            reason=reason,
        )
    return allergy


_VERSION_FIELDS = ("version", "last_changed_at", "last_changed_by", "updated_at")


def _keep_version(actor: Actor, allergy: AllergyIntolerance) -> None:
    keep_version(
        actor,
        allergy,
        version_model=AllergyIntoleranceVersion,
        owner_field="allergy_id",
        conflict=AllergyVersionConflict,
    )


def _record_write(
    actor: Actor,
    grant: WriteGrant,
    action: AuditAction,
    allergy: AllergyIntolerance,
    detail: Mapping[str, object],
    *,
    reason: str,
) -> None:
    record_clinical_write(
        actor,
        grant,
        action,
        entity_type="AllergyIntolerance",
        entity_id=str(allergy.pk),
        detail={"section": ALLERGIES, "version": allergy.version, **detail},
        reason=reason,
    )
