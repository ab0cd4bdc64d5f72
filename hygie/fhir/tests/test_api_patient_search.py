"""Searching patients through the FHIR API: parameters, paging, sorting, and
that a search shows no one the actor could not see."""

from __future__ import annotations

import dataclasses
import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from hygie.audit.enums import AuditEventType
from hygie.audit.models import AuditEvent
from hygie.patients.actions import do_create_patient, do_restrict_access
from hygie.patients.models import Patient
from hygie.practices.context import as_system
from tests.cast import identity

from .api_helpers import call_as, run, status_of

pytestmark = pytest.mark.django_db


def ids(bundle) -> list[str]:
    return [e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"]


def search(call, *params: tuple[str, str]):
    return run(call, "GET", "Patient", query=list(params)).body


def morels(cast, n: int) -> list[str]:
    setup = as_system(cast.practice_a, "test-setup")
    made = []
    for i in range(n):
        patient = do_create_patient(
            setup,
            identity(
                birth_family_name="Morel",
                birth_given_names="Camille",
                birth_date=dt.date(1990, 1, 1 + i),
                nir="",
                ins_oid="",
            ),
        )
        made.append(str(patient.pk))
    return made


def test_name_is_a_prefix_without_accents_or_case(cast):
    alice = call_as(cast.actor("alice"))
    for value in ("lefev", "LÉFÈV", "jean lef"):
        assert ids(search(alice, ("name", value))) == [str(cast.patient.pk)]
    assert ids(search(alice, ("name", "dupont"))) == []


def test_family_and_given_look_at_their_own_part_of_the_name(cast):
    alice = call_as(cast.actor("alice"))
    assert ids(search(alice, ("given", "jeanne"))) == [str(cast.patient.pk)]
    assert ids(search(alice, ("family", "jeanne"))) == []
    assert ids(search(alice, ("family", "lefevre"))) == [str(cast.patient.pk)]


def test_exact_is_the_whole_name_as_written(cast):
    alice = call_as(cast.actor("alice"))
    assert ids(search(alice, ("family:exact", "LEFÈVRE"))) == [str(cast.patient.pk)]
    assert ids(search(alice, ("family:exact", "Lefèvre"))) == []
    assert ids(search(alice, ("family:exact", "LEFÈV"))) == []


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ("1984-03-12", True),
        ("eq1984-03", True),
        ("1984", True),
        ("ne1984-03-12", False),
        ("lt1984-03-12", False),
        ("le1984-03-12", True),
        ("gt1984-03-11", True),
        ("ge1984-03-13", False),
        ("1985", False),
    ],
)
def test_birthdate_takes_the_prefixes_and_precisions(cast, value, found):
    bundle = search(call_as(cast.actor("alice")), ("name", "lefevre"), ("birthdate", value))
    assert ids(bundle) == ([str(cast.patient.pk)] if found else [])


def test_an_exact_birthdate_alone_is_enough_to_search(cast):
    bundle = search(call_as(cast.actor("denise")), ("birthdate", "1984-03-12"))
    assert ids(bundle) == [str(cast.patient.pk)]


def test_identifier_finds_by_ins_or_local_id(cast):
    alice = call_as(cast.actor("alice"))
    ins = "urn:oid:1.2.250.1.213.1.4.10|284037511200149"
    assert ids(search(alice, ("identifier", ins))) == [str(cast.patient.pk)]
    assert ids(search(alice, ("identifier", "urn:oid:1.2.250.1.213.1.4.8|284037511200149"))) == []
    local = f"urn:uuid:{cast.practice_a.pk}|{cast.patient.pk}"
    assert ids(search(alice, ("identifier", local))) == [str(cast.patient.pk)]
    assert ids(search(alice, ("_id", str(cast.patient.pk)))) == [str(cast.patient.pk)]


def test_general_practitioner_narrows_a_search(cast):
    alice = call_as(cast.actor("alice"))
    role = ("general-practitioner", f"PractitionerRole/{cast.alice.pk}")
    assert ids(search(alice, ("name", "lefevre"), role)) == [str(cast.patient.pk)]
    person = ("general-practitioner", f"Practitioner/{cast.alice.user.pk}")
    assert ids(search(alice, ("name", "lefevre"), person)) == [str(cast.patient.pk)]
    bob = ("general-practitioner", f"PractitionerRole/{cast.bob.pk}")
    assert ids(search(alice, ("name", "lefevre"), bob)) == []
    # Alone it would list a whole doctor's patients: not a search, refused.
    assert status_of(alice, "GET", "Patient", query=[role]) == 400


def test_gender_narrows_a_name_search(cast):
    alice = call_as(cast.actor("alice"))
    assert ids(search(alice, ("name", "lefevre"), ("gender", "female"))) == [str(cast.patient.pk)]
    assert ids(search(alice, ("name", "lefevre"), ("gender", "male"))) == []
    assert status_of(alice, "GET", "Patient", query=[("name", "x"), ("gender", "femme")]) == 400


def test_a_search_without_a_selective_criterion_is_refused(cast):
    alice = call_as(cast.actor("alice"))
    assert status_of(alice, "GET", "Patient", query=[("gender", "female")]) == 400
    assert status_of(alice, "GET", "Patient", query=[("birthdate", "ge1900")]) == 400


def test_paging_links_walk_the_whole_result_and_stay_valid(cast):
    made = morels(cast, 5)
    alice = call_as(cast.actor("alice"))
    first = search(alice, ("family", "morel"), ("_count", "2"), ("_sort", "birthdate"))
    assert first["total"] == 5
    seen = ids(first)
    links = {link["relation"]: link["url"] for link in first["link"]}
    assert "previous" not in links
    while "next" in links:
        query = [(k, v) for k, vs in parse_qs(urlsplit(links["next"]).query).items() for v in vs]
        page = search(alice, *query)
        seen += ids(page)
        links = {link["relation"]: link["url"] for link in page["link"]}
        assert "previous" in links
    assert seen == made  # in birth date order, each once


def test_sort_descending_and_by_family(cast):
    made = morels(cast, 3)
    alice = call_as(cast.actor("alice"))
    assert ids(search(alice, ("family", "morel"), ("_sort", "-birthdate"))) == made[::-1]
    setup = as_system(cast.practice_a, "test-setup")
    same_day = dict(birth_date=dt.date(1990, 1, 1), nir="", ins_oid="")
    zola = do_create_patient(setup, identity(birth_family_name="Zola", **same_day))
    abel = do_create_patient(setup, identity(birth_family_name="Abel", **same_day))
    by_family = search(alice, ("birthdate", "1990-01-01"), ("_sort", "family"))
    assert ids(by_family) == [str(abel.pk), made[0], str(zola.pk)]
    reverse = search(alice, ("birthdate", "1990-01-01"), ("_sort", "-family"))
    assert ids(reverse) == [str(zola.pk), made[0], str(abel.pk)]


def test_summary_count_gives_the_total_without_anyone(cast):
    morels(cast, 3)
    bundle = search(call_as(cast.actor("alice")), ("family", "morel"), ("_summary", "count"))
    assert bundle["total"] == 3
    assert "entry" not in bundle


def test_elements_keeps_only_what_was_asked(cast):
    bundle = search(call_as(cast.actor("alice")), ("name", "lefevre"), ("_elements", "name"))
    resource = bundle["entry"][0]["resource"]
    assert set(resource) == {"resourceType", "id", "meta", "name"}
    assert resource["meta"]["tag"][0]["code"] == "SUBSETTED"


def test_an_unknown_parameter_is_a_warning_unless_strict(cast):
    lenient = call_as(cast.actor("alice"))
    bundle = search(lenient, ("name", "lefevre"), ("colour", "blue"))
    outcome = [e for e in bundle["entry"] if e["search"]["mode"] == "outcome"]
    assert "colour" in outcome[0]["resource"]["issue"][0]["diagnostics"]
    strict = dataclasses.replace(lenient, strict=True)
    assert status_of(strict, "GET", "Patient", query=[("name", "lefevre"), ("colour", "b")]) == 400


def test_an_unknown_modifier_is_always_refused(cast):
    alice = call_as(cast.actor("alice"))
    assert status_of(alice, "GET", "Patient", query=[("name:contains", "fev")]) == 400


def test_an_objection_hides_the_patient_from_that_doctor_only(cast):
    do_restrict_access(cast.actor("ernest"), cast.patient, cast.bob.user, reason="refus")
    assert ids(search(call_as(cast.actor("bob")), ("name", "lefevre"))) == []
    assert ids(search(call_as(cast.actor("alice")), ("name", "lefevre"))) == [str(cast.patient.pk)]


def test_the_other_practice_finds_nobody(cast):
    assert ids(search(call_as(cast.actor("carla")), ("name", "lefevre"))) == []


def test_the_office_manager_may_not_search(cast):
    assert (
        status_of(call_as(cast.actor("ernest")), "GET", "Patient", query=[("name", "lef")]) == 403
    )


def test_a_search_is_audited_with_the_patients_it_returned(cast):
    morels(cast, 3)
    before = AuditEvent.objects.filter(event_type=AuditEventType.PATIENT_READ).count()
    search(call_as(cast.actor("alice")), ("family", "morel"), ("_count", "2"))
    event = AuditEvent.objects.filter(event_type=AuditEventType.PATIENT_SEARCH).latest("id")
    assert (event.detail["count"], event.detail["total"]) == (2, 3)
    reads = AuditEvent.objects.filter(event_type=AuditEventType.PATIENT_READ)
    assert reads.count() == before + 2  # the page's patients, each once


def test_last_updated_selects_by_the_time_of_the_last_change(cast):
    alice = call_as(cast.actor("alice"))
    changed = Patient.objects.get(pk=cast.patient.pk).updated_at
    day = timezone.localdate(changed).isoformat()  # a date is a day of Paris time
    name = ("name", "lefevre")
    assert ids(search(alice, name, ("_lastUpdated", day))) == [str(cast.patient.pk)]
    later = (changed + dt.timedelta(seconds=1)).isoformat()
    assert ids(search(alice, name, ("_lastUpdated", f"gt{later}"))) == []
    assert ids(search(alice, name, ("_lastUpdated", f"lt{later}"))) == [str(cast.patient.pk)]
    # Alone it would page through the practice: refused.
    assert status_of(alice, "GET", "Patient", query=[("_lastUpdated", "gt1900")]) == 400
    assert status_of(alice, "GET", "Patient", query=[("_lastUpdated", "2026-13-01")]) == 400
    assert status_of(alice, "GET", "Patient", query=[("_lastUpdated", "2026-01-01T10:00")]) == 400


def test_a_search_matching_too_many_records_must_be_narrowed(cast, settings):
    from hygie.fhir.api import patient as patient_api

    morels(cast, 4)
    alice = call_as(cast.actor("alice"))
    original = patient_api.MAX_RESULTS
    patient_api.MAX_RESULTS = 3
    try:
        assert status_of(alice, "GET", "Patient", query=[("family", "morel")]) == 400
        # Counting tells no one's identity: still answered.
        assert search(alice, ("family", "morel"), ("_summary", "count"))["total"] == 4
    finally:
        patient_api.MAX_RESULTS = original


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ([("name", ",".join(f"a{c}" for c in "bcdefghijklm"))], 400),
        ([("name", "lef"), ("_offset", "9223372036854775808")], 400),
        ([("name", "lef"), ("_offset", "٣")], 400),
        ([("name", "lef"), ("_lastUpdated", "ge9999-12-31")], 400),
        ([("name", "lef"), ("_lastUpdated", "le9999-12-31T23:59:59Z")], 400),
        ([("name", "lef"), ("_lastUpdated", "0001-01-01T00:00:00+01:00")], 400),
        ([("name", "lef"), ("birthdate", "9999-12")], 200),
        ([("name", "lef"), ("birthdate", "١٩٨٤")], 400),
    ],
)
def test_odd_input_is_answered_never_a_crash(cast, query, expected):
    assert status_of(call_as(cast.actor("alice")), "GET", "Patient", query=query) == expected
