"""The audit log: AuditEvent rows chained by hash, one chain per practice.

Both tables are `managed = False`. Their schema is created by this app's
migrations (0001 with the schema editor, 0002 adds the append-only triggers), but
Django must never flush them: `manage.py flush` and the test runner's flush after
a transactional test would otherwise try to empty an append-only log. The price:
a new field or index needs an explicit schema-editor call in its migration,
because migration operations on an unmanaged model do not touch the database.

There are no foreign keys, on purpose: the log must outlive the accounts,
practices and patients it names, and sits below them in the dependency order.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models
from django.utils.translation import gettext_lazy as _

from hygie.audit.enums import AuditAction, AuditOutcome, PurposeOfUse, event_type_choices

PLATFORM_CHAIN = "platform"
GENESIS_HASH = "0" * 64


class AuditEvent(models.Model):
    """One FHIR AuditEvent. Write only through `hygie.audit.actions.record_event`."""

    id = models.BigAutoField(primary_key=True)
    chain = models.CharField(max_length=40)
    seq = models.PositiveBigIntegerField()
    recorded_at = models.DateTimeField()
    event_type = models.PositiveIntegerField(choices=event_type_choices)
    action = models.CharField(max_length=1, choices=AuditAction.choices)
    outcome = models.CharField(max_length=2, choices=AuditOutcome.choices)
    purpose = models.CharField(max_length=16, choices=PurposeOfUse.choices, blank=True)

    # Agent: who did it, from where. Copied, not referenced.
    user_id = models.UUIDField(null=True, blank=True)
    user_label = models.CharField(max_length=254)
    practice_id = models.UUIDField(null=True, blank=True)
    source_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    session_ref = models.CharField(max_length=32, blank=True)

    # Entity: what it was done to.
    patient_id = models.UUIDField(null=True, blank=True)
    entity_type = models.CharField(max_length=64, blank=True)
    entity_id = models.CharField(max_length=64, blank=True)

    reason = models.TextField(blank=True)
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        managed = False
        db_table = "audit_auditevent"
        verbose_name = _("événement d'audit")
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="audit_event_chain_seq_uniq"),
        ]
        indexes = [
            models.Index(fields=["practice_id", "recorded_at"], name="audit_event_practice_time"),
            models.Index(
                fields=["practice_id", "user_id", "recorded_at"], name="audit_event_practice_user"
            ),
            models.Index(
                fields=["practice_id", "patient_id", "recorded_at"],
                name="audit_event_practice_patient",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.chain}#{self.seq} {self.get_event_type_display()}"

    # The database refuses UPDATE and DELETE (triggers); these fail earlier and
    # more clearly for the ORM's instance methods.
    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("AuditEvent is append-only: an event cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("AuditEvent is append-only: an event cannot be deleted")


class AuditChainHead(models.Model):
    """The last seq and hash of one chain. Its row lock serialises appends."""

    chain = models.CharField(max_length=40, primary_key=True)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)
    updated_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "audit_auditchainhead"

    def __str__(self) -> str:
        return f"{self.chain}@{self.seq}"
