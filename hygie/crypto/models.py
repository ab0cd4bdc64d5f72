"""Per-practice data keys, stored only wrapped by a master key."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hygie.core.models import BaseModel


class DataKey(BaseModel):
    """One version of one practice's key. `tenant_id` is the practice id, without a
    foreign key: crypto sits below practices in the dependency order."""

    class Purpose(models.TextChoices):
        DATA = "data", _("chiffrement des données")
        INDEX = "index", _("index aveugles")

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        # Retired keys still decrypt values not yet re-encrypted; they never encrypt.
        RETIRED = "retired", _("retirée")

    tenant_id = models.UUIDField()
    purpose = models.CharField(max_length=8, choices=Purpose.choices)
    version = models.PositiveIntegerField()
    master_kid = models.CharField(max_length=64)
    wrapped = models.BinaryField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant_id", "purpose", "version"], name="crypto_datakey_version"
            ),
            # Two concurrent rotations cannot both leave an active key behind.
            models.UniqueConstraint(
                fields=["tenant_id", "purpose"],
                condition=Q(status="active"),
                name="crypto_datakey_one_active",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id} {self.purpose} v{self.version} ({self.status})"
