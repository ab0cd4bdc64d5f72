"""The only code that writes practices, memberships and practitioners. Audited."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from hygie.accounts.actions import do_revoke_sessions
from hygie.accounts.models import User
from hygie.audit.actions import AuditSource, record_event
from hygie.audit.enums import AuditAction, AuditEventType
from hygie.core import clock
from hygie.crypto.keys import ensure_tenant_keys

from .enums import Profession, Role, Specialty
from .models import Membership, Practice, Practitioner
from .validators import check_rpps


def do_create_practice(name: str, *, source: AuditSource) -> Practice:
    name = name.strip()
    if not name:
        raise ValidationError(_("Le nom du cabinet est obligatoire."), code="name_required")
    if len(name) > 200:
        raise ValidationError(_("Le nom du cabinet est trop long (200 caractères au plus)."))
    with transaction.atomic():
        practice = Practice.objects.create(name=name)
        ensure_tenant_keys(practice.pk)
        record_event(
            source,
            AuditEventType.PRACTICE_CREATED,
            action=AuditAction.CREATE,
            practice_id=practice.pk,
            entity_type="Organization",
            entity_id=str(practice.pk),
        )
    return practice


def do_set_practitioner(
    user: User,
    *,
    rpps: str,
    profession: str = Profession.MEDECIN,
    specialty: str = "",
    source: AuditSource,
) -> Practitioner:
    rpps = check_rpps(rpps)
    if profession not in Profession.values:
        raise ValidationError(_("Profession inconnue : %(p)s") % {"p": profession})
    if specialty not in Specialty.values:
        raise ValidationError(_("Spécialité inconnue : %(s)s") % {"s": specialty})
    taken = Practitioner.objects.filter(rpps=rpps).exclude(user=user).exists()
    if taken:
        raise ValidationError(_("Ce numéro RPPS est déjà attribué à un autre compte."))
    practitioner, _created = Practitioner.objects.update_or_create(
        user=user, defaults={"rpps": rpps, "profession": profession, "specialty": specialty}
    )
    return practitioner


def do_add_member(
    practice: Practice,
    user: User,
    *,
    role: str,
    is_admin: bool = False,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    rpps: str = "",
    profession: str = Profession.MEDECIN,
    specialty: str = "",
    source: AuditSource,
) -> Membership:
    """Adds a user to a practice. A practitioner needs a valid RPPS number."""
    if role not in Role.values:
        raise ValidationError(_("Rôle inconnu : %(r)s") % {"r": role}, code="role")
    start_date = start_date or clock.today()
    if end_date is not None and end_date < start_date:
        raise ValidationError(_("La date de fin précède la date de début."), code="dates")
    if Membership.objects.filter(practice=practice, user=user).exists():
        raise ValidationError(_("Cette personne est déjà membre du cabinet."), code="duplicate")
    with transaction.atomic():
        if role == Role.PRACTITIONER:
            if not rpps and not hasattr(user, "practitioner"):
                raise ValidationError(_("Un professionnel de santé doit avoir un numéro RPPS."))
            existing = Practitioner.objects.filter(user=user).first()
            if existing is not None:
                # A practitioner's professional identity is theirs, not a practice's:
                # a practice admin must not rewrite it (nor free their RPPS).
                if rpps and check_rpps(rpps) != existing.rpps:
                    raise ValidationError(
                        _("Ce compte porte déjà un autre numéro RPPS (%(r)s).")
                        % {"r": existing.rpps},
                        code="rpps_differs",
                    )
            elif rpps:
                do_set_practitioner(
                    user, rpps=rpps, profession=profession, specialty=specialty, source=source
                )
        membership = Membership.objects.create(
            practice=practice,
            user=user,
            role=role,
            is_admin=is_admin or role == Role.ADMIN,
            start_date=start_date,
            end_date=end_date,
        )
        record_event(
            source,
            AuditEventType.MEMBERSHIP_CREATED,
            action=AuditAction.CREATE,
            practice_id=practice.pk,
            entity_type="PractitionerRole",
            entity_id=str(membership.pk),
            detail={
                "user": user.email,
                "role": role,
                "admin": membership.is_admin,
                "rpps": getattr(getattr(user, "practitioner", None), "rpps", ""),
            },
        )
    return membership


def belongs_elsewhere(user: User, practice: Practice) -> bool:
    """Whether the account has, or had, a membership in another practice. Such an
    account is not one practice admin's to attach, reactivate or reset: only the
    platform operator may (command line)."""
    return Membership.objects.filter(user=user).exclude(practice=practice).exists()


def do_end_membership(membership: Membership, *, reason: str, source: AuditSource) -> None:
    """Ends a membership now: the next request of any session working in this
    practice is refused, and those sessions are revoked outright."""
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        if locked.ended_at is not None:
            raise ValidationError(_("Cette appartenance est déjà terminée."), code="ended")
        locked.ended_at = clock.now()
        locked.ended_reason = reason[:200]
        if locked.end_date is None or locked.end_date > clock.today():
            locked.end_date = clock.today()
        locked.save(update_fields=["ended_at", "ended_reason", "end_date", "updated_at"])
        record_event(
            source,
            AuditEventType.MEMBERSHIP_ENDED,
            action=AuditAction.UPDATE,
            practice_id=locked.practice_id,
            entity_type="PractitionerRole",
            entity_id=str(locked.pk),
            detail={"user_id": str(locked.user_id)},
            reason=reason[:200],  # free text from an admin: sealed, not in detail
        )
        do_revoke_sessions(
            locked.user, reason="membership ended", source=source, practice_id=locked.practice_id
        )
    membership.refresh_from_db()


def do_change_role(
    membership: Membership, *, role: str, is_admin: bool, source: AuditSource
) -> Membership:
    if role not in Role.values:
        raise ValidationError(_("Rôle inconnu : %(r)s") % {"r": role}, code="role")
    if role == Role.PRACTITIONER and not hasattr(membership.user, "practitioner"):
        raise ValidationError(_("Un professionnel de santé doit avoir un numéro RPPS."))
    with transaction.atomic():
        before = {"role": membership.role, "admin": membership.is_admin}
        membership.role = role
        membership.is_admin = is_admin or role == Role.ADMIN
        membership.save(update_fields=["role", "is_admin", "updated_at"])
        record_event(
            source,
            AuditEventType.ROLE_CHANGED,
            action=AuditAction.UPDATE,
            practice_id=membership.practice_id,
            entity_type="PractitionerRole",
            entity_id=str(membership.pk),
            detail={"before": before, "after": {"role": role, "admin": membership.is_admin}},
        )
        # A change of role changes what open sessions may see: make them log in again.
        do_revoke_sessions(
            membership.user,
            reason="role changed",
            source=source,
            practice_id=membership.practice_id,
        )
    return membership


def do_close_expired_memberships(*, source: AuditSource, today: dt.date | None = None) -> int:
    """Scheduled job: memberships whose end date has passed are closed and their
    sessions revoked. (Requests are refused from the end date on regardless.)"""
    today = today or clock.today()
    expired = Membership.objects.filter(ended_at=None, end_date__lt=today)
    count = 0
    for membership in expired:
        do_end_membership(membership, reason="end date reached", source=source)
        count += 1
    return count
