"""Observation through the FHIR interactions: who reads and searches what, the
criteria, paging, entries in error, $everything, and one audited read each time."""

from __future__ import annotations

import datetime as dt
import uuid
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.test import RequestFactory
from django.utils import timezone

from hygie.audit.enums import AuditEventType
from hygie.audit.models import AuditEvent
from hygie.clinical.actions import do_mark_observation_entered_in_error
from hygie.clinical.tests.vital_signs_support import child_of_alice, record
from hygie.core import clock
from hygie.fhir.api.capability import capability_statement
from hygie.fhir.api.errors import FhirError
from hygie.fhir.validation import validate_resource
from hygie.patients.actions import do_break_glass
from hygie.practices.context import as_system

from .api_helpers import BASE, call_as, run, status_of

pytestmark = pytest.mark.django_db

READ_SCOPE = "user/Observation.rs"


def clinical_reads(patient_id) -> int:
    return AuditEvent.objects.filter(
        event_type=AuditEventType.CLINICAL_READ, patient_id=patient_id
    ).count()


def search(call, patient, *criteria):
    query = [("patient", f"Patient/{patient.pk}"), *criteria]
    return run(call, "GET", "Observation", query=query).body


def codes(bundle) -> list[str]:
    return [e["resource"]["code"]["coding"][0]["code"] for e in bundle.get("entry", [])]


@pytest.fixture
def vitals(cast):
    return record(cast.actor("alice"), cast.patient.pk, weight="72,5", blood_pressure="12/8")


# Allowed


def test_the_treating_doctor_reads_an_observation_once_audited(cast, vitals):
    weight = vitals[0]
    before = clinical_reads(cast.patient.pk)
    result = run(call_as(cast.actor("alice"), READ_SCOPE), "GET", f"Observation/{weight.pk}")
    assert result.status == 200
    assert result.body["id"] == str(weight.pk)
    assert result.body["meta"]["versionId"] == "1"
    assert result.headers["ETag"] == 'W/"1"'
    assert clinical_reads(cast.patient.pk) == before + 1


def test_the_treating_doctor_searches_a_patient_once_audited(cast, vitals):
    before = clinical_reads(cast.patient.pk)
    bundle = search(call_as(cast.actor("alice"), READ_SCOPE), cast.patient)
    assert bundle["total"] == 2
    assert sorted(codes(bundle)) == ["29463-7", "85354-9"]
    assert clinical_reads(cast.patient.pk) == before + 1


def test_subject_names_the_patient_as_patient_does(cast, vitals):
    call = call_as(cast.actor("alice"), READ_SCOPE)
    bundle = run(call, "GET", "Observation", query=[("subject", f"Patient/{cast.patient.pk}")]).body
    assert bundle["total"] == 2


def test_a_backend_service_of_the_practice_reads_within_its_scope(cast, vitals):
    service = call_as(as_system(cast.practice_a, "apiclient:test"), "system/Observation.rs")
    assert search(service, cast.patient)["total"] == 2
    assert status_of(service, "GET", f"Observation/{vitals[0].pk}") == 200


def test_a_colleague_reads_after_breaking_the_glass(cast, vitals, mailoutbox):
    bob = cast.actor("bob")
    call = call_as(bob, READ_SCOPE)
    assert status_of(call, "GET", f"Observation/{vitals[0].pk}") == 404
    do_break_glass(bob, cast.patient, "Patiente vue en urgence, Dr Aubert absente")
    assert status_of(call, "GET", f"Observation/{vitals[0].pk}") == 200


# Denied


@pytest.mark.parametrize("name", ["bob", "carla", "denise", "ernest"])
def test_whoever_may_not_open_the_record_gets_the_answer_of_an_absent_one(cast, vitals, name):
    call = call_as(cast.actor(name), READ_SCOPE)
    absent = uuid.uuid4()
    with pytest.raises(FhirError) as refused:
        run(call, "GET", f"Observation/{vitals[0].pk}")
    with pytest.raises(FhirError) as unknown:
        run(call, "GET", f"Observation/{absent}")
    assert refused.value.status == unknown.value.status == 404
    assert refused.value.issues == unknown.value.issues
    with pytest.raises(FhirError) as refused:
        search(call, cast.patient)
    with pytest.raises(FhirError) as unknown:
        run(call, "GET", "Observation", query=[("patient", f"Patient/{absent}")])
    assert refused.value.status == unknown.value.status == 404
    assert refused.value.issues == unknown.value.issues


def test_refusals_are_recorded_and_no_read_is(cast, vitals):
    before = clinical_reads(cast.patient.pk)
    denied = AuditEvent.objects.filter(event_type=AuditEventType.ACCESS_DENIED).count()
    status_of(call_as(cast.actor("bob"), READ_SCOPE), "GET", f"Observation/{vitals[0].pk}")
    assert clinical_reads(cast.patient.pk) == before
    assert AuditEvent.objects.filter(event_type=AuditEventType.ACCESS_DENIED).count() == denied + 1


def test_a_token_without_an_observation_scope_is_refused(cast, vitals):
    call = call_as(cast.actor("alice"), "user/Patient.rs")
    assert status_of(call, "GET", f"Observation/{vitals[0].pk}") == 403
    with pytest.raises(FhirError) as refused:
        search(call, cast.patient)
    assert refused.value.status == 403


def test_observations_are_read_only_through_the_api(cast, vitals):
    call = call_as(cast.actor("alice"))
    body = run(call, "GET", f"Observation/{vitals[0].pk}").body
    assert status_of(call, "POST", "Observation", body) == 405
    assert status_of(call, "PUT", f"Observation/{vitals[0].pk}", body) == 405
    assert status_of(call, "DELETE", f"Observation/{vitals[0].pk}") == 405
    assert status_of(call, "GET", f"Observation/{vitals[0].pk}/_history") == 405


def test_a_patient_token_reaches_its_patient_and_no_other(cast, vitals):
    child = child_of_alice(cast, dt.date(2020, 5, 1))
    [child_weight] = record(cast.actor("alice"), child.pk, weight="18")
    call = call_as(cast.actor("alice"), "patient/Observation.rs launch/patient", cast.patient.pk)
    assert status_of(call, "GET", f"Observation/{vitals[0].pk}") == 200
    before = clinical_reads(child.pk)
    assert status_of(call, "GET", f"Observation/{child_weight.pk}") == 404
    with pytest.raises(FhirError) as refused:
        search(call, child)
    assert refused.value.status == 404
    assert clinical_reads(child.pk) == before
    # Without a patient criterion, the token's own patient.
    assert run(call, "GET", "Observation").body["total"] == 2


def test_a_search_names_one_patient(cast, vitals):
    call = call_as(cast.actor("alice"), READ_SCOPE)
    other = uuid.uuid4()
    for query in (
        [("code", "29463-7")],
        [("patient", f"Patient/{cast.patient.pk},Patient/{other}")],
        [("patient", str(cast.patient.pk)), ("subject", f"Patient/{other}")],
        [("patient", f"Group/{other}")],
    ):
        with pytest.raises(FhirError) as refused:
            run(call, "GET", "Observation", query=query)
        assert refused.value.status == 400, query


# Criteria


def test_code_filters_with_or_without_the_loinc_system(cast, vitals):
    call = call_as(cast.actor("alice"), READ_SCOPE)
    assert codes(search(call, cast.patient, ("code", "29463-7"))) == ["29463-7"]
    assert codes(search(call, cast.patient, ("code", "http://loinc.org|85354-9"))) == ["85354-9"]
    assert search(call, cast.patient, ("code", "http://snomed.info/sct|29463-7"))["total"] == 0
    both = search(call, cast.patient, ("code", "29463-7,85354-9"))
    assert both["total"] == 2


def test_category_separates_vital_signs_from_capillary_glucose(cast):
    record(cast.actor("alice"), cast.patient.pk, heart_rate="64", capillary_glucose="1,05")
    call = call_as(cast.actor("alice"), READ_SCOPE)
    lab = search(call, cast.patient, ("category", "laboratory"))
    assert codes(lab) == ["41653-7"]
    system = "http://terminology.hl7.org/CodeSystem/observation-category"
    assert codes(search(call, cast.patient, ("category", f"{system}|vital-signs"))) == ["8867-4"]


def test_date_takes_the_prefixes_of_fhir(cast):
    alice = cast.actor("alice")
    now = clock.now()
    days = {}
    for ago in (30, 10, 2):
        when = now - dt.timedelta(days=ago)
        record(alice, cast.patient.pk, effective=when, heart_rate=str(60 + ago))
        days[ago] = timezone.localdate(when).isoformat()
    call = call_as(alice, READ_SCOPE)

    def found(*values):
        bundle = search(call, cast.patient, *[("date", v) for v in values])
        return sorted(e["resource"]["valueQuantity"]["value"] for e in bundle.get("entry", []))

    assert found(days[10]) == [70]
    assert found(f"eq{days[10]}") == [70]
    assert found(f"ne{days[10]}") == [62, 90]
    assert found(f"lt{days[10]}") == [90]
    assert found(f"le{days[10]}") == [70, 90]
    assert found(f"gt{days[10]}") == [62]
    assert found(f"ge{days[10]}") == [62, 70]
    assert found(f"ge{days[30]}", f"lt{days[2]}") == [70, 90]
    assert found(f"{days[30]},{days[2]}") == [62, 90]
    with pytest.raises(FhirError) as refused:
        search(call, cast.patient, ("date", f"sa{days[10]}"))
    assert refused.value.status == 400


def test_sort_by_date_both_ways(cast):
    alice = cast.actor("alice")
    for ago in (3, 1, 2):
        record(alice, cast.patient.pk, ago=dt.timedelta(days=ago), heart_rate=str(60 + ago))
    call = call_as(alice, READ_SCOPE)

    def values(*criteria):
        bundle = search(call, cast.patient, *criteria)
        return [e["resource"]["valueQuantity"]["value"] for e in bundle["entry"]]

    assert values() == [61, 62, 63]  # newest first by default
    assert values(("_sort", "-date")) == [61, 62, 63]
    assert values(("_sort", "date")) == [63, 62, 61]


def test_paging_links_return_the_following_pages(cast):
    alice = cast.actor("alice")
    for ago in range(1, 6):
        record(alice, cast.patient.pk, ago=dt.timedelta(hours=ago), heart_rate=str(60 + ago))
    call = call_as(alice, READ_SCOPE)
    bundle = search(call, cast.patient, ("_count", "2"))
    assert bundle["total"] == 5
    seen = []
    pages = 0
    while True:
        pages += 1
        seen += [e["resource"]["id"] for e in bundle["entry"]]
        following = [link["url"] for link in bundle["link"] if link["relation"] == "next"]
        if not following:
            break
        url = urlsplit(following[0])
        assert url.path.endswith("/Observation")
        bundle = run(call, "GET", "Observation", query=parse_qsl(url.query)).body
    assert pages == 3
    assert len(set(seen)) == 5
    counted = search(call, cast.patient, ("_summary", "count"))
    assert counted["total"] == 5
    assert "entry" not in counted


def test_entries_in_error_are_left_out_unless_their_status_is_asked(cast, vitals):
    alice = cast.actor("alice")
    weight = vitals[0]
    do_mark_observation_entered_in_error(alice, weight.pk, "Mauvais patient sélectionné")
    call = call_as(alice, READ_SCOPE)
    assert codes(search(call, cast.patient)) == ["85354-9"]
    in_error = search(call, cast.patient, ("status", "entered-in-error"))
    assert [e["resource"]["id"] for e in in_error["entry"]] == [str(weight.pk)]
    both = search(call, cast.patient, ("status", "final,entered-in-error"))
    assert both["total"] == 2
    read = run(call, "GET", f"Observation/{weight.pk}")
    assert read.body["status"] == "entered-in-error"
    assert read.headers["ETag"] == 'W/"2"'
    with pytest.raises(FhirError) as refused:
        search(call, cast.patient, ("status", "validée"))
    assert refused.value.status == 400


def test_a_malformed_criterion_is_refused_before_the_record_is_opened(cast, vitals):
    before = clinical_reads(cast.patient.pk)
    call = call_as(cast.actor("alice"), READ_SCOPE)
    for criterion in [("date", "hier"), ("status", "fini"), ("code:text", "poids")]:
        with pytest.raises(FhirError) as refused:
            search(call, cast.patient, criterion)
        assert refused.value.status == 400
    assert clinical_reads(cast.patient.pk) == before


# Patient/$everything


def test_everything_includes_the_observations_in_error_too(cast, vitals):
    alice = cast.actor("alice")
    do_mark_observation_entered_in_error(alice, vitals[0].pk, "Mauvais patient sélectionné")
    before = clinical_reads(cast.patient.pk)
    bundle = run(call_as(alice), "GET", f"Patient/{cast.patient.pk}/$everything").body
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds == ["Patient", "Observation", "Observation"]
    statuses = {e["resource"]["status"] for e in bundle["entry"][1:]}
    assert statuses == {"final", "entered-in-error"}
    # One read per clinical section opened through its door (observations, allergies).
    assert clinical_reads(cast.patient.pk) == before + 2


@pytest.mark.parametrize(
    ("name", "scopes"),
    [("bob", "user/*.rs"), ("denise", "user/*.rs"), ("alice", "user/Patient.rs")],
)
def test_everything_leaves_observations_out_for_whom_they_are_closed(cast, vitals, name, scopes):
    before = clinical_reads(cast.patient.pk)
    denied = AuditEvent.objects.filter(event_type=AuditEventType.ACCESS_DENIED).count()
    call = call_as(cast.actor(name), scopes)
    bundle = run(call, "GET", f"Patient/{cast.patient.pk}/$everything").body
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == ["Patient"]
    assert clinical_reads(cast.patient.pk) == before
    assert AuditEvent.objects.filter(event_type=AuditEventType.ACCESS_DENIED).count() == denied


def test_the_capability_statement_lists_observation_read_and_search(cast):
    statement = capability_statement(RequestFactory().get("/fhir/R4/metadata"), BASE)
    validate_resource(statement, "CapabilityStatement")
    [observation] = [r for r in statement["rest"][0]["resource"] if r["type"] == "Observation"]
    assert {i["code"] for i in observation["interaction"]} == {"read", "search-type"}
    assert {p["name"] for p in observation["searchParam"]} == {
        "patient",
        "subject",
        "category",
        "code",
        "date",
        "status",
    }
    assert any("obligatoire" in p["documentation"] for p in observation["searchParam"])
    assert (
        "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-observation-bp|2.2.0"
        in observation["supportedProfile"]
    )


def test_a_subset_keeps_the_mandatory_elements(cast, vitals):
    call = call_as(cast.actor("alice"), READ_SCOPE)
    bundle = search(call, cast.patient, ("_elements", "valueQuantity"))
    for entry in bundle["entry"]:
        assert set(entry["resource"]) <= {"resourceType", "id", "meta", "status", "code",
                                          "valueQuantity"}  # fmt: skip
        assert {"status", "code"} <= set(entry["resource"])
        validate_resource(entry["resource"], "Observation")
