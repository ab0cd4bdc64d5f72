"""Versions of a patient's record (FHIR vread and history) and deletion that
hides without erasing."""

from __future__ import annotations

import dataclasses

import pytest
from django.db import connection

from hygie.audit.enums import AuditEventType
from hygie.audit.models import AuditEvent
from hygie.patients.access import (
    PatientDeleted,
    PatientNotFound,
    access_patient,
    access_patient_history,
    access_patient_version,
    search_patients,
)
from hygie.patients.actions import (
    VersionConflict,
    do_delete_patient,
    do_record_identity_check,
    do_update_patient,
)
from hygie.patients.enums import IdentityDocument, IdentityStatus
from hygie.patients.models import Patient, PatientNameToken, PatientVersion
from tests.cast import identity

pytestmark = pytest.mark.django_db


def version_of(patient) -> int:
    return Patient.objects.get(pk=patient.pk).version


def rename(cast, used_family_name: str, **kwargs):
    return do_update_patient(
        cast.actor("denise"),
        cast.patient,
        identity(used_family_name=used_family_name),
        **kwargs,
    )


def test_an_update_keeps_the_previous_version_readable(cast):
    # The cast's patient is at version 2: created, then given a médecin traitant.
    assert version_of(cast.patient) == 2
    rename(cast, "Martin")
    assert version_of(cast.patient) == 3
    alice = cast.actor("alice")
    first = access_patient_version(alice, cast.patient.pk, 1)
    assert first.treating_practitioner_id is None
    assert access_patient_version(alice, cast.patient.pk, 2).used_family_name is None
    assert access_patient_version(alice, cast.patient.pk, 3).used_family_name == "MARTIN"
    history = access_patient_history(alice, cast.patient.pk)
    assert [p.version for p in history] == [3, 2, 1]
    assert history[1].birth_family_name == "LEFÈVRE"


def test_an_unknown_version_is_not_found(cast):
    with pytest.raises(PatientNotFound):
        access_patient_version(cast.actor("alice"), cast.patient.pk, 7)


def test_an_identity_check_is_a_new_version_holding_the_old_status(cast):
    do_record_identity_check(
        cast.actor("denise"), cast.patient, document=IdentityDocument.NATIONAL_ID
    )
    old = access_patient_version(cast.actor("alice"), cast.patient.pk, 2)
    assert old.identity_status == IdentityStatus.PROVISIONAL
    assert old.identity_document == ""


def test_a_write_based_on_a_stale_version_is_refused_and_changes_nothing(cast):
    stale = Patient.objects.get(pk=cast.patient.pk)
    rename(cast, "Martin")
    with pytest.raises(VersionConflict) as conflict:
        do_update_patient(cast.actor("denise"), stale, identity(used_family_name="Durand"))
    assert conflict.value.current == 3
    fresh = Patient.objects.get(pk=cast.patient.pk)
    assert (fresh.version, fresh.used_family_name) == (3, "MARTIN")
    assert PatientVersion.objects.filter(patient=cast.patient).count() == 2


def test_an_expected_version_that_is_not_current_is_a_conflict(cast):
    with pytest.raises(VersionConflict):
        rename(cast, "Martin", expected_version=1)
    assert version_of(cast.patient) == 2
    rename(cast, "Martin", expected_version=2)
    assert version_of(cast.patient) == 3


def test_a_deleted_record_is_gone_for_its_readers_and_absent_for_others(cast):
    do_delete_patient(cast.actor("denise"), cast.patient)
    assert AuditEvent.objects.filter(event_type=AuditEventType.PATIENT_DELETED).count() == 1
    with pytest.raises(PatientDeleted):
        access_patient(cast.actor("alice"), cast.patient.pk)
    # Another practice cannot tell a deleted record from one that never existed.
    with pytest.raises(PatientNotFound) as other:
        access_patient(cast.actor("carla"), cast.patient.pk)
    assert not isinstance(other.value, PatientDeleted)
    assert search_patients(cast.actor("alice"), name="Lefèvre") == []
    # Out of the name index: searches answer from it alone.
    assert not PatientNameToken.objects.filter(patient=cast.patient).exists()
    # Kept, not erased: its history still reads.
    history = access_patient_history(cast.actor("alice"), cast.patient.pk)
    assert history[0].deleted_at is not None
    assert history[1].birth_family_name == "LEFÈVRE"


def test_the_departed_doctor_and_the_other_practice_read_no_version(cast):
    rename(cast, "Martin")
    for name in ("damien", "carla", "ernest"):
        with pytest.raises(PatientNotFound):
            access_patient_history(cast.actor(name), cast.patient.pk)
        with pytest.raises(PatientNotFound):
            access_patient_version(cast.actor(name), cast.patient.pk, 1)


def test_the_snapshot_is_encrypted_at_rest(cast):
    rename(cast, "Martin")
    with connection.cursor() as cursor:
        cursor.execute("SELECT snapshot FROM patients_patientversion")
        (raw,) = cursor.fetchone()
    assert b"LEF" not in bytes(raw)
    assert b"Jeanne" not in bytes(raw)


def test_an_identical_update_makes_no_version(cast):
    unchanged = dataclasses.replace(identity())
    do_update_patient(cast.actor("denise"), cast.patient, unchanged)
    assert version_of(cast.patient) == 2


def test_a_writer_naming_a_newer_version_than_it_read_gets_a_conflict(cast):
    stale = Patient.objects.get(pk=cast.patient.pk)
    rename(cast, "Martin")
    # It read version 2 but claims 3 (the current one): its data is older than 3.
    with pytest.raises(VersionConflict):
        do_update_patient(
            cast.actor("denise"), stale, identity(used_family_name="Durand"), expected_version=3
        )
    assert Patient.objects.get(pk=cast.patient.pk).used_family_name == "MARTIN"
