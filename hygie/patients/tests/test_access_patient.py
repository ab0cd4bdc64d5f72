"""Who may read a patient, and that every read and refusal is audited."""

from __future__ import annotations

import uuid

import pytest

from hygie.audit.actions import reason_text
from hygie.audit.enums import AuditEventType, AuditOutcome
from hygie.audit.models import AuditEvent
from hygie.patients.access import (
    ClinicalAccessDenied,
    PatientNotFound,
    access_clinical_record,
    access_patient,
    search_patients,
)
from hygie.patients.actions import do_break_glass, do_restrict_access
from hygie.patients.models import Patient
from hygie.practices.context import as_system

pytestmark = pytest.mark.django_db


def last_event() -> AuditEvent:
    return AuditEvent.objects.order_by("-id").first()  # type: ignore[return-value]


def test_the_treating_doctor_reads_the_clinical_record_and_it_is_audited(cast):
    patient = access_clinical_record(cast.actor("alice"), cast.patient.pk)
    assert patient.birth_family_name == "LEFÈVRE"
    event = last_event()
    assert event.event_type == AuditEventType.CLINICAL_READ
    assert event.user_id == cast.alice.user.pk
    assert event.patient_id == cast.patient.pk
    assert event.outcome == AuditOutcome.SUCCESS


def test_a_colleague_without_care_relationship_sees_identity_but_must_break_the_glass(cast):
    bob = cast.actor("bob")
    assert access_patient(bob, cast.patient.pk).pk == cast.patient.pk
    with pytest.raises(ClinicalAccessDenied) as denied:
        access_clinical_record(bob, cast.patient.pk)
    assert denied.value.decision.can_break_glass
    assert last_event().event_type == AuditEventType.ACCESS_DENIED


def test_breaking_the_glass_opens_the_record_with_the_reason_audited(cast, mailoutbox):
    bob = cast.actor("bob")
    do_break_glass(bob, cast.patient, "Patient vu en urgence, Dr Aubert absente")
    event = last_event()
    assert event.event_type == AuditEventType.BREAK_GLASS
    assert reason_text(event) == "Patient vu en urgence, Dr Aubert absente"
    assert access_clinical_record(bob, cast.patient.pk).pk == cast.patient.pk
    assert last_event().purpose == "ETREAT"


def test_breaking_the_glass_notifies_the_practice_admins(cast, mailoutbox):
    cast.alice.is_admin = True
    cast.alice.save()
    do_break_glass(cast.actor("bob"), cast.patient, "Patient vu en urgence, Dr Aubert absente")
    assert [m.to for m in mailoutbox] == [["alice@a.test", "ernest@a.test"]] or sorted(
        mailoutbox[0].to
    ) == ["alice@a.test", "ernest@a.test"]
    assert "Patient vu en urgence" in mailoutbox[0].body


def test_breaking_the_glass_needs_a_real_reason(cast):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        do_break_glass(cast.actor("bob"), cast.patient, "urgence")


def test_an_assistant_sees_identity_but_never_clinical_content(cast):
    denise = cast.actor("denise")
    assert access_patient(denise, cast.patient.pk).pk == cast.patient.pk
    with pytest.raises(ClinicalAccessDenied) as denied:
        access_clinical_record(denise, cast.patient.pk)
    assert not denied.value.decision.can_break_glass


def test_an_assistant_cannot_break_the_glass(cast):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        do_break_glass(cast.actor("denise"), cast.patient, "Je voudrais voir le dossier")


def test_a_doctor_of_another_practice_gets_the_same_404_as_for_a_missing_patient(cast):
    carla = cast.actor("carla")
    with pytest.raises(PatientNotFound) as other:
        access_patient(carla, cast.patient.pk)
    with pytest.raises(PatientNotFound) as missing:
        access_patient(carla, uuid.uuid4())
    assert type(other.value) is type(missing.value)
    assert str(other.value) == str(missing.value)
    denial = last_event()
    assert denial.outcome == AuditOutcome.MINOR_FAILURE
    assert denial.practice_id == cast.practice_b.pk


def test_a_refusal_across_practices_is_audited_with_the_requested_id(cast):
    with pytest.raises(PatientNotFound):
        access_patient(cast.actor("carla"), cast.patient.pk)
    event = last_event()
    assert event.event_type == AuditEventType.ACCESS_DENIED
    assert event.entity_id == str(cast.patient.pk)
    # The patient of another practice is not linked into practice B's log.
    assert event.patient_id is None


def test_an_office_manager_sees_no_patient(cast):
    with pytest.raises(PatientNotFound):
        access_patient(cast.actor("ernest"), cast.patient.pk)


def test_a_departed_doctor_is_refused_even_with_a_former_care_relationship(cast):
    with pytest.raises(PatientNotFound):
        access_clinical_record(cast.actor("damien"), cast.patient.pk)


def test_a_patient_objection_overrides_the_treating_relationship_and_break_glass(cast):
    admin = cast.actor("alice")
    cast.alice.is_admin = True
    cast.alice.save()
    do_restrict_access(
        cast.actor("alice"), cast.patient, cast.bob.user, "Opposition du patient (voisin)"
    )
    bob = cast.actor("bob")
    with pytest.raises(PatientNotFound):
        access_patient(bob, cast.patient.pk)
    from django.core.exceptions import PermissionDenied

    with pytest.raises((PermissionDenied, PatientNotFound)):
        do_break_glass(bob, cast.patient, "Patient vu en urgence, Dr Aubert absente")
    # And an objection against the treating doctor wins over the relationship.
    do_restrict_access(
        cast.actor("alice"), cast.patient, cast.alice.user, "Le patient a changé de médecin"
    )
    with pytest.raises(PatientNotFound):
        access_clinical_record(admin, cast.patient.pk)


def test_a_malformed_id_is_a_404_not_an_error(cast):
    with pytest.raises(PatientNotFound):
        access_patient(cast.actor("alice"), "../../etc/passwd")


def test_search_finds_by_name_prefix_without_accents_and_audits_the_results(cast):
    results = search_patients(cast.actor("denise"), name="lefe")
    assert [p.pk for p in results] == [cast.patient.pk]
    search, shown = AuditEvent.objects.order_by("-id")[:2][::-1]
    assert search.event_type == AuditEventType.PATIENT_SEARCH
    assert search.detail["count"] == 1
    # Each patient shown is a read in their own access history.
    assert (shown.event_type, shown.patient_id) == (AuditEventType.PATIENT_READ, cast.patient.pk)


def test_search_never_crosses_practices(cast):
    assert search_patients(cast.actor("carla"), name="lefe") == []


def test_search_is_refused_to_the_office_manager(cast):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        search_patients(cast.actor("ernest"), name="lefe")


def test_a_system_job_reads_only_in_its_own_practice(cast):
    assert access_patient(as_system(cast.practice_a, "export"), cast.patient.pk)
    with pytest.raises(PatientNotFound):
        access_patient(as_system(cast.practice_b, "export"), cast.patient.pk)
    assert Patient.objects.count() == 1
