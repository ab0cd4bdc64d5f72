"""Practices (the tenants), memberships of users in them, and practitioners."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hygie.core.models import BaseModel

from .enums import Profession, Role, Specialty


class Practice(BaseModel):
    """A cabinet: the unit of tenancy, of encryption keys and of containment."""

    name = models.CharField(_("nom"), max_length=200)
    finess = models.CharField(_("FINESS"), max_length=9, blank=True)
    # Incident mode: the practice keeps reading its records but nothing is written.
    read_only_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("cabinet")

    def __str__(self) -> str:
        return self.name


class Membership(BaseModel):
    """A user's place in a practice. Access ends with `end_date` or `ended_at`,
    whichever comes first; a membership is never deleted (the audit refers to it)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships"
    )
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices)
    is_admin = models.BooleanField(_("administrateur du cabinet"), default=False)
    start_date = models.DateField(_("début"))
    end_date = models.DateField(_("fin"), null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "practice"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.practice_id} ({self.role})"

    def is_current(self, today: dt.date) -> bool:
        if self.ended_at is not None:
            return False
        if self.start_date > today:
            return False
        return self.end_date is None or today <= self.end_date

    @property
    def administers(self) -> bool:
        return self.is_admin or self.role == Role.ADMIN


class Practitioner(BaseModel):
    """The professional identity of a user who is a health professional."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="practitioner"
    )
    rpps = models.CharField(_("RPPS"), max_length=11, unique=True)
    profession = models.CharField(
        _("profession"), max_length=4, choices=Profession.choices, default=Profession.MEDECIN
    )
    specialty = models.CharField(
        _("spécialité"), max_length=6, choices=Specialty.choices, blank=True
    )

    def __str__(self) -> str:
        return self.rpps
