"""Organization, Practitioner, PractitionerRole and AuditEvent through the API:
one's own practice only; the audit log for its admins only."""

from __future__ import annotations

import pytest

from hygie.audit.enums import AuditEventType
from hygie.audit.models import AuditEvent
from hygie.fhir.validation import validate_resource

from .api_helpers import call_as, run, status_of

pytestmark = pytest.mark.django_db


def ids(bundle) -> set[str]:
    return {e["resource"]["id"] for e in bundle.get("entry", [])}


def test_members_read_their_practice_and_not_another(cast):
    alice = call_as(cast.actor("alice"))
    practice = run(alice, "GET", f"Organization/{cast.practice_a.pk}").body
    validate_resource(practice, "Organization")
    assert status_of(alice, "GET", f"Organization/{cast.practice_b.pk}") == 404
    assert ids(run(alice, "GET", "Organization").body) == {str(cast.practice_a.pk)}


def test_the_practitioner_directory_is_the_practice_s_own(cast):
    denise = call_as(cast.actor("denise"))
    alice = run(denise, "GET", f"Practitioner/{cast.alice.user.pk}").body
    validate_resource(alice, "Practitioner")
    assert alice["identifier"][0]["value"] == "8" + cast.alice.user.practitioner.rpps
    assert status_of(denise, "GET", f"Practitioner/{cast.carla.user.pk}") == 404
    found = run(denise, "GET", "Practitioner", query=[("family", "aub")]).body
    assert ids(found) == {str(cast.alice.user.pk)}
    rpps = f"https://rpps.esante.gouv.fr|{cast.alice.user.practitioner.rpps}"
    assert ids(run(denise, "GET", "Practitioner", query=[("identifier", rpps)]).body) == {
        str(cast.alice.user.pk)
    }


def test_practitioner_roles_say_who_is_still_there(cast):
    alice = call_as(cast.actor("alice"))
    role = run(alice, "GET", f"PractitionerRole/{cast.damien.pk}").body
    validate_resource(role, "PractitionerRole")
    assert role["active"] is False
    current = run(alice, "GET", "PractitionerRole", query=[("active", "true")]).body
    assert str(cast.damien.pk) not in ids(current)
    assert str(cast.alice.pk) in ids(current)
    assert status_of(alice, "GET", f"PractitionerRole/{cast.carla.pk}") == 404


def test_the_departed_doctor_reads_no_directory(cast):
    damien = call_as(cast.actor("damien"))
    assert status_of(damien, "GET", f"Practitioner/{cast.alice.user.pk}") == 403
    assert status_of(damien, "GET", "PractitionerRole") == 403


def test_only_practice_admins_read_the_audit_log_and_it_is_audited(cast):
    run(call_as(cast.actor("alice")), "GET", f"Patient/{cast.patient.pk}")
    ernest = call_as(cast.actor("ernest"))
    bundle = run(
        ernest, "GET", "AuditEvent", query=[("patient", f"Patient/{cast.patient.pk}")]
    ).body
    validate_resource(bundle, "Bundle")
    assert bundle["total"] >= 1
    event_id = bundle["entry"][0]["resource"]["id"]
    validate_resource(run(ernest, "GET", f"AuditEvent/{event_id}").body, "AuditEvent")
    assert AuditEvent.objects.filter(event_type=AuditEventType.AUDIT_LOG_VIEWED).count() == 2
    for name in ("alice", "denise", "carla"):
        assert status_of(call_as(cast.actor(name)), "GET", "AuditEvent") == 403


def test_another_practice_s_admin_cannot_read_an_event_of_this_one(cast):
    event = AuditEvent.objects.filter(practice_id=cast.practice_a.pk).latest("id")
    carla = call_as(cast.actor("carla"))
    assert status_of(carla, "GET", f"AuditEvent/{event.pk}") in (403, 404)


def test_a_patient_token_of_an_admin_reads_only_that_patient_s_events(cast):
    from hygie.fhir.api.errors import FhirError
    from hygie.patients.actions import do_create_patient
    from hygie.practices.context import as_system
    from tests.cast import identity

    other = do_create_patient(
        as_system(cast.practice_a, "test-setup"), identity(nir="", ins_oid="")
    )
    ernest = call_as(cast.actor("ernest"), "patient/AuditEvent.rs launch/patient", cast.patient.pk)
    mine = run(ernest, "GET", "AuditEvent").body
    assert {e["resource"]["entity"][0]["what"]["reference"] for e in mine["entry"]} >= {
        f"Patient/{cast.patient.pk}"
    }
    theirs = run(ernest, "GET", "AuditEvent", query=[("patient", f"Patient/{other.pk}")]).body
    assert theirs["total"] == 0
    event = AuditEvent.objects.filter(patient_id=other.pk).latest("id")
    with pytest.raises(FhirError) as refused:
        run(ernest, "GET", f"AuditEvent/{event.pk}")
    assert refused.value.status == 404
