"""The only doors to patient data. Each checks the policy and writes the access,
granted or refused, to the audit log before returning anything.

A refusal for a patient the actor may not know about is PatientNotFound: the same
404 as for an id that does not exist, so ids cannot be probed across practices.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from hygie.audit.actions import record_event, record_listing
from hygie.audit.enums import AuditAction, AuditEventType, AuditOutcome, PurposeOfUse
from hygie.core import clock
from hygie.core.joined import JoinedSelect
from hygie.crypto.blind import normalize_name
from hygie.practices.context import Actor

from . import queries
from .criteria import BirthDateIn, Condition, IdIn, InsIn, NameMatch
from .enums import Scope
from .models import AccessRestriction, Patient, PatientVersion
from .policy import Basis, Decision, Facts, decide
from .versions import patient_from_snapshot


class PatientNotFound(Http404):
    pass


class PatientDeleted(PatientNotFound):
    """The record was deleted (kept, hidden). The web answers 404; FHIR, 410."""


class ClinicalAccessDenied(PermissionDenied):
    """The actor may see who the patient is but not their record. `decision`
    says whether breaking the glass would open it."""

    def __init__(self, patient: Patient, decision: Decision) -> None:
        super().__init__(decision.basis.value)
        self.patient = patient
        self.decision = decision


# The record, looked up by id within the actor's practice, on every read: the
# SELECTs are written once, not compiled by the ORM each time (hygie/core/joined.py).
_PATIENT = JoinedSelect(Patient, [], "id", "practice")
_PATIENT_WITH_DOCTOR = JoinedSelect(Patient, ["treating_practitioner__user"], "id", "practice")


def _parse(patient_id: object) -> uuid.UUID | None:
    if isinstance(patient_id, uuid.UUID):
        return patient_id
    try:
        return uuid.UUID(str(patient_id))
    except ValueError:
        return None


def decision_for(
    actor: Actor, patient: Patient, scope: Scope, at: dt.datetime | None = None
) -> Decision:
    """The policy's answer, without auditing: for choosing what to display."""
    at = at or clock.now()
    user_id = actor.user.pk if actor.user else None
    same = patient.practice_id == actor.practice.pk
    clinical = same and user_id is not None and scope == Scope.CLINICAL and actor.is_practitioner
    has_relationship = bool(
        clinical and user_id and queries.has_care_relationship(patient.pk, user_id, at)
    )
    facts = Facts(
        same_practice=same,
        current_member=_is_current_member(actor),
        role=actor.role,
        is_system=actor.is_system,
        restricted=bool(same and user_id and queries.is_restricted(patient.pk, user_id)),
        has_care_relationship=has_relationship,
        # Only looked up when it could matter: a relationship already grants access.
        has_break_glass=bool(
            clinical
            and user_id
            and not has_relationship
            and queries.active_break_glass(patient.pk, user_id, at) is not None
        ),
    )
    return decide(facts, scope)


def _is_current_member(actor: Actor) -> bool:
    """Checked again here, not only when the request's actor is built: an actor held
    by a long request, a job or a token must not outlive the membership."""
    if actor.membership is None or actor.user is None:
        return False
    return actor.user.is_active and actor.membership.is_current(clock.today())


def _purpose(actor: Actor, decision: Decision) -> str:
    if actor.is_system:
        return PurposeOfUse.SYSADMIN
    if decision.basis is Basis.BREAK_GLASS:
        return PurposeOfUse.ETREAT
    if actor.is_assistant:
        return PurposeOfUse.PATADMIN
    return PurposeOfUse.TREAT


def _deny(
    actor: Actor, requested: str, patient: Patient | None, scope: Scope, basis: Basis
) -> None:
    record_event(
        actor.source,
        AuditEventType.ACCESS_DENIED,
        action=AuditAction.READ,
        outcome=AuditOutcome.MINOR_FAILURE,
        patient_id=patient.pk if patient is not None else None,
        entity_type="Patient",
        entity_id=requested,
        detail={"scope": str(scope), "basis": basis.value},
    )


def access_patient(
    actor: Actor,
    patient_id: object,
    *,
    scope: Scope = Scope.IDENTITY,
    with_treating_doctor: bool = True,
) -> Patient:
    """The patient, if `actor` may read `scope` of them; the read is audited.
    `with_treating_doctor=False` leaves out the médecin traitant's membership and
    user (two joined rows) for a caller that shows only their id (the FHIR API).

    Raises PatientNotFound (absent, other practice, no role, objection),
    PatientDeleted (a deleted record the actor could otherwise see) or, for a
    clinical read by someone who may see the identity, ClinicalAccessDenied."""
    return _access(actor, patient_id, scope, with_treating_doctor=with_treating_doctor)


def _access(
    actor: Actor,
    patient_id: object,
    scope: Scope,
    *,
    deleted_ok: bool = False,
    detail: dict[str, object] | None = None,
    resolve: Callable[[Patient], Patient] | None = None,
    with_treating_doctor: bool = True,
) -> Patient:
    """`resolve` turns the allowed patient into what is actually read (a version);
    its PatientNotFound/PatientDeleted is recorded as the refusal it is, so that
    the log never shows a read that returned nothing."""
    parsed = _parse(patient_id)
    lookup = _PATIENT_WITH_DOCTOR if with_treating_doctor else _PATIENT
    patient = lookup.get(parsed, actor.practice.pk) if parsed else None
    if patient is None:
        _deny(actor, str(patient_id)[:64], None, scope, Basis.OTHER_PRACTICE)
        raise PatientNotFound
    decision = decision_for(actor, patient, scope)
    if not decision.allowed:
        _deny(actor, str(patient.pk), patient, scope, decision.basis)
        identity = decision_for(actor, patient, Scope.IDENTITY)
        if scope == Scope.CLINICAL and identity.allowed and patient.deleted_at is None:
            raise ClinicalAccessDenied(patient, decision)
        raise PatientNotFound
    if patient.deleted_at is not None and not deleted_ok:
        # Only someone who may see the patient learns that the record was deleted.
        _deny(actor, str(patient.pk), patient, scope, Basis.DELETED)
        raise PatientDeleted
    if resolve is not None:
        try:
            read = resolve(patient)
        except PatientNotFound as exc:
            gone = isinstance(exc, PatientDeleted)
            _deny(
                actor, str(patient.pk), patient, scope, Basis.DELETED if gone else Basis.NOT_FOUND
            )
            raise
    event = AuditEventType.CLINICAL_READ if scope == Scope.CLINICAL else AuditEventType.PATIENT_READ
    reason = ""
    if decision.basis is Basis.BREAK_GLASS and actor.user is not None:
        grant = queries.active_break_glass(patient.pk, actor.user.pk, clock.now())
        reason = grant.reason if grant is not None else ""
    record_event(
        actor.source,
        event,
        action=AuditAction.READ,
        patient_id=patient.pk,
        entity_type="Patient",
        entity_id=str(patient.pk),
        purpose=_purpose(actor, decision),
        reason=reason,
        detail={"scope": str(scope), "basis": decision.basis.value, **(detail or {})},
    )
    return read if resolve is not None else patient


def access_patient_history(actor: Actor, patient_id: object) -> list[Patient]:
    """Every version of the patient's record, newest first (the current row, then
    unsaved Patients rebuilt from PatientVersion). A deleted record's history stays
    readable by whoever could read it. One audited read."""
    patient = _access(actor, patient_id, Scope.IDENTITY, deleted_ok=True, detail={"history": True})
    older = PatientVersion.objects.filter(patient_id=patient.pk).order_by("-version")
    return [patient, *(patient_from_snapshot(v) for v in older)]


def access_patient_version(actor: Actor, patient_id: object, version: int) -> Patient:
    """One version of the record (FHIR vread), audited as a read of the patient.
    Raises PatientNotFound for an unknown version, as for an unknown patient."""

    def resolve(patient: Patient) -> Patient:
        if version == patient.version:
            if patient.deleted_at is not None:
                raise PatientDeleted
            return patient
        stored = PatientVersion.objects.filter(patient_id=patient.pk, version=version).first()
        if stored is None:
            raise PatientNotFound
        return patient_from_snapshot(stored)

    return _access(
        actor,
        patient_id,
        Scope.IDENTITY,
        deleted_ok=True,
        detail={"version": version},
        resolve=resolve,
    )


def record_out_of_scope(actor: Actor, patient_id: object) -> None:
    """A token limited to one patient asked for another: refused (404, as for an
    absent patient) and recorded like every refusal, without looking it up."""
    _deny(actor, str(patient_id)[:64], None, Scope.IDENTITY, Basis.OUTSIDE_LAUNCH_PATIENT)


def access_clinical_record(actor: Actor, patient_id: object) -> Patient:
    """Door for every clinical section: the patient, if their record may be opened."""
    return access_patient(actor, patient_id, scope=Scope.CLINICAL)


def _check_may_search(actor: Actor) -> None:
    """Listing patients needs the right to read identities (and a current membership)."""
    probe = Facts(
        same_practice=True,
        current_member=_is_current_member(actor),
        role=actor.role,
        is_system=actor.is_system,
        restricted=False,
        has_care_relationship=False,
        has_break_glass=False,
    )
    if not decide(probe, Scope.IDENTITY).allowed:
        record_event(
            actor.source,
            AuditEventType.ACCESS_DENIED,
            action=AuditAction.READ,
            outcome=AuditOutcome.MINOR_FAILURE,
            entity_type="Patient",
            detail={"search": True},
        )
        raise PermissionDenied


def _without_restricted(actor: Actor, patients: Iterable[Patient]) -> list[Patient]:
    """Drops the patients who objected to this professional."""
    rows = list(patients)
    if actor.user is None or not rows:
        return rows
    restricted = set(
        _objections(actor)
        .filter(patient_id__in=[p.pk for p in rows])
        .values_list("patient_id", flat=True)
    )
    return [p for p in rows if p.pk not in restricted]


def search_patients(
    actor: Actor,
    *,
    name: str = "",
    birth_date: dt.date | None = None,
    nir: str = "",
    limit: int = 50,
) -> list[Patient]:
    """Patients of the actor's practice matching the criteria, for a list page.
    The search and the ids it showed are audited."""
    _check_may_search(actor)
    ids = queries.search_patient_ids(
        actor.practice.pk, name=name, birth_date=birth_date, nir=nir, limit=limit + 10
    )
    # Only the columns the list shows: every loaded encrypted column costs work.
    listed = Patient.objects.filter(pk__in=ids).defer(
        "sex", "birthplace_insee", "nir", "phone", "email", "address"
    )
    patients = _without_restricted(actor, listed)
    patients.sort(key=lambda p: (p.display_family_name, p.display_given_name))
    patients = patients[:limit]
    criteria = {"name": name, "birth_date": birth_date, "nir": nir}
    _record_listing(
        actor, [p.pk for p in patients], len(patients), sorted(k for k, v in criteria.items() if v)
    )
    return patients


class SearchTooBroad(Exception):
    """The search would need more records decrypted than a search may: the
    caller must narrow it (a name, a birth date, an identifier)."""


@dataclass(frozen=True)
class PatientPage:
    total: int
    patients: list[Patient]


# Sort keys: on a plain column, or on decrypted values.
COLUMN_SORTS = {"updated": "updated_at"}
DECRYPTED_SORTS: dict[str, Callable[[Patient], Any]] = {
    "family": lambda p: (
        normalize_name(p.display_family_name),
        normalize_name(p.display_given_name),
    ),
    "birth_date": lambda p: p.birth_date,
}


def _candidate_ids(actor: Actor, conditions: Sequence[Condition]) -> QuerySet[Any, Any]:
    """The ids (a values_list query) of the live patients the indexes select.

    With a name condition, the query starts from the name index and reaches the
    patients through it: the database reads the few hundred index rows of that
    prefix instead of testing the whole practice against them (docs/performance.md)."""
    practice_id = actor.practice.pk
    # Another exact index (an id, an INS, a birth date) selects fewer rows than a
    # name prefix: then the query starts from the patients.
    narrower = any(isinstance(c, IdIn | InsIn | BirthDateIn) and c.exact for c in conditions)
    driver = next(
        (
            c
            for c in conditions
            if isinstance(c, NameMatch) and len(c.values) == 1 and c.indexed_words()
        ),
        None,
    )
    if narrower:
        driver = None
    if driver is not None:
        words = driver.indexed_words() or []
        rows: QuerySet[Any, Any] = queries.name_search_rows(practice_id, words[0])
        via, field = "patient__", "patient_id"
    else:
        rows = Patient.objects.filter(practice_id=practice_id, deleted_at=None)
        via, field = "", "pk"
    for condition in conditions:
        selected = condition.index_filter(practice_id, via) if condition is not driver else None
        if selected is not None:
            rows = rows.filter(selected)
    return rows.values_list(field, flat=True)


def _sort_key(key: str) -> Callable[[Patient], Any]:
    if key in DECRYPTED_SORTS:
        return DECRYPTED_SORTS[key]
    column = COLUMN_SORTS[key]
    return lambda patient: getattr(patient, column)


def find_patients(
    actor: Actor,
    conditions: Sequence[Condition],
    *,
    order: Sequence[tuple[str, bool]] = (),
    offset: int = 0,
    count: int = 20,
    cap: int = 1000,
    max_total: int | None = None,
    criteria_names: Sequence[str] = (),
) -> PatientPage:
    """One page of the practice's live patients matching every condition, sorted by
    `order` ((key, descending) pairs from COLUMN_SORTS/DECRYPTED_SORTS, then id).

    Conditions an index serves exactly are answered without decrypting a row; any
    other needs the candidates decrypted, and more than `cap` of them raises
    SearchTooBroad (a search is not a way to read the whole practice), as do more
    than `max_total` matches. The search and the patients on the page are audited;
    `count=0` returns the total only."""
    _check_may_search(actor)
    unknown = [
        key for key, _desc in order if key not in COLUMN_SORTS and key not in DECRYPTED_SORTS
    ]
    if unknown:
        raise ValueError(f"unknown sort keys {unknown}")
    rows = _candidate_ids(actor, conditions)
    objected = set(_objections(actor).values_list("patient_id", flat=True)) if actor.user else set()
    decrypting = any(not c.exact for c in conditions) or any(k in DECRYPTED_SORTS for k, _ in order)
    if not decrypting and count == 0 and max_total is None:
        # Counting only: the database counts, nothing is fetched.
        total = rows.count() if not objected else sum(1 for i in rows if i not in objected)
        page: list[Patient] = []
    elif not decrypting:
        # Bounded: more than max_total is refused without counting them all.
        bound = None if max_total is None else max_total + 1 + len(objected)
        ids = [i for i in rows[:bound] if i not in objected]
        if max_total is not None and len(ids) > max_total:
            raise SearchTooBroad
        total = len(ids)
        ordering = [("-" if desc else "") + COLUMN_SORTS[key] for key, desc in order] + ["pk"]
        page = (
            list(Patient.objects.filter(pk__in=ids).order_by(*ordering)[offset : offset + count])
            if count and ids
            else []
        )
    else:
        ids = [i for i in rows[: cap + 1 + len(objected)] if i not in objected]
        if len(ids) > cap:
            raise SearchTooBroad
        found = [
            p for p in Patient.objects.filter(pk__in=ids) if all(c.matches(p) for c in conditions)
        ]
        found.sort(key=lambda p: str(p.pk))
        for key, desc in reversed(order):  # stable sorts: the first key ends up primary
            found.sort(key=_sort_key(key), reverse=desc)
        total = len(found)
        if max_total is not None and total > max_total:
            raise SearchTooBroad
        page = found[offset : offset + count]
    _record_listing(actor, [p.pk for p in page], total, sorted(criteria_names))
    return PatientPage(total, page)


def find_patient_changes(
    actor: Actor,
    *,
    since: dt.datetime | None = None,
    offset: int = 0,
    count: int = 20,
    max_total: int | None = None,
) -> tuple[int, list[Patient]]:
    """Every version of the practice's patient records, newest first (FHIR type
    history), one page of it: (total, versions as Patients, deleted ones with
    `deleted_at` set). Patients who objected to the actor are left out; the page
    is audited like a search."""
    _check_may_search(actor)
    practice_id = actor.practice.pk
    current = Patient.objects.filter(practice_id=practice_id)
    older = PatientVersion.objects.filter(practice_id=practice_id)
    if actor.user is not None:
        current = current.exclude(pk__in=_objections(actor))
        older = older.exclude(patient_id__in=_objections(actor))
    if since is not None:
        current = current.filter(updated_at__gte=since)
        older = older.filter(valid_from__gte=since)
    total = current.count() + older.count()
    if max_total is not None and total > max_total:
        raise SearchTooBroad
    rows = (
        current.values_list("pk", "version", "updated_at")
        .union(older.values_list("patient_id", "version", "valid_from"), all=True)
        .order_by("-updated_at", "-version")[offset : offset + count]
    )
    page = list(rows)
    latest = {p.pk: p for p in Patient.objects.filter(pk__in={pk for pk, _v, _t in page})}
    stored = {
        (v.patient_id, v.version): v
        for v in PatientVersion.objects.filter(patient_id__in={pk for pk, _v, _t in page})
    }
    versions = [
        latest[pk] if latest[pk].version == version else patient_from_snapshot(stored[pk, version])
        for pk, version, _t in page
    ]
    _record_listing(actor, sorted({pk for pk, _v, _t in page}, key=str), total, ["history"])
    return total, versions


def _record_listing(
    actor: Actor,
    ids: list[uuid.UUID],
    total: int,
    criteria: list[str],
    *,
    purpose: PurposeOfUse | None = None,
) -> None:
    """A list of patients shown: the search itself (criteria names and counts,
    never what was typed), then one read per patient shown, so that each patient's
    access history holds it (IHE BALP PatientQuery: one event per patient)."""
    purpose = purpose or (PurposeOfUse.PATADMIN if actor.is_assistant else PurposeOfUse.TREAT)
    record_listing(
        actor.source,
        ids,
        purpose=purpose,
        search_detail={"count": len(ids), "total": total, "criteria": criteria},
        read_detail={"via": "list"},
    )


def _objections(actor: Actor) -> QuerySet[AccessRestriction, Any]:
    """Ids (patient_id) of the patients who objected to the actor (a person)."""
    return AccessRestriction.objects.filter(
        user=actor.user, lifted_at=None, practice_id=actor.practice.pk
    ).values("patient_id")


def find_likely_duplicates(
    actor: Actor, *, birth_date: dt.date, family_names: list[str], given_names: str, nir: str = ""
) -> list[Patient]:
    """Patients of the practice who may be the same person as the one about to be
    created: same INS matricule, or same birth date with a similar name. Shown to the
    user before saving; the lookup is checked and audited like a search."""
    _check_may_search(actor)
    nir_matches = set(queries.search_patient_ids(actor.practice.pk, nir=nir)) if nir else set()
    ids = nir_matches | set(
        queries.search_patient_ids(actor.practice.pk, birth_date=birth_date, limit=200)
    )
    if not ids:
        return []
    wanted_family = {normalize_name(n) for n in family_names if n}
    wanted_given = {w for w in normalize_name(given_names).split() if w}
    found = []
    for patient in _without_restricted(actor, Patient.objects.filter(pk__in=ids)):
        families = {
            normalize_name(patient.birth_family_name),
            normalize_name(patient.used_family_name or ""),
        }
        givens = set(normalize_name(patient.birth_given_names).split())
        givens |= set(normalize_name(patient.used_given_name or "").split())
        same_family = bool(wanted_family & families) or any(
            f[:4] == g[:4] for f in wanted_family for g in families if len(f) >= 4 and g
        )
        if patient.pk in nir_matches or same_family or wanted_given & givens:
            found.append(patient)
    _record_listing(
        actor, [p.pk for p in found], len(found), ["duplicates"], purpose=PurposeOfUse.PATADMIN
    )
    return found
