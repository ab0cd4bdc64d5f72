"""AllergyIntolerance through the FHIR interactions: who reads and searches what,
the criteria, paging, versions, entries in error, $everything, and one audited
read each time."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.test import RequestFactory

from hygie.audit.enums import AuditEventType
from hygie.audit.models import AuditEvent
from hygie.clinical.actions import (
    AllergyData,
    ReactionData,
    do_mark_allergy_entered_in_error,
    do_record_allergy,
    do_update_allergy,
)
from hygie.clinical.models import AllergyIntolerance
from hygie.clinical.tests.vital_signs_support import child_of_alice, record
from hygie.fhir.api.capability import capability_statement
from hygie.fhir.api.errors import FhirError
from hygie.fhir.validation import validate_resource
from hygie.patients.actions import do_break_glass
from hygie.practices.context import as_system

from .api_helpers import BASE, call_as, run, status_of

pytestmark = pytest.mark.django_db

READ_SCOPE = "user/AllergyIntolerance.rs"
ERREUR = "Allergie saisie dans le mauvais dossier"


def penicillins(**overrides: Any) -> AllergyData:
    values: dict[str, Any] = {
        "type": "allergy",
        "category": "medication",
        "substance": "Pénicillines",
        "atc_code": "J01C",
        "criticality": "high",
        "verification_status": "confirmed",
        "onset": "2015",
        "reactions": (ReactionData("Urticaire géante", "severe"),),
    }
    values.update(overrides)
    return AllergyData(**values)


def peanut(**overrides: Any) -> AllergyData:
    values: dict[str, Any] = {
        "type": "allergy",
        "category": "food",
        "substance": "Arachide",
        "criticality": "low",
    }
    values.update(overrides)
    return AllergyData(**values)


def clinical_reads(patient_id) -> int:
    return AuditEvent.objects.filter(
        event_type=AuditEventType.CLINICAL_READ, patient_id=patient_id
    ).count()


def denials() -> int:
    return AuditEvent.objects.filter(event_type=AuditEventType.ACCESS_DENIED).count()


def search(call, patient, *criteria):
    query = [("patient", f"Patient/{patient.pk}"), *criteria]
    return run(call, "GET", "AllergyIntolerance", query=query).body


def texts(bundle) -> list[str]:
    return [e["resource"]["code"]["text"] for e in bundle.get("entry", [])]


@pytest.fixture
def allergy(cast) -> AllergyIntolerance:
    return do_record_allergy(cast.actor("alice"), cast.patient.pk, penicillins())


# Allowed


def test_the_treating_doctor_reads_an_allergy_once_audited(cast, allergy):
    before = clinical_reads(cast.patient.pk)
    result = run(
        call_as(cast.actor("alice"), READ_SCOPE), "GET", f"AllergyIntolerance/{allergy.pk}"
    )
    assert result.status == 200
    assert result.body["id"] == str(allergy.pk)
    assert result.body["meta"]["versionId"] == "1"
    assert result.headers["ETag"] == 'W/"1"'
    assert clinical_reads(cast.patient.pk) == before + 1


def test_the_treating_doctor_searches_a_patient_once_audited(cast, allergy):
    do_record_allergy(cast.actor("alice"), cast.patient.pk, peanut())
    before = clinical_reads(cast.patient.pk)
    bundle = search(call_as(cast.actor("alice"), READ_SCOPE), cast.patient)
    assert bundle["total"] == 2
    assert texts(bundle) == ["Pénicillines", "Arachide"]  # high criticality first
    assert clinical_reads(cast.patient.pk) == before + 1


def test_subject_names_the_patient_as_patient_does(cast, allergy):
    call = call_as(cast.actor("alice"), READ_SCOPE)
    query = [("subject", f"Patient/{cast.patient.pk}")]
    assert run(call, "GET", "AllergyIntolerance", query=query).body["total"] == 1


def test_a_backend_service_of_the_practice_reads_within_its_scope(cast, allergy):
    service = call_as(as_system(cast.practice_a, "apiclient:test"), "system/AllergyIntolerance.rs")
    assert search(service, cast.patient)["total"] == 1
    assert status_of(service, "GET", f"AllergyIntolerance/{allergy.pk}") == 200


def test_a_colleague_reads_after_breaking_the_glass(cast, allergy, mailoutbox):
    bob = cast.actor("bob")
    call = call_as(bob, READ_SCOPE)
    assert status_of(call, "GET", f"AllergyIntolerance/{allergy.pk}") == 404
    do_break_glass(bob, cast.patient, "Patiente vue en urgence, Dr Aubert absente")
    assert status_of(call, "GET", f"AllergyIntolerance/{allergy.pk}") == 200


# Denied


@pytest.mark.parametrize("name", ["bob", "carla", "denise", "damien", "ernest"])
def test_whoever_may_not_open_the_record_gets_the_answer_of_an_absent_one(cast, allergy, name):
    call = call_as(cast.actor(name), READ_SCOPE)
    absent = uuid.uuid4()
    for path in (f"AllergyIntolerance/{allergy.pk}", f"AllergyIntolerance/{allergy.pk}/_history"):
        with pytest.raises(FhirError) as refused:
            run(call, "GET", path)
        with pytest.raises(FhirError) as unknown:
            run(call, "GET", path.replace(str(allergy.pk), str(absent)))
        assert refused.value.status == unknown.value.status == 404
        assert refused.value.issues == unknown.value.issues
    with pytest.raises(FhirError) as refused:
        search(call, cast.patient)
    with pytest.raises(FhirError) as unknown:
        run(call, "GET", "AllergyIntolerance", query=[("patient", f"Patient/{absent}")])
    assert refused.value.status == unknown.value.status == 404
    assert refused.value.issues == unknown.value.issues


def test_refusals_are_recorded_and_no_read_is(cast, allergy):
    before = clinical_reads(cast.patient.pk)
    denied = denials()
    call = call_as(cast.actor("bob"), READ_SCOPE)
    status_of(call, "GET", f"AllergyIntolerance/{allergy.pk}")
    assert clinical_reads(cast.patient.pk) == before
    assert denials() == denied + 1


def test_a_token_without_an_allergy_scope_is_refused(cast, allergy):
    call = call_as(cast.actor("alice"), "user/Observation.rs")
    assert status_of(call, "GET", f"AllergyIntolerance/{allergy.pk}") == 403
    assert status_of(call, "GET", f"AllergyIntolerance/{allergy.pk}/_history") == 403
    with pytest.raises(FhirError) as refused:
        search(call, cast.patient)
    assert refused.value.status == 403


def test_allergies_are_read_only_through_the_api(cast, allergy):
    call = call_as(cast.actor("alice"))
    body = run(call, "GET", f"AllergyIntolerance/{allergy.pk}").body
    assert status_of(call, "POST", "AllergyIntolerance", body) == 405
    assert status_of(call, "PUT", f"AllergyIntolerance/{allergy.pk}", body) == 405
    assert status_of(call, "DELETE", f"AllergyIntolerance/{allergy.pk}") == 405
    assert status_of(call, "GET", "AllergyIntolerance/_history") == 405
    assert AllergyIntolerance.objects.count() == 1


def test_a_patient_token_reaches_its_patient_and_no_other(cast, allergy):
    child = child_of_alice(cast, dt.date(2020, 5, 1))
    childs = do_record_allergy(cast.actor("alice"), child.pk, peanut())
    call = call_as(
        cast.actor("alice"), "patient/AllergyIntolerance.rs launch/patient", cast.patient.pk
    )
    before = clinical_reads(cast.patient.pk)
    assert status_of(call, "GET", f"AllergyIntolerance/{allergy.pk}") == 200
    assert clinical_reads(cast.patient.pk) == before + 1
    before_child = clinical_reads(child.pk)
    for path in (
        f"AllergyIntolerance/{childs.pk}",
        f"AllergyIntolerance/{childs.pk}/_history",
        f"AllergyIntolerance/{childs.pk}/_history/1",
    ):
        assert status_of(call, "GET", path) == 404, path
    with pytest.raises(FhirError) as refused:
        search(call, child)
    assert refused.value.status == 404
    assert clinical_reads(child.pk) == before_child
    # Without a patient criterion, the token's own patient.
    assert run(call, "GET", "AllergyIntolerance").body["total"] == 1
    assert status_of(call, "GET", f"AllergyIntolerance/{allergy.pk}/_history/1") == 200


def test_a_search_names_one_patient(cast, allergy):
    call = call_as(cast.actor("alice"), READ_SCOPE)
    other = uuid.uuid4()
    for query in (
        [("category", "medication")],
        [("patient", f"Patient/{cast.patient.pk},Patient/{other}")],
        [("patient", str(cast.patient.pk)), ("subject", f"Patient/{other}")],
        [("patient", f"Group/{other}")],
    ):
        with pytest.raises(FhirError) as refused:
            run(call, "GET", "AllergyIntolerance", query=query)
        assert refused.value.status == 400, query


# Versions


def test_history_and_vread_return_each_version_as_it_was(cast, allergy):
    alice = cast.actor("alice")
    do_update_allergy(alice, allergy.pk, penicillins(criticality="low"), expected_version=1)
    call = call_as(alice, READ_SCOPE)
    before = clinical_reads(cast.patient.pk)
    history = run(call, "GET", f"AllergyIntolerance/{allergy.pk}/_history").body
    assert clinical_reads(cast.patient.pk) == before + 1
    assert history["type"] == "history"
    versions = [e["resource"]["meta"]["versionId"] for e in history["entry"]]
    assert versions == ["2", "1"]
    assert [e["resource"]["criticality"] for e in history["entry"]] == ["low", "high"]
    first = run(call, "GET", f"AllergyIntolerance/{allergy.pk}/_history/1")
    assert first.body["criticality"] == "high"
    assert first.headers["ETag"] == 'W/"1"'
    assert status_of(call, "GET", f"AllergyIntolerance/{allergy.pk}/_history/3") == 404


# Statuses


def test_a_search_returns_every_status_but_entries_in_error_unless_asked(cast, allergy):
    alice = cast.actor("alice")
    resolved = do_record_allergy(alice, cast.patient.pk, peanut(clinical_status="resolved"))
    refuted = do_record_allergy(
        alice,
        cast.patient.pk,
        peanut(substance="Latex", category="environment", verification_status="refuted"),
    )
    wrong = do_record_allergy(alice, cast.patient.pk, peanut(substance="Kiwi"))
    do_mark_allergy_entered_in_error(alice, wrong.pk, ERREUR)
    call = call_as(alice, READ_SCOPE)
    everything_but_errors = search(call, cast.patient)
    assert {e["resource"]["id"] for e in everything_but_errors["entry"]} == {
        str(allergy.pk),
        str(resolved.pk),
        str(refuted.pk),
    }
    in_error = search(call, cast.patient, ("verification-status", "entered-in-error"))
    assert [e["resource"]["id"] for e in in_error["entry"]] == [str(wrong.pk)]
    both = search(call, cast.patient, ("verification-status", "confirmed,entered-in-error"))
    assert both["total"] == 2
    active = search(call, cast.patient, ("clinical-status", "active"))
    assert {e["resource"]["id"] for e in active["entry"]} == {str(allergy.pk), str(refuted.pk)}
    read = run(call, "GET", f"AllergyIntolerance/{wrong.pk}")
    assert read.body["verificationStatus"]["coding"][0]["code"] == "entered-in-error"
    assert read.headers["ETag"] == 'W/"2"'


# Criteria


def test_token_criteria_filter_with_or_without_their_system(cast, allergy):
    alice = cast.actor("alice")
    do_record_allergy(alice, cast.patient.pk, peanut(type="intolerance"))
    do_record_allergy(
        alice, cast.patient.pk,
        penicillins(substance="Amoxicilline", atc_code="J01CA04", criticality="unable-to-assess"),
    )  # fmt: skip
    call = call_as(alice, READ_SCOPE)

    def found(*criteria):
        return sorted(texts(search(call, cast.patient, *criteria)))

    assert found(("category", "food")) == ["Arachide"]
    assert found(("category", "http://hl7.org/fhir/allergy-intolerance-category|medication")) == [
        "Amoxicilline",
        "Pénicillines",
    ]
    assert found(("category", "http://snomed.info/sct|food")) == []
    assert found(("criticality", "high,low")) == ["Arachide", "Pénicillines"]
    assert found(("criticality", "unable-to-assess")) == ["Amoxicilline"]
    assert found(("type", "intolerance")) == ["Arachide"]
    clinical = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
    assert len(found(("clinical-status", f"{clinical}|active"))) == 3
    assert found(("category", "medication"), ("criticality", "high")) == ["Pénicillines"]


def test_code_matches_the_stored_atc_code_exactly(cast, allergy):
    do_record_allergy(
        cast.actor("alice"),
        cast.patient.pk,
        penicillins(substance="Amoxicilline", atc_code="J01CA04"),
    )
    call = call_as(cast.actor("alice"), READ_SCOPE)
    assert texts(search(call, cast.patient, ("code", "http://www.whocc.no/atc|J01C"))) == [
        "Pénicillines"
    ]
    assert texts(search(call, cast.patient, ("code", "j01ca04"))) == ["Amoxicilline"]
    assert search(call, cast.patient, ("code", "http://snomed.info/sct|J01C"))["total"] == 0
    assert search(call, cast.patient, ("code", "J01"))["total"] == 0
    assert search(call, cast.patient, ("code", "J01C,J01CA04"))["total"] == 2


def test_paging_links_return_the_following_pages(cast):
    alice = cast.actor("alice")
    for substance in ("Arachide", "Noisette", "Kiwi", "Lait", "Œuf"):
        do_record_allergy(alice, cast.patient.pk, peanut(substance=substance))
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
        assert url.path.endswith("/AllergyIntolerance")
        bundle = run(call, "GET", "AllergyIntolerance", query=parse_qsl(url.query)).body
    assert pages == 3
    assert len(set(seen)) == 5
    counted = search(call, cast.patient, ("_summary", "count"))
    assert counted["total"] == 5
    assert "entry" not in counted


def test_a_malformed_criterion_is_refused_before_the_record_is_opened(cast, allergy):
    before = clinical_reads(cast.patient.pk)
    call = call_as(cast.actor("alice"), READ_SCOPE)
    for criterion in [
        ("clinical-status", "actif"),
        ("verification-status", "certaine"),
        ("criticality", "élevée"),
        ("category", "médicament"),
        ("type", "allergie"),
        ("code:below", "J01"),
    ]:
        with pytest.raises(FhirError) as refused:
            search(call, cast.patient, criterion)
        assert refused.value.status == 400, criterion
    assert clinical_reads(cast.patient.pk) == before


def test_a_subset_keeps_the_mandatory_and_modifier_elements(cast, allergy):
    call = call_as(cast.actor("alice"), READ_SCOPE)
    bundle = search(call, cast.patient, ("_elements", "code"))
    for entry in bundle["entry"]:
        assert set(entry["resource"]) == {"resourceType", "id", "meta", "code", "patient",
                                          "clinicalStatus", "verificationStatus"}  # fmt: skip
        validate_resource(entry["resource"], "AllergyIntolerance")


# Patient/$everything


def test_everything_includes_every_allergy_entries_in_error_too(cast, allergy):
    alice = cast.actor("alice")
    wrong = do_record_allergy(alice, cast.patient.pk, peanut())
    do_mark_allergy_entered_in_error(alice, wrong.pk, ERREUR)
    before = clinical_reads(cast.patient.pk)
    bundle = run(call_as(alice), "GET", f"Patient/{cast.patient.pk}/$everything").body
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds == ["Patient", "AllergyIntolerance", "AllergyIntolerance"]
    statuses = {
        e["resource"]["verificationStatus"]["coding"][0]["code"] for e in bundle["entry"][1:]
    }
    assert statuses == {"confirmed", "entered-in-error"}
    # One read per section door: the vital signs', the allergies'.
    assert clinical_reads(cast.patient.pk) == before + 2


def test_everything_with_only_the_allergy_scope_reads_the_record_once(cast, allergy):
    before = clinical_reads(cast.patient.pk)
    call = call_as(cast.actor("alice"), "user/Patient.rs user/AllergyIntolerance.rs")
    bundle = run(call, "GET", f"Patient/{cast.patient.pk}/$everything").body
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds == ["Patient", "AllergyIntolerance"]
    assert clinical_reads(cast.patient.pk) == before + 1


@pytest.mark.parametrize(
    ("name", "scopes"),
    [("bob", "user/*.rs"), ("denise", "user/*.rs"), ("alice", "user/Patient.rs")],
)
def test_everything_leaves_allergies_out_for_whom_they_are_closed(cast, allergy, name, scopes):
    record(cast.actor("alice"), cast.patient.pk, weight="72,5")
    before = clinical_reads(cast.patient.pk)
    denied = denials()
    call = call_as(cast.actor(name), scopes)
    bundle = run(call, "GET", f"Patient/{cast.patient.pk}/$everything").body
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == ["Patient"]
    assert clinical_reads(cast.patient.pk) == before
    assert denials() == denied


def test_the_capability_statement_lists_allergy_read_history_and_search(cast):
    statement = capability_statement(RequestFactory().get("/fhir/R4/metadata"), BASE)
    validate_resource(statement, "CapabilityStatement")
    [resource] = [r for r in statement["rest"][0]["resource"] if r["type"] == "AllergyIntolerance"]
    assert {i["code"] for i in resource["interaction"]} == {
        "read",
        "vread",
        "history-instance",
        "search-type",
    }
    assert resource["readHistory"] is True
    assert {p["name"] for p in resource["searchParam"]} == {
        "patient",
        "subject",
        "clinical-status",
        "verification-status",
        "category",
        "criticality",
        "type",
        "code",
    }
    assert any("obligatoire" in p["documentation"] for p in resource["searchParam"])
    assert "supportedProfile" not in resource
