"""Key rotation rewrites every encrypted row of a practice: it is audited."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from hygie.audit.enums import AuditEventType
from hygie.audit.models import AuditEvent
from hygie.patients.access import access_patient
from hygie.practices.context import as_system

pytestmark = pytest.mark.django_db


def test_a_rotation_and_its_reencryption_are_recorded_in_the_practice_log(cast):
    practice = cast.practice_a
    call_command("keys", "rotate", "--practice", str(practice.pk), "--wait", stdout=io.StringIO())
    events = AuditEvent.objects.filter(
        event_type=AuditEventType.KEY_ROTATION, practice_id=practice.pk
    ).order_by("seq")
    assert events.first().detail == {"data_key_version": 2}
    assert events.last().detail["reencrypted"] >= 1
    assert {e.user_label for e in events} == {"system:cli:keys-rotate", "system:cli:keys-reencrypt"}
    assert access_patient(as_system(practice, "t"), cast.patient.pk).birth_family_name


def test_a_master_key_rotation_is_recorded_in_the_platform_log(cast):
    call_command("keys", "rotate", "--master", stdout=io.StringIO())
    event = AuditEvent.objects.get(event_type=AuditEventType.KEY_ROTATION)
    assert event.practice_id is None
    assert event.detail["rewrapped"] >= 4
