"""Recording vital signs, and marking one entered in error."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from hygie.audit.enums import AuditAction
from hygie.clinical import queries
from hygie.clinical.access import (
    VITAL_SIGNS,
    WriteGrant,
    access_observation_for_writing,
    access_record_for_writing,
)
from hygie.clinical.actions.writes import record_clinical_write
from hygie.clinical.enums import ObservationStatus
from hygie.clinical.measures import AgeGroup, VitalSign
from hygie.clinical.models import Observation, ObservationDerivation
from hygie.core import clock
from hygie.practices.context import Actor

from .vital_signs_input import (
    Errors,
    Reading,
    VitalSignsEntry,
    VitalSignsField,
    check_effective,
    confirmed_fields,
    derive_bmi,
    read_entry,
)

# An adult's height changes little: a weight alone gets its BMI from a height
# measured within this time. A child's grows: only a height taken with the weight.
STORED_HEIGHT_MAX_AGE = dt.timedelta(days=365)

# "doublon" is a reason; "x" is not.
REASON_MIN_LENGTH = 5


def do_record_vital_signs(
    actor: Actor,
    patient_id: object,
    entry: VitalSignsEntry,
    effective: dt.datetime,
    confirm: Collection[str] = frozenset(),
) -> list[Observation]:
    """Records the measures typed in `entry`, taken at `effective` (aware), as
    final observations, plus the BMI when a weight comes with a height (typed
    with it, or for an adult measured within the last 12 months). `confirm` names
    the VitalSignsField whose unusual value the user confirmed.

    Every field is checked first; any error (unreadable, impossible, unusual and
    not confirmed, date in the future or before birth) raises one ValidationError
    keyed by field, with every message, and nothing is written. Then the rows and
    one CLINICAL_WRITE event (which signs, never their values), in one transaction.

    Raises as access_record_for_writing when the actor may not write the record."""
    grant = access_record_for_writing(
        actor, patient_id, action=AuditAction.CREATE, section=VITAL_SIGNS
    )
    patient = grant.patient
    confirmed = confirmed_fields(confirm)
    errors: Errors = {}
    age = check_effective(effective, patient.birth_date, clock.now(), errors)
    readings = read_entry(entry, age, confirmed, errors)
    weight = readings.get(VitalSignsField.WEIGHT)
    height = readings.get(VitalSignsField.HEIGHT)
    stored_height = None
    if (
        weight is not None
        and VitalSignsField.HEIGHT not in entry.typed()
        and age is not None
        and age.group is AgeGroup.ADULT
    ):
        stored_height = queries.latest_before(
            patient.pk,
            VitalSign.BODY_HEIGHT.value,
            not_before=effective - STORED_HEIGHT_MAX_AGE,
            not_after=effective,
        )
    height_cm = height.value if height is not None else None
    if stored_height is not None:
        height_cm = stored_height.value
    bmi = None
    if weight is not None and weight.value is not None and height_cm is not None:
        bmi = derive_bmi(weight.value, height_cm, age, confirmed, errors)
    if errors:
        raise ValidationError(errors)

    now = clock.now()

    def observation(reading: Reading, *, derived: bool = False) -> Observation:
        return Observation(
            practice=actor.practice,
            patient=patient,
            category=reading.category,
            code=reading.code,
            status=ObservationStatus.FINAL,
            effective_at=effective,
            recorded_at=now,
            recorded_by=actor.membership,
            value=reading.value,
            unit=reading.unit,
            components=(
                Observation.components_of(reading.components)
                if reading.components is not None
                else None
            ),
            unlikely_confirmed=reading.unlikely_confirmed,
            derived=derived,
        )

    rows = {field: observation(reading) for field, reading in readings.items()}
    bmi_row = observation(bmi, derived=True) if bmi is not None else None
    with transaction.atomic():
        created = [*rows.values(), *([bmi_row] if bmi_row is not None else [])]
        Observation.objects.bulk_create(created)
        height_row = rows.get(VitalSignsField.HEIGHT) or stored_height
        if bmi_row is not None and height_row is not None:  # a BMI always has its height
            ObservationDerivation.objects.bulk_create(
                [
                    ObservationDerivation(
                        practice_id=actor.practice.pk, observation=bmi_row, source=source
                    )
                    for source in (rows[VitalSignsField.WEIGHT], height_row)
                ]
            )
        # Ids only: which signs were measured, or confirmed as unusual, is clinical
        # information (the rows keep it encrypted); the audit log is read by the
        # practice's administrators and stored in clear.
        detail: dict[str, object] = {
            "section": VITAL_SIGNS,
            "observations": [str(o.pk) for o in created],
        }
        if stored_height is not None:
            detail["bmi_height"] = str(stored_height.pk)
        _record_write(actor, grant, AuditAction.CREATE, "", detail, reason=grant.reason)
    return created


def do_mark_observation_entered_in_error(
    actor: Actor, observation_id: object, reason: str
) -> Observation:
    """Marks an observation entered in error (FHIR status), with its reason: it
    leaves the record's lists but is kept, never deleted. A BMI computed from it
    is marked too, since it is wrong as well. One CLINICAL_WRITE event, whose
    reason is the one given (sealed in the log).

    Raises ValidationError without a reason or when it is already marked, and as
    access_observation_for_writing when the actor may not write the record."""
    observation, grant = access_observation_for_writing(
        actor, observation_id, action=AuditAction.UPDATE, section=VITAL_SIGNS
    )
    reason = " ".join((reason or "").split())
    if len(reason) < REASON_MIN_LENGTH:
        raise ValidationError(
            {"reason": [_("Indiquez le motif (5 caractères au moins).")]}, code="reason"
        )
    now = clock.now()
    with transaction.atomic():
        # Locked and read again: of two people marking it at once, the second
        # finds it marked (on SQLite the write transaction already serialises).
        current = Observation.objects.select_for_update().get(pk=observation.pk)
        if current.is_entered_in_error:
            raise ValidationError(_("Cette mesure est déjà marquée comme saisie par erreur."))
        derived = queries.valid_derivations_of([current.pk])
        for row in (current, *derived):
            row.status = ObservationStatus.ENTERED_IN_ERROR
            row.status_reason = reason
            row.status_changed_at = now
            row.status_changed_by = actor.membership
            row.save(
                update_fields=[
                    "status",
                    "status_reason",
                    "status_changed_at",
                    "status_changed_by",
                    "updated_at",
                ]
            )
        detail = {
            "section": VITAL_SIGNS,
            "status": ObservationStatus.ENTERED_IN_ERROR.value,
            "derived": [str(row.pk) for row in derived],
        }
        _record_write(actor, grant, AuditAction.UPDATE, str(current.pk), detail, reason=reason)
    return current


def _record_write(
    actor: Actor,
    grant: WriteGrant,
    action: AuditAction,
    entity_id: str,
    detail: Mapping[str, object],
    *,
    reason: str,
) -> None:
    record_clinical_write(
        actor,
        grant,
        action,
        entity_type="Observation",
        entity_id=entity_id,
        detail=detail,
        reason=reason,
    )
