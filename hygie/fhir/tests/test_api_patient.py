"""Patient through the FHIR interactions: who reads what, writes, versions,
deletion, and that every read is audited once."""

from __future__ import annotations

import datetime as dt

import pytest

from hygie.audit.enums import AuditEventType
from hygie.audit.models import AuditEvent
from hygie.core import clock
from hygie.fhir.api.errors import FhirError
from hygie.patients.actions import do_restrict_access
from hygie.patients.models import Patient
from hygie.practices.context import as_system

from .api_helpers import call_as, new_patient, run, status_of

pytestmark = pytest.mark.django_db

UNKNOWN = "00000000-0000-4000-8000-000000000000"


def version_of(patient_id) -> int:
    return Patient.objects.get(pk=patient_id).version


def reads_of(patient_id) -> int:
    return AuditEvent.objects.filter(
        event_type=AuditEventType.PATIENT_READ, patient_id=patient_id
    ).count()


def test_the_treating_doctor_reads_the_patient_once_audited(cast):
    before = reads_of(cast.patient.pk)
    result = run(call_as(cast.actor("alice")), "GET", f"Patient/{cast.patient.pk}")
    assert result.status == 200
    assert result.body["resourceType"] == "Patient"
    version = version_of(cast.patient.pk)
    assert result.body["meta"]["versionId"] == str(version)
    assert result.headers["ETag"] == f'W/"{version}"'
    assert reads_of(cast.patient.pk) == before + 1


@pytest.mark.parametrize("name", ["carla", "damien", "ernest"])
def test_whoever_may_not_see_the_patient_gets_the_answer_of_an_absent_one(cast, name):
    call = call_as(cast.actor(name))
    with pytest.raises(FhirError) as refused:
        run(call, "GET", f"Patient/{cast.patient.pk}")
    with pytest.raises(FhirError) as absent:
        run(call, "GET", f"Patient/{UNKNOWN}")
    assert refused.value.status == absent.value.status == 404
    assert refused.value.issues == absent.value.issues


def test_a_patient_token_reaches_its_patient_and_no_other(cast):
    other = run(call_as(cast.actor("alice")), "POST", "Patient", new_patient()).body
    call = call_as(cast.actor("alice"), "patient/Patient.rs launch/patient", cast.patient.pk)
    assert status_of(call, "GET", f"Patient/{cast.patient.pk}") == 200
    assert status_of(call, "GET", f"Patient/{other['id']}") == 404
    found = run(call, "GET", "Patient", query=[("name", "mor")]).body
    assert found["total"] == 0
    found = run(call, "GET", "Patient", query=[("name", "lef")]).body
    assert [e["resource"]["id"] for e in found["entry"]] == [str(cast.patient.pk)]


def test_a_read_only_scope_cannot_write(cast):
    call = call_as(cast.actor("alice"), "user/Patient.rs")
    assert status_of(call, "POST", "Patient", new_patient()) == 403
    current = run(call, "GET", f"Patient/{cast.patient.pk}").body
    assert status_of(call, "PUT", f"Patient/{cast.patient.pk}", current) == 403
    assert status_of(call, "DELETE", f"Patient/{cast.patient.pk}") == 403
    assert Patient.objects.count() == 1


def test_a_scope_for_another_type_opens_nothing_here(cast):
    call = call_as(cast.actor("alice"), "user/Observation.rs")
    assert status_of(call, "GET", f"Patient/{cast.patient.pk}") == 403


def test_create_answers_201_with_its_location_and_version(cast):
    result = run(call_as(cast.actor("denise")), "POST", "Patient", new_patient())
    assert result.status == 201
    assert result.headers["Location"].endswith(f"/Patient/{result.body['id']}/_history/1")
    assert result.body["name"][0]["family"] == "MOREL"


def test_conditional_create_returns_the_existing_match(cast):
    call = call_as(cast.actor("denise"))
    first = run(call, "POST", "Patient", new_patient()).body
    again = run(
        call, "POST", "Patient", new_patient(), if_none_exist="family=Morel&birthdate=1990-06-15"
    )
    assert again.status == 200
    assert again.body["id"] == first["id"]
    assert Patient.objects.count() == 2


def test_conditional_create_with_several_matches_is_refused(cast):
    call = call_as(cast.actor("denise"))
    run(call, "POST", "Patient", new_patient())
    run(call, "POST", "Patient", new_patient(birthDate="1991-01-01"))
    assert status_of(call, "POST", "Patient", new_patient(), if_none_exist="family=Morel") == 412
    assert Patient.objects.count() == 3


def test_a_binding_violation_is_refused_and_nothing_is_written(cast):
    call = call_as(cast.actor("denise"))
    with pytest.raises(FhirError) as refused:
        run(call, "POST", "Patient", new_patient(gender="femme"))
    assert refused.value.status == 400
    assert Patient.objects.count() == 1


def test_update_with_the_current_version_makes_the_next_one(cast):
    call = call_as(cast.actor("denise"))
    version = version_of(cast.patient.pk)
    current = run(call, "GET", f"Patient/{cast.patient.pk}").body
    current["telecom"] = [{"system": "phone", "value": "01 99 00 00 01"}]
    updated = run(call, "PUT", f"Patient/{cast.patient.pk}", current, if_match=version)
    assert updated.status == 200
    assert updated.body["meta"]["versionId"] == str(version + 1)


def test_update_with_a_stale_version_is_412_and_changes_nothing(cast):
    call = call_as(cast.actor("denise"))
    version = version_of(cast.patient.pk)
    current = run(call, "GET", f"Patient/{cast.patient.pk}").body
    current["telecom"] = [{"system": "phone", "value": "01 99 00 00 01"}]
    run(call, "PUT", f"Patient/{cast.patient.pk}", current, if_match=version)
    current["telecom"] = [{"system": "phone", "value": "01 99 00 00 02"}]
    stale = status_of(call, "PUT", f"Patient/{cast.patient.pk}", current, if_match=version)
    assert stale == 412
    assert Patient.objects.get(pk=cast.patient.pk).phone == "01 99 00 00 01"


def test_update_of_another_id_than_the_url_is_refused(cast):
    call = call_as(cast.actor("denise"))
    current = run(call, "GET", f"Patient/{cast.patient.pk}").body
    current["id"] = UNKNOWN
    assert status_of(call, "PUT", f"Patient/{cast.patient.pk}", current) == 400


def test_vread_and_history_give_the_old_versions(cast):
    call = call_as(cast.actor("alice"))
    version = version_of(cast.patient.pk)
    current = run(call, "GET", f"Patient/{cast.patient.pk}").body
    current["telecom"] = [{"system": "phone", "value": "01 99 00 00 01"}]
    run(call, "PUT", f"Patient/{cast.patient.pk}", current)
    old = run(call, "GET", f"Patient/{cast.patient.pk}/_history/{version}").body
    assert old["telecom"][0]["value"] == "01 99 00 12 34"
    assert status_of(call, "GET", f"Patient/{cast.patient.pk}/_history/99") == 404
    history = run(call, "GET", f"Patient/{cast.patient.pk}/_history").body
    assert history["type"] == "history"
    versions = [e["resource"]["meta"]["versionId"] for e in history["entry"]]
    assert versions == [str(v) for v in range(version + 1, 0, -1)]


def test_a_deleted_patient_answers_410_and_keeps_its_history(cast):
    call = call_as(cast.actor("denise"))
    assert run(call, "DELETE", f"Patient/{cast.patient.pk}").status == 204
    assert status_of(call, "GET", f"Patient/{cast.patient.pk}") == 410
    # Deleting again changes nothing and is not an error.
    assert status_of(call, "DELETE", f"Patient/{cast.patient.pk}") == 204
    history = run(call, "GET", f"Patient/{cast.patient.pk}/_history").body
    assert history["entry"][0]["request"]["method"] == "DELETE"
    # The other practice still cannot tell it from an absent patient.
    assert status_of(call_as(cast.actor("carla")), "GET", f"Patient/{cast.patient.pk}") == 404


def test_everything_returns_the_patient_record_as_a_bundle(cast):
    bundle = run(call_as(cast.actor("alice")), "GET", f"Patient/{cast.patient.pk}/$everything").body
    assert bundle["type"] == "searchset"
    assert bundle["entry"][0]["resource"]["id"] == str(cast.patient.pk)
    assert (
        status_of(call_as(cast.actor("carla")), "GET", f"Patient/{cast.patient.pk}/$everything")
        == 404
    )


def test_an_unknown_type_or_interaction_is_refused_plainly(cast):
    call = call_as(cast.actor("alice"))
    assert status_of(call, "GET", "Observation/1") == 404
    assert status_of(call, "PATCH", f"Patient/{cast.patient.pk}") == 405
    assert status_of(call, "GET", f"Patient/{cast.patient.pk}/$export") == 404


def test_type_history_lists_every_version_newest_first_and_pages(cast):
    denise = call_as(cast.actor("denise"))
    created = run(denise, "POST", "Patient", new_patient()).body
    created["telecom"] = [{"system": "phone", "value": "01 99 00 00 09"}]
    run(denise, "PUT", f"Patient/{created['id']}", created)
    since = (clock.now() - dt.timedelta(days=1)).isoformat()
    query = [("_since", since), ("_count", "2")]
    history = run(denise, "GET", "Patient/_history", query=query).body
    assert history["total"] == version_of(cast.patient.pk) + 2
    first_two = [(e["fullUrl"].rsplit("/", 1)[1], e["response"]["etag"]) for e in history["entry"]]
    assert first_two == [(created["id"], 'W/"2"'), (created["id"], 'W/"1"')]
    assert any(link["relation"] == "next" for link in history["link"])


def test_type_history_leaves_out_other_practices_and_objections(cast):
    recent = [("_since", (clock.now() - dt.timedelta(days=1)).isoformat())]
    carla = run(call_as(cast.actor("carla")), "GET", "Patient/_history", query=recent).body
    assert carla["total"] == 0
    do_restrict_access(cast.actor("ernest"), cast.patient, cast.bob.user, reason="refus")
    bob = run(call_as(cast.actor("bob")), "GET", "Patient/_history", query=recent).body
    assert bob["total"] == 0


def test_a_person_s_type_history_needs_a_recent_since(cast):
    alice = call_as(cast.actor("alice"))
    assert status_of(alice, "GET", "Patient/_history") == 400
    old = (clock.now() - dt.timedelta(days=30)).isoformat()
    assert status_of(alice, "GET", "Patient/_history", query=[("_since", old)]) == 400
    assert status_of(alice, "GET", "Patient/_history", query=[("_since", "lt2026-01-01")]) == 400
    # A service registered for the practice follows the whole history.
    service = call_as(as_system(cast.practice_a, "apiclient:test"), "system/Patient.rs")
    assert run(service, "GET", "Patient/_history").body["total"] >= 1


def test_writing_back_a_read_patient_keeps_the_ins_it_did_not_show(cast):
    # Not qualified: the INS is not sent (FR Core), so the client cannot send it back.
    call = call_as(cast.actor("denise"))
    current = run(call, "GET", f"Patient/{cast.patient.pk}").body
    assert all("1.2.250.1.213.1.4" not in i.get("system", "") for i in current["identifier"])
    current["telecom"] = [{"system": "phone", "value": "01 99 00 00 01"}]
    run(call, "PUT", f"Patient/{cast.patient.pk}", current)
    stored = Patient.objects.get(pk=cast.patient.pk)
    assert stored.nir == "284037511200149"
    assert stored.phone == "01 99 00 00 01"


def test_the_general_practitioner_cannot_be_changed_by_an_update(cast):
    call = call_as(cast.actor("denise"))
    current = run(call, "GET", f"Patient/{cast.patient.pk}").body
    current["generalPractitioner"] = [{"reference": f"PractitionerRole/{cast.bob.pk}"}]
    assert status_of(call, "PUT", f"Patient/{cast.patient.pk}", current) == 422
    assert Patient.objects.get(pk=cast.patient.pk).treating_practitioner_id == cast.alice.pk


def test_a_patient_created_with_a_general_practitioner_opens_to_that_doctor(cast):
    body = new_patient(generalPractitioner=[{"reference": f"PractitionerRole/{cast.bob.pk}"}])
    created = run(call_as(cast.actor("denise")), "POST", "Patient", body).body
    bob = call_as(cast.actor("bob"))
    assert run(bob, "GET", f"Patient/{created['id']}").body["generalPractitioner"] == [
        {"reference": f"PractitionerRole/{cast.bob.pk}"}
    ]
    foreign = new_patient(generalPractitioner=[{"reference": f"PractitionerRole/{cast.carla.pk}"}])
    assert status_of(call_as(cast.actor("denise")), "POST", "Patient", foreign) == 422


def test_a_patient_token_asking_for_another_patient_is_refused_and_audited(cast):
    call = call_as(cast.actor("alice"), "patient/Patient.rs launch/patient", cast.patient.pk)
    assert status_of(call, "GET", f"Patient/{UNKNOWN}") == 404
    refusal = AuditEvent.objects.filter(event_type=AuditEventType.ACCESS_DENIED).latest("id")
    assert refusal.entity_id == UNKNOWN
    assert refusal.detail["basis"] == "outside-launch-patient"


def test_an_unknown_version_is_audited_as_a_refusal_not_a_read(cast):
    alice = call_as(cast.actor("alice"))
    reads = AuditEvent.objects.filter(event_type=AuditEventType.PATIENT_READ).count()
    assert status_of(alice, "GET", f"Patient/{cast.patient.pk}/_history/99") == 404
    assert AuditEvent.objects.filter(event_type=AuditEventType.PATIENT_READ).count() == reads
    refusal = AuditEvent.objects.filter(event_type=AuditEventType.ACCESS_DENIED).latest("id")
    assert refusal.detail["basis"] == "not-found"


def test_a_departed_doctor_cannot_be_made_general_practitioner(cast):
    body = new_patient(generalPractitioner=[{"reference": f"PractitionerRole/{cast.damien.pk}"}])
    assert status_of(call_as(cast.actor("denise")), "POST", "Patient", body) == 422
    assert Patient.objects.count() == 1


def test_api_events_name_the_app_and_the_interaction(cast):
    run(call_as(cast.actor("alice")), "GET", f"Patient/{cast.patient.pk}")
    event = AuditEvent.objects.filter(event_type=AuditEventType.PATIENT_READ).latest("id")
    assert event.detail["interaction"] == "read"
    assert event.detail["client_id"] == "test-client"
