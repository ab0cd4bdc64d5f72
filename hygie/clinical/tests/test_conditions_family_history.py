"""Family history (FHIR FamilyMemberHistory): who may record, correct, mark and
read what the patient's relatives had; what is accepted and refused; versions,
conflicts and entered-in-error; encryption at rest; one audit event per action
and per read, never the conditions."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hygie.audit.actions import reason_text
from hygie.audit.enums import AuditAction, AuditEventType, AuditOutcome, PurposeOfUse
from hygie.clinical.access import (
    FamilyHistoryNotFound,
    access_family_history,
    access_family_history_entry,
    access_family_history_entry_versions,
)
from hygie.clinical.actions import (
    FamilyConditionData,
    FamilyHistoryData,
    FamilyHistoryVersionConflict,
    do_mark_family_history_entered_in_error,
    do_record_family_history,
    do_update_family_history,
)
from hygie.clinical.models import FamilyMemberHistory, FamilyMemberHistoryVersion
from hygie.patients.access import ClinicalAccessDenied, PatientNotFound
from hygie.patients.actions import do_break_glass
from hygie.terminology.models import Cim10Code

# The real CIM-10, loaded once for this module (a fixture: pytest finds it by name).
from hygie.terminology.tests.conftest import cim10  # noqa: F401

from .vital_signs_support import events_after, last_event_id

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("cim10")]

URGENCE = "Patiente vue en urgence, Dr Aubert absente"
ERREUR = "Antécédent familial du mauvais dossier"
SECRETS = ("C50", "sein", "Sein", "I21", "Infarctus", "infarctus", "BRCA", "MTH", "FTH")
BREAST_CANCER = "Tumeur maligne du sein, sans précision"


def mother(**overrides: Any) -> FamilyHistoryData:
    values: dict[str, Any] = {
        "relationship": "MTH",
        "deceased": True,
        "conditions": (
            FamilyConditionData(
                code="C50.9",
                text="Cancer du sein, BRCA1",
                onset_age="45",
                contributed_to_death=True,
            ),
        ),
        "note": "Dépistage génétique proposé",
    }
    values.update(overrides)
    return FamilyHistoryData(**values)


def _shows_no_secret(event: Any) -> None:
    shown = f"{event.detail} {event.reason} {event.entity_type}"
    for secret in SECRETS:
        assert secret not in shown


def test_the_treating_doctor_records_a_relatives_history_and_reads_it_back(cast):
    alice = cast.actor("alice")
    before = last_event_id()
    recorded = do_record_family_history(alice, cast.patient.pk, mother())
    [write] = events_after(before)
    assert (write.event_type, write.action) == (AuditEventType.CLINICAL_WRITE, AuditAction.CREATE)
    assert write.entity_type == "FamilyMemberHistory"
    # Nothing of the relative nor of what they had: the log is in clear.
    assert write.detail == {"section": "family-history", "version": 1, "basis": "care-relationship"}
    _shows_no_secret(write)
    [read] = access_family_history(alice, cast.patient.pk)
    assert read.pk == recorded.pk
    assert (read.relationship, read.status, read.deceased) == ("MTH", "completed", True)
    assert read.conditions == [
        {
            "code": "C50.9",
            "code_label": BREAST_CANCER,
            "text": "Cancer du sein, BRCA1",
            "onset_age": 45,
            "contributed_to_death": True,
        }
    ]
    assert access_family_history_entry(alice, recorded.pk).note == "Dépistage génétique proposé"


READS = {
    "list": lambda actor, entry: access_family_history(actor, entry.patient_id),
    "one": lambda actor, entry: access_family_history_entry(actor, entry.pk),
    "versions": lambda actor, entry: access_family_history_entry_versions(actor, entry.pk),
}


@pytest.mark.parametrize("read", READS)
def test_each_read_is_one_clinical_read_event(cast, read):
    alice = cast.actor("alice")
    entry = do_record_family_history(alice, cast.patient.pk, mother())
    before = last_event_id()
    assert READS[read](alice, entry)
    [event] = events_after(before)
    assert event.event_type == AuditEventType.CLINICAL_READ
    assert event.patient_id == cast.patient.pk


def test_a_colleague_may_record_after_breaking_the_glass(cast, mailoutbox):
    bob = cast.actor("bob")
    do_break_glass(bob, cast.patient, URGENCE)
    before = last_event_id()
    entry = do_record_family_history(bob, cast.patient.pk, mother())
    [write] = events_after(before)
    assert write.purpose == PurposeOfUse.ETREAT
    assert reason_text(write) == URGENCE
    assert [e.pk for e in access_family_history(bob, cast.patient.pk)] == [entry.pk]


REFUSED = [
    ("bob", ClinicalAccessDenied),
    ("denise", ClinicalAccessDenied),
    ("carla", PatientNotFound),
    ("damien", PatientNotFound),
    ("ernest", PatientNotFound),
]
OUTSIDE = [who for who, _ in REFUSED]


@pytest.mark.parametrize(("who", "refusal"), REFUSED)
def test_a_refused_actor_records_and_reads_nothing_and_each_refusal_is_audited(cast, who, refusal):
    entry = do_record_family_history(cast.actor("alice"), cast.patient.pk, mother())
    before = last_event_id()
    with pytest.raises(refusal):
        do_record_family_history(cast.actor(who), cast.patient.pk, mother(relationship="FTH"))
    assert FamilyMemberHistory.objects.count() == 1
    with pytest.raises(refusal):
        READS["list"](cast.actor(who), entry)
    create, read = events_after(before)
    assert (create.event_type, create.action) == (AuditEventType.ACCESS_DENIED, "C")
    assert create.detail["section"] == "family-history"
    assert (read.event_type, read.outcome) == (
        AuditEventType.ACCESS_DENIED,
        AuditOutcome.MINOR_FAILURE,
    )


@pytest.mark.parametrize("who", OUTSIDE)
@pytest.mark.parametrize("door", ["update", "mark", "one", "versions"])
def test_outside_the_record_an_entry_id_is_a_404_and_nothing_changes(cast, who, door):
    entry = do_record_family_history(cast.actor("alice"), cast.patient.pk, mother())
    actor = cast.actor(who)
    before = last_event_id()
    with pytest.raises(FamilyHistoryNotFound):
        if door == "update":
            do_update_family_history(actor, entry.pk, mother(deceased=None), expected_version=1)
        elif door == "mark":
            do_mark_family_history_entered_in_error(actor, entry.pk, ERREUR)
        else:
            READS[door](actor, entry)
    stored = FamilyMemberHistory.objects.get(pk=entry.pk)
    assert (stored.version, stored.status, stored.deceased) == (1, "completed", True)
    assert not FamilyMemberHistoryVersion.objects.exists()
    [event] = events_after(before)
    assert event.event_type == AuditEventType.ACCESS_DENIED
    assert event.outcome == AuditOutcome.MINOR_FAILURE


def test_another_practice_gets_the_same_answer_as_for_an_absent_entry(cast):
    entry = do_record_family_history(cast.actor("alice"), cast.patient.pk, mother())
    carla = cast.actor("carla")
    answers = []
    for entry_id in (entry.pk, uuid.uuid4(), "not-an-id"):
        with pytest.raises(PatientNotFound) as raised:
            access_family_history_entry(carla, entry_id)
        answers.append(raised.value)
    assert {type(a) for a in answers} == {FamilyHistoryNotFound}


def test_every_error_is_reported_at_once_and_nothing_is_written(cast):
    before = last_event_id()
    with pytest.raises(ValidationError) as raised:
        do_record_family_history(
            cast.actor("alice"),
            cast.patient.pk,
            FamilyHistoryData(
                relationship="",
                status="health-unknown",
                deceased=False,
                conditions=(
                    FamilyConditionData(code="U99.9"),
                    FamilyConditionData(code="C50", onset_age="quarante"),
                    FamilyConditionData(text="Infarctus", contributed_to_death=True),
                    FamilyConditionData(code="A90", onset_age="131"),
                ),
                note="x" * 2001,
            ),
        )
    assert {
        f: [(e.code, " ".join(e.messages)) for e in errors]
        for f, errors in raised.value.error_dict.items()
    } == {
        "relationship": [("required", "Indiquez le lien de parenté.")],
        "status": [("health-unknown", "Un état de santé inconnu ne va pas avec des affections.")],
        "conditions": [
            (
                "unknown-code",
                "Affection 1 : Code CIM-10 inconnu : « U99.9 » ; cherchez-le par son libellé",
            ),
            (
                "not-selectable",
                "Affection 2 : Le code CIM-10 « C50 » (Tumeur maligne du sein) est subdivisé : "
                "choisissez l'une de ses subdivisions, plus précise.",
            ),
            ("invalid", "Affection 2 : l'âge au début est un nombre d'années, de 0 à 130."),
            (
                "not-deceased",
                "Affection 3 : une affection n'a pu causer le décès que d'un parent décédé.",
            ),
            (
                "withdrawn-code",
                "Affection 4 : Le code CIM-10 « A90 » a été supprimé en 2017 : cherchez le "
                "code actuel par son libellé.",
            ),
            ("invalid", "Affection 4 : l'âge au début est un nombre d'années, de 0 à 130."),
        ],
        "note": [("too-long", "La note tient en 2000 caractères au plus.")],
    }
    assert not FamilyMemberHistory.objects.exists()
    assert events_after(before) == []


def test_a_relatives_condition_may_predate_the_patients_birth(cast):
    # The patient was born in 1984; her grandfather's infarction at 50 was earlier.
    entry = do_record_family_history(
        cast.actor("alice"),
        cast.patient.pk,
        FamilyHistoryData(
            relationship="PGRFTH",
            conditions=(FamilyConditionData(code="i2190", onset_age="50"),),
        ),
    )
    [condition] = entry.conditions
    assert (condition["code"], condition["onset_age"], condition["text"]) == ("I21.90", 50, None)


def test_entered_in_error_cannot_be_typed_and_empty_rows_are_ignored(cast):
    with pytest.raises(ValidationError) as raised:
        do_record_family_history(
            cast.actor("alice"), cast.patient.pk, mother(status="entered-in-error")
        )
    assert raised.value.message_dict == {
        "status": ["Une saisie par erreur se signale par l'action dédiée, qui demande un motif."]
    }
    entry = do_record_family_history(
        cast.actor("alice"),
        cast.patient.pk,
        FamilyHistoryData(relationship="SIS", conditions=(FamilyConditionData(),)),
    )
    assert entry.conditions == []


def test_a_correction_keeps_the_previous_version_and_a_stale_one_is_a_conflict(cast):
    alice = cast.actor("alice")
    entry = do_record_family_history(alice, cast.patient.pk, mother())
    # A later CIM-10 release withdraws the code: the entry stays correctable.
    Cim10Code.objects.filter(code="C50.9").update(withdrawn_in=2030, selectable=False)
    before = last_event_id()
    do_update_family_history(alice, entry.pk, mother(note=""), expected_version=1)
    [update] = events_after(before)
    assert update.detail["fields"] == ["note"]
    _shows_no_secret(update)
    with pytest.raises(FamilyHistoryVersionConflict) as raised:
        do_update_family_history(alice, entry.pk, mother(note="Autre"), expected_version=1)
    assert raised.value.current == 2
    versions = access_family_history_entry_versions(alice, entry.pk)
    assert [(v.version, v.note) for v in versions] == [
        (2, None),
        (1, "Dépistage génétique proposé"),
    ]
    assert versions[1].conditions[0]["code_label"] == BREAST_CANCER
    same = do_update_family_history(alice, entry.pk, mother(note=""), expected_version=2)
    assert same.version == 2
    assert FamilyMemberHistoryVersion.objects.count() == 1


def test_an_entry_entered_in_error_is_kept_hidden_and_no_longer_corrected(cast):
    alice = cast.actor("alice")
    father = do_record_family_history(
        alice, cast.patient.pk, mother(relationship="FTH", conditions=())
    )
    wrong = do_record_family_history(alice, cast.patient.pk, mother())
    with pytest.raises(ValidationError):
        do_mark_family_history_entered_in_error(alice, wrong.pk, "x")
    before = last_event_id()
    do_mark_family_history_entered_in_error(alice, wrong.pk, ERREUR, expected_version=1)
    [marked] = events_after(before)
    assert marked.detail["status"] == "entered-in-error"
    assert reason_text(marked) == ERREUR
    assert [e.pk for e in access_family_history(alice, cast.patient.pk)] == [father.pk]
    everything = access_family_history(alice, cast.patient.pk, include_entered_in_error=True)
    assert [e.pk for e in everything] == [father.pk, wrong.pk]
    with pytest.raises(ValidationError):
        do_update_family_history(alice, wrong.pk, mother(), expected_version=2)
    with pytest.raises(ValidationError):
        do_mark_family_history_entered_in_error(alice, wrong.pk, ERREUR)
    assert FamilyMemberHistory.objects.get(pk=wrong.pk).version == 2


def test_the_list_goes_from_the_closest_relative(cast):
    alice = cast.actor("alice")
    ids = {}
    for relationship in ("COUSN", "PGRMTH", "BRO", "MTH"):
        ids[relationship] = do_record_family_history(
            alice, cast.patient.pk, FamilyHistoryData(relationship=relationship)
        ).pk
    listed = access_family_history(alice, cast.patient.pk)
    assert [e.pk for e in listed] == [ids[r] for r in ("MTH", "BRO", "PGRMTH", "COUSN")]


def _raw(model: type[Any], row_id: uuid.UUID, columns: tuple[str, ...]) -> tuple[bytes, ...]:
    table = model._meta.db_table
    pk = model._meta.pk.get_db_prep_value(row_id, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(columns)} FROM {table} WHERE id = %s",  # noqa: S608
            [pk],
        )
        row = cursor.fetchone()
    return tuple(bytes(column) if column is not None else b"" for column in row)


def test_the_conditions_are_encrypted_at_rest_and_so_are_previous_versions(cast):
    alice = cast.actor("alice")
    entry = do_record_family_history(alice, cast.patient.pk, mother())
    do_update_family_history(
        alice, entry.pk, mother(note="Test génétique fait"), expected_version=1
    )
    conditions, deceased, note = _raw(
        FamilyMemberHistory, entry.pk, ("conditions", "deceased", "note")
    )
    for clear in (b"C50", b"sein", b"BRCA", b"45", b"contributed"):
        assert clear not in conditions
    assert deceased and deceased not in (b"1", b"true")
    assert note and "génétique".encode() not in note
    [kept] = FamilyMemberHistoryVersion.objects.all()
    [snapshot] = _raw(FamilyMemberHistoryVersion, kept.pk, ("snapshot",))
    for clear in (b"C50", b"sein", b"BRCA", "Dépistage".encode()):
        assert clear not in snapshot


def test_reading_costs_the_same_few_queries_for_2_or_20_relatives(
    cast, django_assert_max_num_queries
):
    alice = cast.actor("alice")

    def show() -> list[Any]:
        return [
            (e.conditions, e.deceased, e.note, e.recorded_by.user.email)
            for e in access_family_history(alice, cast.patient.pk)
        ]

    for _ in range(2):
        do_record_family_history(alice, cast.patient.pk, mother())
    with CaptureQueriesContext(connection) as captured:
        show()
    few = len(captured.captured_queries)
    for _ in range(18):
        do_record_family_history(alice, cast.patient.pk, mother(relationship="SIS"))
    with django_assert_max_num_queries(few):
        assert len(show()) == 20
    assert few <= 10
