"""Observations entered in error are kept and hidden, never deleted; values are
encrypted at rest."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from hygie.audit.actions import reason_text
from hygie.audit.enums import AuditAction, AuditEventType, AuditOutcome
from hygie.clinical.access import ObservationNotFound, access_latest_vitals, access_vital_signs
from hygie.clinical.actions import do_mark_observation_entered_in_error
from hygie.clinical.enums import ObservationStatus
from hygie.clinical.measures import VitalSign
from hygie.clinical.models import Observation
from hygie.patients.access import PatientNotFound

from .vital_signs_support import events_after, last_event_id, record

pytestmark = pytest.mark.django_db

ERREUR = "Mesure saisie dans le mauvais dossier"


def test_an_observation_entered_in_error_is_kept_and_hidden_by_default(cast):
    alice = cast.actor("alice")
    [older] = record(alice, cast.patient.pk, ago=dt.timedelta(days=5), weight="70")
    [wrong] = record(alice, cast.patient.pk, weight="97")
    before = last_event_id()
    marked = do_mark_observation_entered_in_error(alice, wrong.pk, f"  {ERREUR} ")
    assert marked.status == ObservationStatus.ENTERED_IN_ERROR

    stored = Observation.objects.get(pk=wrong.pk)
    assert stored.status == ObservationStatus.ENTERED_IN_ERROR
    assert stored.status_reason == ERREUR
    assert stored.status_changed_by_id == cast.alice.pk
    assert stored.value == 97  # kept as it was
    assert [o.pk for o in access_vital_signs(alice, cast.patient.pk)] == [older.pk]
    everything = access_vital_signs(alice, cast.patient.pk, include_entered_in_error=True)
    assert [o.pk for o in everything] == [wrong.pk, older.pk]
    # The banner falls back to the previous valid weight.
    assert access_latest_vitals(alice, cast.patient.pk)[VitalSign.BODY_WEIGHT].pk == older.pk

    [event, *_reads] = events_after(before)
    assert event.event_type == AuditEventType.CLINICAL_WRITE
    assert event.action == AuditAction.UPDATE
    assert event.entity_type == "Observation"
    assert event.entity_id == str(wrong.pk)
    assert event.detail["status"] == "entered-in-error"
    assert reason_text(event) == ERREUR
    assert ERREUR not in event.reason  # sealed in the log


def test_a_weight_entered_in_error_takes_its_bmi_with_it(cast):
    alice = cast.actor("alice")
    weight, height, bmi = record(alice, cast.patient.pk, weight="72,5", height="178")
    before = last_event_id()
    do_mark_observation_entered_in_error(alice, weight.pk, ERREUR)
    statuses = dict(Observation.objects.values_list("pk", "status"))
    assert statuses == {
        weight.pk: ObservationStatus.ENTERED_IN_ERROR,
        height.pk: ObservationStatus.FINAL,
        bmi.pk: ObservationStatus.ENTERED_IN_ERROR,
    }
    [event] = events_after(before)
    assert event.detail["derived"] == [str(bmi.pk)]


def test_marking_needs_a_reason_and_happens_once(cast):
    alice = cast.actor("alice")
    [weight] = record(alice, cast.patient.pk, weight="72")
    with pytest.raises(ValidationError) as raised:
        do_mark_observation_entered_in_error(alice, weight.pk, "  x  ")
    assert raised.value.message_dict == {"reason": ["Indiquez le motif (5 caractères au moins)."]}
    assert Observation.objects.get(pk=weight.pk).status == ObservationStatus.FINAL
    do_mark_observation_entered_in_error(alice, weight.pk, "doublon")
    before = last_event_id()
    with pytest.raises(ValidationError):
        do_mark_observation_entered_in_error(alice, weight.pk, "doublon")
    assert events_after(before) == []


@pytest.mark.parametrize(
    ("who", "refusal"),
    [
        # By observation id, one 404 for all: the id must not tell whose it is.
        ("bob", ObservationNotFound),
        ("denise", ObservationNotFound),
        ("carla", ObservationNotFound),
        ("damien", PatientNotFound),
        ("ernest", PatientNotFound),
    ],
)
def test_only_who_may_write_the_record_marks_an_observation(cast, who, refusal):
    [weight] = record(cast.actor("alice"), cast.patient.pk, weight="72")
    before = last_event_id()
    with pytest.raises(refusal):
        do_mark_observation_entered_in_error(cast.actor(who), weight.pk, ERREUR)
    assert Observation.objects.get(pk=weight.pk).status == ObservationStatus.FINAL
    [event] = events_after(before)
    assert event.event_type == AuditEventType.ACCESS_DENIED
    assert event.action == AuditAction.UPDATE
    assert event.outcome == AuditOutcome.MINOR_FAILURE
    assert event.entity_type == "Observation"
    assert event.entity_id == str(weight.pk)


def test_another_practice_cannot_tell_an_observation_from_an_absent_one(cast):
    [weight] = record(cast.actor("alice"), cast.patient.pk, weight="72")
    carla = cast.actor("carla")
    with pytest.raises(PatientNotFound) as theirs:
        do_mark_observation_entered_in_error(carla, weight.pk, ERREUR)
    with pytest.raises(PatientNotFound) as absent:
        do_mark_observation_entered_in_error(carla, uuid.uuid4(), ERREUR)
    assert type(theirs.value) is type(absent.value)
    assert str(theirs.value) == str(absent.value)


def _raw(observation_id: uuid.UUID) -> tuple[bytes, ...]:
    table = Observation._meta.db_table
    pk = Observation._meta.pk.get_db_prep_value(observation_id, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT value, components, unlikely_confirmed, status_reason FROM {table} "  # noqa: S608
            "WHERE id = %s",
            [pk],
        )
        row = cursor.fetchone()
    return tuple(bytes(column) if column is not None else b"" for column in row)


def test_values_are_encrypted_at_rest(cast):
    alice = cast.actor("alice")
    weight, panel = record(
        alice,
        cast.patient.pk,
        weight="72,5",
        blood_pressure="135/85",
        heart_rate="38",
        confirm={"heart_rate"},
    )[:2]
    do_mark_observation_entered_in_error(alice, weight.pk, ERREUR)
    value, _components, confirmed, reason = _raw(weight.pk)
    assert value and b"72.5" not in value and b"72,5" not in value
    assert reason and ERREUR.encode() not in reason
    assert confirmed not in (b"0", b"1", b"true", b"false")
    _value, components, _confirmed, _reason = _raw(panel.pk)
    assert components and b"135" not in components and b"8480-6" not in components


def test_ciphertexts_do_not_reveal_the_size_of_a_value(cast):
    """Padded before encryption: an unusual 25 kg (confirmed) and 102,525 kg
    encrypt to values and flags of the same lengths."""
    alice = cast.actor("alice")
    [light] = record(alice, cast.patient.pk, weight="25", confirm={"weight"})
    [heavy] = record(alice, cast.patient.pk, weight="102,525")
    light_value, _, light_flag, _ = _raw(light.pk)
    heavy_value, _, heavy_flag, _ = _raw(heavy.pk)
    assert len(light_value) == len(heavy_value)
    assert len(light_flag) == len(heavy_flag)
    assert Observation.objects.get(pk=light.pk).unlikely_confirmed is True
    assert Observation.objects.get(pk=heavy.pk).unlikely_confirmed is False
