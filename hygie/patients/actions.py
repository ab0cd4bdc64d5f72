"""The only code that writes patients and their access grants. Each action checks
the actor's right to write, writes, and audits, in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from hygie.accounts.models import User
from hygie.audit.actions import record_event, record_patient_events
from hygie.audit.enums import AuditAction, AuditEventType, PurposeOfUse
from hygie.core import clock
from hygie.crypto.blind import name_prefix_tokens
from hygie.practices.context import Actor
from hygie.practices.enums import Role
from hygie.practices.models import Membership
from hygie.practices.queries import admins_of

from . import queries
from .access import decision_for
from .enums import CareRelationshipKind, Scope
from .forms_data import IdentityData, check_identity
from .identity import identity_status, is_high_trust
from .models import (
    AccessRestriction,
    BreakGlass,
    CareRelationship,
    Patient,
    PatientNameToken,
    PatientVersion,
)
from .policy import Basis
from .versions import snapshot_of

STRICT_TRAITS = (
    "birth_family_name",
    "birth_given_names",
    "birth_date",
    "sex",
    "birthplace_insee",
    "nir",
    "ins_oid",
)


LOW_TRUST_DOCUMENT = _lazy(
    "Ce document n'est pas à haut niveau de confiance : il ne permet pas de valider "
    "l'identité (carte d'identité, passeport ou titre de séjour ; acte de naissance "
    "ou livret de famille pour un mineur)."
)


class PracticeReadOnly(PermissionDenied):
    pass


class VersionConflict(Exception):
    """The record changed since the version the writer read (FHIR If-Match)."""

    def __init__(self, current: int) -> None:
        super().__init__(f"current version is {current}")
        self.current = current


def _new_version(patient: Patient, expected_version: int | None) -> None:
    """Keeps the current version of `patient` and claims the next one. The
    conditional UPDATE is the lock: of two writers who read the same version, the
    second finds it gone and gets VersionConflict (and writes nothing)."""
    if expected_version is not None and expected_version != patient.version:
        # The writer read another version than the one it names: nothing to claim.
        raise VersionConflict(patient.version)
    claimed = Patient.objects.filter(pk=patient.pk, version=patient.version).update(
        version=F("version") + 1
    )
    if not claimed:
        current = Patient.objects.filter(pk=patient.pk).values_list("version", flat=True).first()
        raise VersionConflict(current or 0)
    PatientVersion.objects.create(
        practice_id=patient.practice_id,
        patient_id=patient.pk,
        version=patient.version,
        valid_from=patient.updated_at,
        snapshot=snapshot_of(patient),
    )
    patient.version += 1


def check_can_write_identity(actor: Actor) -> None:
    if actor.practice.read_only_since is not None:
        raise PracticeReadOnly(_("Le cabinet est en mode lecture seule (incident en cours)."))
    if not (actor.is_system or actor.role in (Role.PRACTITIONER, Role.ASSISTANT)):
        raise PermissionDenied(_("Votre rôle ne permet pas de modifier les patients."))


def _index(patient: Patient) -> None:
    practice_id = patient.practice_id
    patient.nir_index = queries.nir_index(practice_id, patient.nir) if patient.nir else None
    patient.birth_date_index = queries.birth_date_index(practice_id, patient.birth_date)


def _name_tokens(patient: Patient) -> list[PatientNameToken]:
    tokens = name_prefix_tokens(
        patient.practice_id,
        patient.birth_family_name,
        patient.birth_given_names,
        patient.used_family_name or "",
        patient.used_given_name or "",
    )
    return [
        PatientNameToken(practice_id=patient.practice_id, patient=patient, token=t)
        for t in sorted(tokens)
    ]


def build_patient(actor: Actor, data: IdentityData) -> tuple[Patient, list[PatientNameToken]]:
    """An unsaved patient and its search tokens, from an already checked identity."""
    patient = Patient(practice=actor.practice)
    for field, value in asdict(data).items():
        setattr(patient, field, _stored(field, value))
    _index(patient)
    return patient, _name_tokens(patient)


def _stored(field: str, value: object) -> object:
    """Optional identity fields are stored as NULL when empty, not as ""."""
    return None if field in _NULLABLE and not value else value


_NULLABLE = {
    "birthplace_insee",
    "used_family_name",
    "used_given_name",
    "nir",
    "phone",
    "email",
    "address",
}


def _record_patient_created(actor: Actor, patient: Patient, **detail: str) -> None:
    record_event(
        actor.source,
        AuditEventType.PATIENT_CREATED,
        action=AuditAction.CREATE,
        patient_id=patient.pk,
        entity_type="Patient",
        entity_id=str(patient.pk),
        purpose=PurposeOfUse.PATADMIN,
        detail=detail or None,
    )


def do_create_built_patients(
    actor: Actor, built: Sequence[tuple[Patient, list[PatientNameToken]]], *, via: str
) -> None:
    """Saves patients made by build_patient() from checked identities, in bulk and
    in one transaction: the patients, their search tokens and, for those given a
    `treating_practitioner`, their treating relationship; one audit event each
    (naming the treating doctor). For the CSV import and the demo, which check
    duplicates themselves; the web form uses do_create_patient()."""
    check_can_write_identity(actor)
    now = clock.now()
    relationships = [
        CareRelationship(
            practice=actor.practice,
            patient=patient,
            practitioner_id=patient.treating_practitioner.user_id,
            kind=CareRelationshipKind.TREATING,
            starts_at=now,
        )
        for patient, _tokens in built
        if patient.treating_practitioner is not None
    ]
    with transaction.atomic():
        Patient.objects.bulk_create([p for p, _t in built], batch_size=500)
        PatientNameToken.objects.bulk_create([t for _p, ts in built for t in ts], batch_size=5000)
        CareRelationship.objects.bulk_create(relationships, batch_size=1000)
        # One append for the whole batch: moving the chain head once per patient
        # made a 100,000-patient import crawl on PostgreSQL (docs/performance.md).
        items = []
        for patient, _tokens in built:
            treating = patient.treating_practitioner
            extra = {"treating": str(treating.user_id)} if treating is not None else {}
            items.append((patient.pk, {"via": via, **extra}))
        for start in range(0, len(items), 1000):
            record_patient_events(
                actor.source,
                AuditEventType.PATIENT_CREATED,
                AuditAction.CREATE,
                items[start : start + 1000],
                purpose=PurposeOfUse.PATADMIN,
            )


def do_create_patient(actor: Actor, data: IdentityData) -> Patient:
    """Creates a patient with a provisional identity. A practitioner creating them
    joins their care team. Raises ValidationError (per field) on bad input."""
    check_can_write_identity(actor)
    data = check_identity(data, clock.today())
    with transaction.atomic():
        patient, tokens = build_patient(actor, data)
        if (
            data.nir
            and Patient.objects.filter(
                practice=actor.practice, nir_index=patient.nir_index
            ).exists()
        ):
            raise ValidationError({"nir": [_("Un patient du cabinet porte déjà ce NIR.")]})
        patient.save()
        PatientNameToken.objects.bulk_create(tokens)
        _record_patient_created(actor, patient)
        if actor.user is not None and actor.is_practitioner:
            _add_care_relationship(actor, patient, actor.user, CareRelationshipKind.CARE_TEAM)
    return patient


def do_update_patient(
    actor: Actor, patient: Patient, data: IdentityData, *, expected_version: int | None = None
) -> Patient:
    """Updates identity and contact details. Changing a strict trait or the INS of a
    checked identity sends it back to "provisoire": it must be checked again.

    With `expected_version`, raises VersionConflict unless the record is still at
    that version (FHIR If-Match). Without it, a concurrent change since `patient`
    was read is a conflict too: nothing is ever silently overwritten."""
    check_can_write_identity(actor)
    data = check_identity(data, clock.today())
    with transaction.atomic():
        changed = [f for f, v in asdict(data).items() if (getattr(patient, f) or "") != (v or "")]
        if not changed:
            if expected_version is not None and expected_version != patient.version:
                raise VersionConflict(patient.version)
            return patient
        _new_version(patient, expected_version)
        for field in changed:
            value = getattr(data, field)
            setattr(patient, field, _stored(field, value))
        if "nir" in changed and data.nir:
            index = queries.nir_index(patient.practice_id, data.nir)
            if (
                Patient.objects.filter(practice_id=patient.practice_id, nir_index=index)
                .exclude(pk=patient.pk)
                .exists()
            ):
                raise ValidationError({"nir": [_("Un patient du cabinet porte déjà ce NIR.")]})
        reset = [f for f in changed if f in STRICT_TRAITS]
        if reset:
            patient.ins_retrieved_at = None
            patient.identity_document = ""
            patient.identity_checked_at = None
            patient.identity_checked_by = None
            patient.identity_status = identity_status(ins_retrieved=False, document_checked=False)
        _index(patient)
        patient.save()
        PatientNameToken.objects.filter(patient=patient).delete()
        if patient.deleted_at is None:  # a deleted record keeps no name tokens
            PatientNameToken.objects.bulk_create(_name_tokens(patient))
        record_event(
            actor.source,
            AuditEventType.PATIENT_UPDATED,
            action=AuditAction.UPDATE,
            patient_id=patient.pk,
            entity_type="Patient",
            entity_id=str(patient.pk),
            purpose=PurposeOfUse.PATADMIN,
            detail={"fields": changed, "identity_reset": bool(reset), "version": patient.version},
        )
    return patient


def do_delete_patient(
    actor: Actor, patient: Patient, *, expected_version: int | None = None
) -> None:
    """Marks the record deleted: it leaves every list and door (FHIR answers 410),
    but nothing is erased (the record is kept for its legal retention period and
    the audit refers to it). Raises VersionConflict like do_update_patient."""
    check_can_write_identity(actor)
    with transaction.atomic():
        _new_version(patient, expected_version)
        patient.deleted_at = clock.now()
        patient.save(update_fields=["deleted_at", "version", "updated_at"])
        # Out of the name index: searches need not look at deleted_at (queries.py).
        PatientNameToken.objects.filter(patient=patient).delete()
        record_event(
            actor.source,
            AuditEventType.PATIENT_DELETED,
            action=AuditAction.DELETE,
            patient_id=patient.pk,
            entity_type="Patient",
            entity_id=str(patient.pk),
            purpose=PurposeOfUse.PATADMIN,
            detail={"version": patient.version},
        )


def do_record_identity_check(
    actor: Actor, patient: Patient, *, document: str = "", ins_retrieved: bool = False
) -> Patient:
    """Records a high-trust document check and/or an INS retrieved from the INSi
    service, and recomputes the identity status from them."""
    check_can_write_identity(actor)
    if document and not is_high_trust(document, birth_date=patient.birth_date, today=clock.today()):
        raise ValidationError({"document": [LOW_TRUST_DOCUMENT]})
    if ins_retrieved and not patient.nir:
        raise ValidationError({"ins": [_("Saisissez d'abord le matricule INS récupéré.")]})
    if not document and not ins_retrieved:
        raise ValidationError({"document": [_("Indiquez le document contrôlé ou l'INS.")]})
    now = clock.now()
    with transaction.atomic():
        _new_version(patient, None)
        if document:
            patient.identity_document = document
            patient.identity_checked_at = now
            patient.identity_checked_by = actor.user
        if ins_retrieved:
            patient.ins_retrieved_at = now
        patient.identity_status = identity_status(
            ins_retrieved=patient.ins_retrieved_at is not None,
            document_checked=bool(patient.identity_document),
        )
        patient.save()
        record_event(
            actor.source,
            AuditEventType.IDENTITY_VERIFIED,
            action=AuditAction.UPDATE,
            patient_id=patient.pk,
            entity_type="Patient",
            entity_id=str(patient.pk),
            purpose=PurposeOfUse.PATADMIN,
            detail={
                "document": document,
                "ins_retrieved": ins_retrieved,
                "status": patient.identity_status,
            },
        )
    return patient


def _add_care_relationship(
    actor: Actor,
    patient: Patient,
    practitioner: User,
    kind: str,
    ends_at: dt.datetime | None = None,
) -> CareRelationship:
    relationship = CareRelationship.objects.create(
        practice=actor.practice,
        patient=patient,
        practitioner=practitioner,
        kind=kind,
        starts_at=clock.now(),
        ends_at=ends_at,
    )
    record_event(
        actor.source,
        AuditEventType.CARE_RELATIONSHIP_CHANGED,
        action=AuditAction.CREATE,
        patient_id=patient.pk,
        entity_type="CareTeam",
        entity_id=str(relationship.pk),
        detail={"practitioner": str(practitioner.pk), "kind": kind},
    )
    return relationship


def do_add_care_relationship(
    actor: Actor,
    patient: Patient,
    membership: Membership,
    *,
    kind: str,
    ends_at: dt.datetime | None = None,
) -> CareRelationship:
    """Gives a practitioner of the practice a care relationship with the patient.
    Encounters and appointments (later capabilities) call it with kind=encounter."""
    check_can_write_identity(actor)
    if (
        membership.practice_id != actor.practice.pk
        or membership.role != Role.PRACTITIONER
        or not membership.is_current(clock.today())
    ):
        raise ValidationError(_("Seul un professionnel de santé du cabinet peut être ajouté."))
    if kind not in CareRelationshipKind.values:
        raise ValidationError(_("Type de relation de soins inconnu."))
    if kind == CareRelationshipKind.ENCOUNTER and ends_at is None:
        ends_at = clock.now() + dt.timedelta(days=settings.CARE_WINDOW_DAYS)
    with transaction.atomic():
        relationship = _add_care_relationship(actor, patient, membership.user, kind, ends_at)
        if kind == CareRelationshipKind.TREATING:
            # The médecin traitant is part of the record (FHIR generalPractitioner).
            _new_version(patient, None)
            patient.treating_practitioner = membership
            patient.save(update_fields=["treating_practitioner", "version", "updated_at"])
    return relationship


def do_break_glass(actor: Actor, patient: Patient, reason: str) -> BreakGlass:
    """Opens a colleague's access to a record for BREAK_GLASS_DAYS with a reason.
    Audited and mailed to the practice admins at once."""
    reason = " ".join((reason or "").split())
    if len(reason) < 10:
        raise ValidationError({"reason": [_("Expliquez le motif (10 caractères au moins).")]})
    if actor.user is None:
        raise PermissionDenied
    decision = decision_for(actor, patient, Scope.CLINICAL)
    if decision.allowed:
        raise ValidationError(_("Vous avez déjà accès à ce dossier."))
    if decision.basis is not Basis.NEEDS_BREAK_GLASS:
        raise PermissionDenied(_("Votre rôle ne permet pas d'accéder au dossier médical."))
    now = clock.now()
    with transaction.atomic():
        grant = BreakGlass.objects.create(
            practice=actor.practice,
            patient=patient,
            user=actor.user,
            reason=reason,
            expires_at=now + dt.timedelta(days=settings.BREAK_GLASS_DAYS),
        )
        record_event(
            actor.source,
            AuditEventType.BREAK_GLASS,
            action=AuditAction.EXECUTE,
            patient_id=patient.pk,
            entity_type="Patient",
            entity_id=str(patient.pk),
            purpose=PurposeOfUse.ETREAT,
            reason=reason,
            detail={"expires_at": grant.expires_at.isoformat()},
        )
    recipients = [u.email for u in admins_of(actor.practice, clock.today())]
    if recipients:
        send_mail(
            _("Hygie : accès d'urgence à un dossier"),
            _(
                "%(who)s a ouvert en urgence (« bris de glace ») le dossier d'un patient "
                "sans relation de soins, le %(when)s.\nMotif : %(reason)s\n\nConsultez le journal "
                "d'audit du cabinet pour le détail."
            )
            % {
                "who": actor.user.display_name,
                "when": now.strftime("%d/%m/%Y %H:%M"),
                "reason": reason,
            },
            None,
            recipients,
        )
    return grant


def do_restrict_access(
    actor: Actor, patient: Patient, user: User, reason: str
) -> AccessRestriction:
    """Records the patient's objection to `user` seeing their record. Practice
    admins only."""
    if not actor.administers:
        raise PermissionDenied
    with transaction.atomic():
        restriction = AccessRestriction.objects.create(
            practice=actor.practice, patient=patient, user=user, reason=reason
        )
        record_event(
            actor.source,
            AuditEventType.CARE_RELATIONSHIP_CHANGED,
            action=AuditAction.CREATE,
            patient_id=patient.pk,
            entity_type="Consent",
            entity_id=str(restriction.pk),
            detail={"restricted_user": str(user.pk)},
        )
    return restriction


def record_access_history_produced(actor: Actor, patient: Patient) -> None:
    record_event(
        actor.source,
        AuditEventType.PATIENT_ACCESS_HISTORY_PRODUCED,
        action=AuditAction.READ,
        patient_id=patient.pk,
        entity_type="AuditEvent",
        entity_id=str(patient.pk),
        purpose=PurposeOfUse.PATRQT,
    )
