"""batch and transaction Bundles: a transaction is all or nothing; a batch
answers each entry on its own."""

from __future__ import annotations

import pytest

from hygie.audit.enums import AuditEventType
from hygie.audit.models import AuditEvent
from hygie.fhir.api.bundle_processing import process_bundle
from hygie.fhir.api.errors import FhirError
from hygie.patients.models import Patient

from .api_helpers import call_as, new_patient

pytestmark = pytest.mark.django_db


def post(resource, full_url: str = "") -> dict:
    entry = {"resource": resource, "request": {"method": "POST", "url": "Patient"}}
    if full_url:
        entry["fullUrl"] = full_url
    return entry


def bundle(kind: str, *entries: dict) -> dict:
    return {"resourceType": "Bundle", "type": kind, "entry": list(entries)}


def test_a_transaction_creates_all_its_entries(cast):
    answer = process_bundle(
        call_as(cast.actor("denise")),
        bundle(
            "transaction",
            post(new_patient(), "urn:uuid:8f0a5a2e-1c61-4b8e-9d7a-0f1b2c3d4e5f"),
            post(new_patient(birthDate="2001-02-03")),
            {"request": {"method": "GET", "url": f"Patient/{cast.patient.pk}"}},
        ),
    )
    assert answer["type"] == "transaction-response"
    statuses = [e["response"]["status"] for e in answer["entry"]]
    assert statuses == ["201 Created", "201 Created", "200 OK"]
    assert Patient.objects.count() == 3


def test_a_failing_entry_rolls_the_whole_transaction_back(cast):
    before = Patient.objects.count()
    with pytest.raises(FhirError) as refused:
        process_bundle(
            call_as(cast.actor("denise")),
            bundle("transaction", post(new_patient()), post(new_patient(gender="femme"))),
        )
    assert refused.value.status == 400
    assert refused.value.issues[0].expression == "Bundle.entry[1]"
    assert Patient.objects.count() == before
    # The rollback took the entries' audit along: the refusal itself is recorded.
    refusal = AuditEvent.objects.filter(event_type=AuditEventType.ACCESS_DENIED).latest("id")
    assert refusal.detail == {
        "transaction": True,
        "entry": 1,
        "status": 400,
        "method": "POST",
        "path": "Patient",
        "client_id": "test-client",
    }


def test_a_transaction_reading_a_patient_of_another_practice_fails_whole(cast):
    with pytest.raises(FhirError) as refused:
        process_bundle(
            call_as(cast.actor("carla")),
            bundle(
                "transaction",
                post(new_patient()),
                {"request": {"method": "GET", "url": f"Patient/{cast.patient.pk}"}},
            ),
        )
    assert refused.value.status == 404
    assert Patient.objects.count() == 1


def test_an_unresolved_urn_reference_is_refused(cast):
    orphan = new_patient(
        generalPractitioner=[{"reference": "urn:uuid:3c1e2f4a-0000-4000-8000-000000000001"}]
    )
    with pytest.raises(FhirError) as refused:
        process_bundle(call_as(cast.actor("denise")), bundle("transaction", post(orphan)))
    assert refused.value.status == 400
    assert Patient.objects.count() == 1


def test_a_batch_answers_each_entry_on_its_own(cast):
    answer = process_bundle(
        call_as(cast.actor("denise")),
        bundle("batch", post(new_patient()), post(new_patient(gender="femme"))),
    )
    assert answer["type"] == "batch-response"
    first, second = answer["entry"]
    assert first["response"]["status"] == "201 Created"
    assert second["response"]["status"] == "400"
    assert second["response"]["outcome"]["resourceType"] == "OperationOutcome"
    assert Patient.objects.count() == 2


def test_a_bundle_of_another_type_is_refused(cast):
    with pytest.raises(FhirError) as refused:
        process_bundle(call_as(cast.actor("denise")), bundle("collection", post(new_patient())))
    assert refused.value.status == 400


def test_a_bundle_entry_with_an_unknown_method_is_refused_before_anything_runs(cast):
    entry = {"resource": new_patient(), "request": {"method": "PATCH", "url": "Patient"}}
    with pytest.raises(FhirError):
        process_bundle(call_as(cast.actor("denise")), bundle("batch", post(new_patient()), entry))
    assert Patient.objects.count() == 1


def test_refused_reads_in_a_batch_are_each_audited(cast):
    denied = AuditEvent.objects.filter(event_type=AuditEventType.ACCESS_DENIED)
    before = denied.count()
    gets = [{"request": {"method": "GET", "url": f"Patient/{cast.patient.pk}"}} for _ in range(3)]
    answer = process_bundle(call_as(cast.actor("carla")), bundle("batch", *gets))
    assert [e["response"]["status"] for e in answer["entry"]] == ["404"] * 3
    assert denied.count() == before + 3


def test_a_bundle_whose_entries_are_not_objects_is_refused(cast):
    for entries in ([1], {"request": {}}):
        with pytest.raises(FhirError) as refused:
            process_bundle(
                call_as(cast.actor("denise")),
                {"resourceType": "Bundle", "type": "batch", "entry": entries},
            )
        assert refused.value.status == 400
