"""The doors to the clinical record's observations.

Reads go through hygie.patients.access.access_clinical_record, the door of every
clinical section: it checks the policy and writes the one CLINICAL_READ event of
the read (or the refusal). Writes need the same right as a clinical read, but a
write is recorded once, as CLINICAL_WRITE, by its action: `access_record_for_writing`
asks the same policy (patients.access.decision_for) without recording a read, and
records refusals as that door does (ACCESS_DENIED, same exceptions, same 404).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from hygie.audit.actions import record_event
from hygie.audit.enums import AuditAction, AuditEventType, AuditOutcome, PurposeOfUse
from hygie.clinical.measures import VitalSign
from hygie.core import clock
from hygie.patients import queries as patient_queries
from hygie.patients.access import (
    ClinicalAccessDenied,
    PatientDeleted,
    PatientNotFound,
    access_clinical_record,
    decision_for,
)
from hygie.patients.actions import PracticeReadOnly
from hygie.patients.enums import Scope
from hygie.patients.models import Patient
from hygie.patients.policy import Basis, Decision
from hygie.practices.context import Actor

from . import queries
from .enums import ConditionKind
from .models import AllergyIntolerance, Condition, FamilyMemberHistory, Observation

VITAL_SIGNS = "vital-signs"  # the section named in the audit detail


class ObservationNotFound(PatientNotFound):
    """An observation absent or out of reach: the same 404 as for a patient."""


@dataclass(frozen=True)
class WriteGrant:
    """The patient a write may touch, and how to audit that write."""

    patient: Patient
    decision: Decision
    purpose: PurposeOfUse
    # The break-the-glass reason when that is what opened the record.
    reason: str


def _parse(value: object) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _refuse(
    actor: Actor,
    action: AuditAction,
    *,
    patient: Patient | None,
    entity_type: str,
    entity_id: str,
    basis: str,
    section: str,
) -> None:
    record_event(
        actor.source,
        AuditEventType.ACCESS_DENIED,
        action=action,
        outcome=AuditOutcome.MINOR_FAILURE,
        # Only a patient of the actor's own practice is linked into its log.
        patient_id=patient.pk if patient is not None else None,
        entity_type=entity_type,
        entity_id=entity_id[:64],
        detail={"scope": str(Scope.CLINICAL), "basis": basis, "section": section},
    )


def access_record_for_writing(
    actor: Actor,
    patient_id: object,
    *,
    action: AuditAction,
    section: str,
    entity_type: str = "Patient",
    entity_id: str | None = None,
) -> WriteGrant:
    """The patient, if `actor` may write to their clinical record: the right to
    read it (care relationship, break-the-glass, system job), in a practice not in
    read-only incident mode. Nothing is audited on success (the action records its
    write); a refusal is recorded as ACCESS_DENIED.

    Raises PracticeReadOnly, PatientNotFound (absent, other practice, no role,
    ended membership, objection), ClinicalAccessDenied (may see who the patient is,
    not their record), PatientDeleted."""
    requested = str(patient_id) if entity_id is None else entity_id

    def refuse(patient: Patient | None, basis: str) -> None:
        _refuse(
            actor,
            action,
            patient=patient,
            entity_type=entity_type,
            entity_id=requested,
            basis=basis,
            section=section,
        )

    if actor.practice.read_only_since is not None:
        refuse(None, "practice-read-only")
        raise PracticeReadOnly(_("Le cabinet est en mode lecture seule (incident en cours)."))
    parsed = _parse(patient_id)
    patient = (
        Patient.objects.filter(pk=parsed, practice_id=actor.practice.pk).first() if parsed else None
    )
    if patient is None:
        refuse(None, Basis.OTHER_PRACTICE.value)
        raise PatientNotFound
    decision = decision_for(actor, patient, Scope.CLINICAL)
    if not decision.allowed:
        refuse(patient, decision.basis.value)
        identity = decision_for(actor, patient, Scope.IDENTITY)
        if identity.allowed and patient.deleted_at is None:
            raise ClinicalAccessDenied(patient, decision)
        raise PatientNotFound
    if patient.deleted_at is not None:
        refuse(patient, Basis.DELETED.value)
        raise PatientDeleted
    return WriteGrant(patient, decision, *_purpose_and_reason(actor, patient, decision))


def _purpose_and_reason(
    actor: Actor, patient: Patient, decision: Decision
) -> tuple[PurposeOfUse, str]:
    """As the patients door records a read: SYSADMIN for a job, ETREAT with the
    grant's reason after a break-the-glass, TREAT otherwise."""
    if actor.is_system:
        return PurposeOfUse.SYSADMIN, ""
    if decision.basis is Basis.BREAK_GLASS and actor.user is not None:
        grant = patient_queries.active_break_glass(patient.pk, actor.user.pk, clock.now())
        if grant is not None:
            return PurposeOfUse.ETREAT, grant.reason
    return PurposeOfUse.TREAT, ""


def access_observation_for_writing(
    actor: Actor, observation_id: object, *, action: AuditAction, section: str
) -> tuple[Observation, WriteGrant]:
    """An observation of the actor's practice and the grant to write to its
    patient's record, as access_record_for_writing. An id absent, of another
    practice, or whose record the actor may not open is ObservationNotFound (a
    PatientNotFound: the same 404): a ClinicalAccessDenied would tell an observation
    id's holder whose it is (access_observation and the allergy doors do the same)."""
    parsed = _parse(observation_id)
    observation = (
        Observation.objects.filter(pk=parsed, practice_id=actor.practice.pk).first()
        if parsed
        else None
    )
    if observation is None:
        _refuse(
            actor,
            action,
            patient=None,
            entity_type="Observation",
            entity_id=str(observation_id),
            basis=Basis.NOT_FOUND.value,
            section=section,
        )
        raise ObservationNotFound
    try:
        grant = access_record_for_writing(
            actor,
            observation.patient_id,
            action=action,
            section=section,
            entity_type="Observation",
            entity_id=str(observation.pk),
        )
    except ClinicalAccessDenied:
        # Already recorded as a refusal by access_record_for_writing.
        raise ObservationNotFound from None
    return observation, grant


def access_observation(
    actor: Actor, observation_id: object, *, patient_id: uuid.UUID | None = None
) -> Observation:
    """One observation of the actor's practice (value decrypted on reading), if
    `actor` may open its patient's clinical record: one audited read
    (access_clinical_record), whatever its status, entered in error included.
    `patient_id` limits the read to that patient's observations (a token limited
    to one patient): another patient's is refused before their record is opened.

    Raises ObservationNotFound for an id absent, of another practice, of another
    patient than `patient_id`, or whose record the actor may not open, a colleague
    without care relationship included: the same 404 for all, so that an
    observation id cannot be probed (breaking the glass is done on the patient,
    in Hygie). PatientDeleted when its patient's record was deleted, for someone
    who could otherwise read it."""
    parsed = _parse(observation_id)
    observation = (
        Observation.objects.filter(pk=parsed, practice_id=actor.practice.pk).first()
        if parsed
        else None
    )
    if observation is None or (patient_id is not None and observation.patient_id != patient_id):
        _refuse(
            actor,
            AuditAction.READ,
            patient=None,
            entity_type="Observation",
            entity_id=str(observation_id),
            basis=(Basis.NOT_FOUND if observation is None else Basis.OUTSIDE_LAUNCH_PATIENT).value,
            section=VITAL_SIGNS,
        )
        raise ObservationNotFound
    try:
        # The door records the read, or the refusal, of the patient's record.
        access_clinical_record(actor, observation.patient_id)
    except PatientDeleted:
        raise
    except (PatientNotFound, ClinicalAccessDenied):
        raise ObservationNotFound from None
    return observation


def access_vital_signs(
    actor: Actor,
    patient_id: object,
    *,
    code: VitalSign | None = None,
    since: dt.datetime | None = None,
    include_entered_in_error: bool = False,
) -> list[Observation]:
    """The patient's vital signs (values decrypted on reading), newest measure
    first; those entered in error only when asked. `code` selects one sign (the
    systolic or diastolic selects the blood pressure panels), `since` a start
    date. One audited read (access_clinical_record), whatever the number of rows.

    Raises as access_clinical_record."""
    patient = access_clinical_record(actor, patient_id)
    codes = queries.VITAL_SIGN_CODES if code is None else {queries.stored_code(code)}
    return list(
        queries.observations_of(
            patient.pk,
            codes=codes,
            since=since,
            include_entered_in_error=include_entered_in_error,
        )
    )


@dataclass(frozen=True)
class VitalSignsOverview:
    """What the vital-signs page shows, from one audited read."""

    # The newest valid observation of each code, whatever its date.
    latest: list[Observation]
    # Newest first: those measured since the start asked for, or all of them.
    observations: list[Observation]
    # Whether measures older than `observations` exist (then `since` applied).
    has_older: bool


def access_vital_signs_overview(
    actor: Actor, patient_id: object, *, since: dt.datetime | None
) -> VitalSignsOverview:
    """The latest value of each sign and the observations measured since `since`
    (all when None, or when none is that recent: a record not seen for a while
    still shows its measures). One audited read (access_clinical_record), a few
    queries, however long the record: a page reads the period it shows, not the
    patient's whole history (docs/performance.md, chart_vitals)."""
    patient = access_clinical_record(actor, patient_id)
    latest = queries.latest_of_each_code(patient.pk)
    if since is not None and not any(o.effective_at >= since for o in latest):
        since = None
    rows = list(queries.observations_of(patient.pk, since=since))
    has_older = (
        since is not None
        and queries.observations_of(patient.pk).filter(effective_at__lt=since).exists()
    )
    return VitalSignsOverview(latest, rows, has_older)


def access_latest_vitals(actor: Actor, patient_id: object) -> dict[VitalSign, Observation]:
    """The newest valid observation of each vital sign measured, for the record's
    banner. The blood pressure panel is under both SYSTOLIC_BP and DIASTOLIC_BP
    (the same object: read .systolic and .diastolic). One audited read."""
    patient = access_clinical_record(actor, patient_id)
    latest: dict[VitalSign, Observation] = {}
    for observation in queries.latest_of_each_code(patient.pk):
        if observation.is_blood_pressure:
            latest[VitalSign.SYSTOLIC_BP] = observation
            latest[VitalSign.DIASTOLIC_BP] = observation
        elif observation.sign is not None:
            latest[observation.sign] = observation
    return latest


# Allergies and intolerances (decision 0019).

ALLERGIES = "allergies"  # the section named in the audit detail


class AllergyNotFound(PatientNotFound):
    """An allergy absent or out of reach: the same 404 as for a patient."""


def _allergy_in_practice(
    actor: Actor, allergy_id: object, action: AuditAction
) -> AllergyIntolerance:
    """The allergy of that id in the actor's practice, with who recorded and last
    changed it; else the refusal is recorded and AllergyNotFound raised."""
    parsed = _parse(allergy_id)
    allergy = (
        AllergyIntolerance.objects.filter(pk=parsed, practice_id=actor.practice.pk)
        .select_related("recorded_by__user", "last_changed_by__user")
        .first()
        if parsed
        else None
    )
    if allergy is None:
        _refuse(
            actor,
            action,
            patient=None,
            entity_type="AllergyIntolerance",
            entity_id=str(allergy_id),
            basis=Basis.NOT_FOUND.value,
            section=ALLERGIES,
        )
        raise AllergyNotFound
    return allergy


def access_allergy_for_writing(
    actor: Actor, allergy_id: object, *, action: AuditAction
) -> tuple[AllergyIntolerance, WriteGrant]:
    """An allergy of the actor's practice and the grant to write to its patient's
    record, as access_record_for_writing. An id absent, of another practice, or
    whose record the actor may not write (a colleague without care relationship
    included) is AllergyNotFound (a PatientNotFound: the same 404), so that the
    id does not tell that its patient has an allergy."""
    allergy = _allergy_in_practice(actor, allergy_id, action)
    try:
        grant = access_record_for_writing(
            actor,
            allergy.patient_id,
            action=action,
            section=ALLERGIES,
            entity_type="AllergyIntolerance",
            entity_id=str(allergy.pk),
        )
    except PatientDeleted:
        raise
    except (ClinicalAccessDenied, PatientNotFound):
        # Refused and recorded by the door. An allergy id must not tell whose it
        # is: to someone outside the record it is as absent as any other.
        raise AllergyNotFound from None
    return allergy, grant


def access_allergies(
    actor: Actor,
    patient_id: object,
    *,
    include_inactive: bool = False,
    include_entered_in_error: bool = False,
) -> list[AllergyIntolerance]:
    """The patient's allergies and intolerances (content decrypted on reading):
    by default the active ones, not refuted, high criticality first.
    `include_inactive` adds the inactive, resolved and refuted ones (after the
    active), `include_entered_in_error` those entered in error (last). One
    audited read (access_clinical_record), whatever the number of rows.

    Raises as access_clinical_record."""
    patient = access_clinical_record(actor, patient_id)
    return queries.allergies_of(
        patient.pk,
        include_inactive=include_inactive,
        include_entered_in_error=include_entered_in_error,
    )


def access_active_allergies(actor: Actor, patient_id: object) -> list[AllergyIntolerance]:
    """What the record's red banner shows: the active allergies, neither refuted
    nor entered in error, high criticality first. Prescription checks match a
    drug against these (AllergyIntolerance.flags). One audited read."""
    patient = access_clinical_record(actor, patient_id)
    return queries.active_allergies_of(patient.pk)


def access_allergy(actor: Actor, allergy_id: object) -> AllergyIntolerance:
    """One allergy, whatever its status (the caller shows an entered-in-error
    one as such). One audited read of its patient's record.

    Raises AllergyNotFound (absent, other practice, record closed to the actor),
    PatientDeleted (its patient's record was deleted)."""
    allergy = _allergy_in_practice(actor, allergy_id, AuditAction.READ)
    try:
        access_clinical_record(actor, allergy.patient_id)
    except PatientDeleted:
        raise
    except (ClinicalAccessDenied, PatientNotFound):
        raise AllergyNotFound from None  # as access_allergy_for_writing
    return allergy


def access_allergy_history(actor: Actor, allergy_id: object) -> list[AllergyIntolerance]:
    """Every version of an allergy, newest first: the current row, then unsaved
    AllergyIntolerance rebuilt from each previous version (`version`,
    `last_changed_at` and `last_changed_by` say who made it and when). One
    audited read, as access_allergy."""
    allergy = access_allergy(actor, allergy_id)
    return [allergy, *(v.as_allergy(allergy) for v in queries.allergy_versions_of(allergy.pk))]


# Problems and history (decision 0021).

CONDITIONS = "conditions"  # the section named in the audit detail


class ConditionNotFound(PatientNotFound):
    """A condition absent or out of reach: the same 404 as for a patient."""


def _condition_in_practice(actor: Actor, condition_id: object, action: AuditAction) -> Condition:
    """The condition of that id in the actor's practice, with who recorded and
    last changed it; else the refusal is recorded and ConditionNotFound raised."""
    parsed = _parse(condition_id)
    condition = (
        Condition.objects.filter(pk=parsed, practice_id=actor.practice.pk)
        .select_related("recorded_by__user", "last_changed_by__user")
        .first()
        if parsed
        else None
    )
    if condition is None:
        _refuse(
            actor,
            action,
            patient=None,
            entity_type="Condition",
            entity_id=str(condition_id),
            basis=Basis.NOT_FOUND.value,
            section=CONDITIONS,
        )
        raise ConditionNotFound
    return condition


def access_condition_for_writing(
    actor: Actor, condition_id: object, *, action: AuditAction
) -> tuple[Condition, WriteGrant]:
    """A condition of the actor's practice and the grant to write to its
    patient's record, as access_record_for_writing. An id absent, of another
    practice, or whose record the actor may not write (a colleague without care
    relationship included) is ConditionNotFound (a PatientNotFound: the same
    404), so that the id does not tell whose diagnosis it is."""
    condition = _condition_in_practice(actor, condition_id, action)
    try:
        grant = access_record_for_writing(
            actor,
            condition.patient_id,
            action=action,
            section=CONDITIONS,
            entity_type="Condition",
            entity_id=str(condition.pk),
        )
    except PatientDeleted:
        raise
    except (ClinicalAccessDenied, PatientNotFound):
        # Refused and recorded by the door (as access_allergy_for_writing).
        raise ConditionNotFound from None
    return condition, grant


def access_conditions(
    actor: Actor,
    patient_id: object,
    *,
    include_inactive: bool = False,
    include_entered_in_error: bool = False,
    kind: ConditionKind | None = None,
) -> list[Condition]:
    """The patient's problems and history (content decrypted on reading): by
    default the ongoing ones (active, recurrence, relapse), not refuted.
    `include_inactive` adds those in remission, inactive, resolved and refuted
    (after the ongoing), `include_entered_in_error` those entered in error
    (last); `kind` keeps one kind of history. One audited read
    (access_clinical_record), whatever the number of rows.

    Raises as access_clinical_record."""
    patient = access_clinical_record(actor, patient_id)
    return queries.conditions_of(
        patient.pk,
        include_inactive=include_inactive,
        include_entered_in_error=include_entered_in_error,
        kind=kind,
    )


def access_active_problems(actor: Actor, patient_id: object) -> list[Condition]:
    """What the record's banner shows: the problem list's ongoing items, neither
    refuted nor entered in error. One audited read."""
    patient = access_clinical_record(actor, patient_id)
    return queries.active_problems_of(patient.pk)


def access_condition(actor: Actor, condition_id: object) -> Condition:
    """One condition, whatever its status (the caller shows an entered-in-error
    one as such). One audited read of its patient's record.

    Raises ConditionNotFound (absent, other practice, record closed to the
    actor), PatientDeleted (its patient's record was deleted)."""
    condition = _condition_in_practice(actor, condition_id, AuditAction.READ)
    try:
        access_clinical_record(actor, condition.patient_id)
    except PatientDeleted:
        raise
    except (ClinicalAccessDenied, PatientNotFound):
        raise ConditionNotFound from None  # as access_condition_for_writing
    return condition


def access_condition_history(actor: Actor, condition_id: object) -> list[Condition]:
    """Every version of a condition, newest first: the current row, then unsaved
    Condition rebuilt from each previous version (`version`, `last_changed_at`
    and `last_changed_by` say who made it and when). One audited read, as
    access_condition."""
    condition = access_condition(actor, condition_id)
    return [
        condition,
        *(v.as_condition(condition) for v in queries.condition_versions_of(condition.pk)),
    ]


# Family history (FHIR FamilyMemberHistory, decision 0021).

FAMILY_HISTORY = "family-history"  # the section named in the audit detail


class FamilyHistoryNotFound(PatientNotFound):
    """A family history entry absent or out of reach: the same 404 as for a patient."""


def _family_history_in_practice(
    actor: Actor, entry_id: object, action: AuditAction
) -> FamilyMemberHistory:
    """The entry of that id in the actor's practice; else the refusal is recorded
    and FamilyHistoryNotFound raised."""
    parsed = _parse(entry_id)
    entry = (
        FamilyMemberHistory.objects.filter(pk=parsed, practice_id=actor.practice.pk)
        .select_related("recorded_by__user", "last_changed_by__user")
        .first()
        if parsed
        else None
    )
    if entry is None:
        _refuse(
            actor,
            action,
            patient=None,
            entity_type="FamilyMemberHistory",
            entity_id=str(entry_id),
            basis=Basis.NOT_FOUND.value,
            section=FAMILY_HISTORY,
        )
        raise FamilyHistoryNotFound
    return entry


def access_family_history_entry_for_writing(
    actor: Actor, entry_id: object, *, action: AuditAction
) -> tuple[FamilyMemberHistory, WriteGrant]:
    """An entry of the actor's practice and the grant to write to its patient's
    record, as access_condition_for_writing: FamilyHistoryNotFound (404) for
    anyone outside the record."""
    entry = _family_history_in_practice(actor, entry_id, action)
    try:
        grant = access_record_for_writing(
            actor,
            entry.patient_id,
            action=action,
            section=FAMILY_HISTORY,
            entity_type="FamilyMemberHistory",
            entity_id=str(entry.pk),
        )
    except PatientDeleted:
        raise
    except (ClinicalAccessDenied, PatientNotFound):
        raise FamilyHistoryNotFound from None
    return entry, grant


def access_family_history(
    actor: Actor, patient_id: object, *, include_entered_in_error: bool = False
) -> list[FamilyMemberHistory]:
    """The patient's family history (content decrypted on reading), one entry per
    relative, closest first; those entered in error only when asked. One audited
    read (access_clinical_record), whatever the number of rows.

    Raises as access_clinical_record."""
    patient = access_clinical_record(actor, patient_id)
    return queries.family_history_of(patient.pk, include_entered_in_error=include_entered_in_error)


def access_family_history_entry(actor: Actor, entry_id: object) -> FamilyMemberHistory:
    """One relative's history, whatever its status. One audited read of its
    patient's record.

    Raises FamilyHistoryNotFound (absent, other practice, record closed to the
    actor), PatientDeleted."""
    entry = _family_history_in_practice(actor, entry_id, AuditAction.READ)
    try:
        access_clinical_record(actor, entry.patient_id)
    except PatientDeleted:
        raise
    except (ClinicalAccessDenied, PatientNotFound):
        raise FamilyHistoryNotFound from None
    return entry


def access_family_history_entry_versions(
    actor: Actor, entry_id: object
) -> list[FamilyMemberHistory]:
    """Every version of a relative's history, newest first (the current row,
    then unsaved rows rebuilt from the kept versions). One audited read."""
    entry = access_family_history_entry(actor, entry_id)
    return [
        entry,
        *(v.as_family_history(entry) for v in queries.family_history_versions_of(entry.pk)),
    ]


def active_allergies_after_read(actor: Actor, patient: Patient) -> list[AllergyIntolerance] | None:
    """The banner's allergies (as access_active_allergies) for a page whose own door
    has just recorded the read of `patient`'s clinical record in this request
    (access_vital_signs, access_observation, access_allergy_history…). The policy
    is asked again, without a second CLINICAL_READ: one event per read of the
    record (decision 0017 §8). None when the record is closed to the actor.

    Only for that case: a page that reads nothing else calls access_active_allergies."""
    if patient.deleted_at is not None or not decision_for(actor, patient, Scope.CLINICAL).allowed:
        return None
    return list(queries.active_allergies_of(patient.pk))


def derivation_sources_of(observations: Iterable[Observation]) -> dict[uuid.UUID, list[uuid.UUID]]:
    """The sources of the derived ones among `observations` (a BMI's weight and
    height: FHIR derivedFrom), which the caller read through a door of this
    module. Ids of rows of the same patient, no value: nothing more to audit."""
    derived = [o.pk for o in observations if o.derived]
    return queries.derivation_sources(derived) if derived else {}
