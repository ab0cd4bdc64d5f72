"""What do_record_vital_signs accepts, refuses and asks to confirm, and the BMI
it derives. Every refusal leaves the record and the log as they were."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction

from hygie.audit.enums import AuditEventType, PurposeOfUse
from hygie.clinical.actions import do_mark_observation_entered_in_error
from hygie.clinical.enums import ObservationCategory, ObservationStatus
from hygie.clinical.measures import VitalSign
from hygie.clinical.models import Observation
from hygie.core import clock
from hygie.practices.context import as_system

from .vital_signs_support import child_of_alice, events_after, last_event_id, record

pytestmark = pytest.mark.django_db


def refusal(excinfo: pytest.ExceptionInfo[ValidationError]) -> dict[str, tuple[str, str]]:
    """{field: (code, message)} of a ValidationError raised by the action."""
    return {
        field: (errors[0].code or "", " ".join(errors[0].messages))
        for field, errors in excinfo.value.error_dict.items()
    }


def test_every_error_is_reported_at_once_and_nothing_is_written(cast):
    before = last_event_id()
    with pytest.raises(ValidationError) as raised:
        record(
            cast.actor("alice"),
            cast.patient.pk,
            weight="abc",
            temperature="382",
            heart_rate="64",
            blood_pressure="12/80",
        )
    errors = refusal(raised)
    assert set(errors) == {"weight", "temperature", "blood_pressure"}
    assert errors["weight"] == (
        "invalid",
        "Poids : « abc » n'est pas un nombre ; saisissez par exemple 72,5.",
    )
    assert errors["temperature"][0] == "refused"
    assert "valeur impossible chez un adulte" in errors["temperature"][1]
    assert errors["blood_pressure"][0] == "invalid"
    assert "mélange centimètres et millimètres" in errors["blood_pressure"][1]
    # The good heart rate was not written alone.
    assert not Observation.objects.exists()
    assert events_after(before) == []


def test_an_unusual_value_must_be_confirmed_before_it_is_recorded(cast):
    alice = cast.actor("alice")
    with pytest.raises(ValidationError) as raised:
        record(alice, cast.patient.pk, heart_rate="38", weight="72")
    code, message = refusal(raised)["heart_rate"]
    assert code == "confirm"
    assert "valeur inhabituelle chez un adulte" in message
    assert not Observation.objects.exists()

    created = record(alice, cast.patient.pk, heart_rate="38", weight="72", confirm={"heart_rate"})
    by_code = {o.code: o for o in created}
    assert by_code[VitalSign.HEART_RATE].unlikely_confirmed is True
    assert by_code[VitalSign.BODY_WEIGHT].unlikely_confirmed is False
    stored = Observation.objects.get(pk=by_code[VitalSign.HEART_RATE].pk)
    assert stored.unlikely_confirmed is True
    assert stored.value == 38


def test_an_impossible_value_cannot_be_confirmed(cast):
    with pytest.raises(ValidationError) as raised:
        record(
            cast.actor("alice"),
            cast.patient.pk,
            oxygen_saturation="101",
            confirm={"oxygen_saturation"},
        )
    assert refusal(raised)["oxygen_saturation"][0] == "refused"
    assert not Observation.objects.exists()


def test_an_unknown_confirmation_is_a_programming_error(cast):
    with pytest.raises(ValueError):
        record(cast.actor("alice"), cast.patient.pk, weight="72", confirm={"poids"})


def test_an_empty_entry_is_refused(cast):
    with pytest.raises(ValidationError) as raised:
        record(cast.actor("alice"), cast.patient.pk, weight="  ")
    assert refusal(raised)[NON_FIELD_ERRORS] == ("empty", "Saisissez au moins une mesure.")


def test_a_measure_in_the_future_is_refused_with_a_few_minutes_of_tolerance(cast):
    alice = cast.actor("alice")
    with pytest.raises(ValidationError) as raised:
        record(
            alice, cast.patient.pk, effective=clock.now() + dt.timedelta(minutes=10), weight="72"
        )
    assert refusal(raised)["effective"] == ("future", "La date de la mesure est dans le futur.")
    [ahead] = record(
        alice, cast.patient.pk, effective=clock.now() + dt.timedelta(minutes=2), weight="72"
    )
    assert ahead.status == ObservationStatus.FINAL


def test_a_measure_before_birth_is_refused_and_other_errors_still_show(cast):
    before_birth = dt.datetime(1984, 3, 11, 12, tzinfo=dt.UTC)  # the patient is born 1984-03-12
    with pytest.raises(ValidationError) as raised:
        record(cast.actor("alice"), cast.patient.pk, effective=before_birth, weight="abc")
    errors = refusal(raised)
    assert errors["effective"] == (
        "before-birth",
        "La date de la mesure précède la date de naissance.",
    )
    assert errors["weight"][0] == "invalid"
    assert not Observation.objects.exists()


def test_a_naive_date_is_a_programming_error(cast):
    with pytest.raises(ValueError):
        record(cast.actor("alice"), cast.patient.pk, effective=dt.datetime(2025, 1, 1), weight="72")  # noqa: DTZ001


def test_plausibility_follows_the_age_at_the_measure(cast):
    """3,2 kg is a newborn's weight, impossible for an adult: the age used is the
    patient's on the day of the measure, from their birth date."""
    newborn = child_of_alice(cast, clock.today() - dt.timedelta(days=10))
    [weight] = record(cast.actor("alice"), newborn.pk, weight="3,2")
    assert weight.value == Decimal("3.2")
    with pytest.raises(ValidationError) as raised:
        record(cast.actor("alice"), cast.patient.pk, weight="3,2")
    assert refusal(raised)["weight"][0] == "refused"


def test_blood_pressure_is_one_panel_with_two_components_in_mmhg(cast):
    [panel] = record(cast.actor("alice"), cast.patient.pk, blood_pressure="13/8")
    stored = Observation.objects.get(pk=panel.pk)
    assert stored.code == "85354-9"
    assert stored.category == ObservationCategory.VITAL_SIGNS
    assert stored.value is None
    assert (stored.systolic, stored.diastolic) == (Decimal(130), Decimal(80))
    assert [(c["code"], c["unit"]) for c in stored.components] == [
        ("8480-6", "mm[Hg]"),
        ("8462-4", "mm[Hg]"),
    ]


def test_capillary_glucose_is_filed_as_laboratory(cast):
    [glucose] = record(cast.actor("alice"), cast.patient.pk, capillary_glucose="5,8 mmol/L")
    assert glucose.category == ObservationCategory.LABORATORY
    assert (glucose.value, glucose.unit) == (Decimal("1.04"), "g/L")


def test_a_weight_with_a_height_gives_a_derived_bmi(cast):
    created = record(cast.actor("alice"), cast.patient.pk, weight="72,5", height="1,78")
    weight, height, bmi = created
    assert bmi.code == VitalSign.BMI
    assert bmi.derived is True and not weight.derived and not height.derived
    stored = Observation.objects.get(pk=bmi.pk)
    assert stored.value == Decimal("22.9")  # 72,5 / 1,78² = 22,88
    assert stored.unit == "kg/m2"
    assert {o.pk for o in stored.derived_from.all()} == {weight.pk, height.pk}


def test_an_adults_weight_alone_uses_a_height_of_the_last_twelve_months(cast):
    alice = cast.actor("alice")
    [height] = record(alice, cast.patient.pk, ago=dt.timedelta(days=200), height="178")
    before = last_event_id()
    weight, bmi = record(alice, cast.patient.pk, weight="80")
    assert bmi.value == Decimal("25.2")
    assert {o.pk for o in bmi.derived_from.all()} == {weight.pk, height.pk}
    [event] = events_after(before)
    assert event.detail["bmi_height"] == str(height.pk)


def test_a_height_older_than_twelve_months_gives_no_bmi(cast):
    alice = cast.actor("alice")
    record(alice, cast.patient.pk, ago=dt.timedelta(days=400), height="178")
    assert [o.code for o in record(alice, cast.patient.pk, weight="80")] == [VitalSign.BODY_WEIGHT]


def test_a_height_entered_in_error_gives_no_bmi(cast):
    alice = cast.actor("alice")
    [height] = record(alice, cast.patient.pk, ago=dt.timedelta(days=20), height="178")
    do_mark_observation_entered_in_error(alice, height.pk, "Patiente confondue")
    assert [o.code for o in record(alice, cast.patient.pk, weight="80")] == [VitalSign.BODY_WEIGHT]


def test_a_childs_weight_alone_gives_no_bmi_from_an_earlier_height(cast):
    child = child_of_alice(cast, clock.today() - dt.timedelta(days=8 * 365))
    alice = cast.actor("alice")
    record(alice, child.pk, ago=dt.timedelta(days=30), height="128")
    assert [o.code for o in record(alice, child.pk, weight="26")] == [VitalSign.BODY_WEIGHT]
    # Measured together, the child's BMI is recorded (read on the growth curves).
    codes = [o.code for o in record(alice, child.pk, weight="26", height="128")]
    assert VitalSign.BMI in codes


def test_an_unusual_bmi_must_be_confirmed_under_its_own_key(cast):
    alice = cast.actor("alice")
    # 62 kg for 1,00 m: the height is unusual for an adult, and so is the pair.
    # Both confirmations are asked for in one answer.
    with pytest.raises(ValidationError) as raised:
        record(alice, cast.patient.pk, weight="62", height="100")
    errors = refusal(raised)
    assert {field: code for field, (code, _message) in errors.items()} == {
        "height": "confirm",
        "bmi": "confirm",
    }
    assert errors["bmi"][1].startswith(
        "Indice de masse corporelle : 62,0\u00a0kg/m² est une valeur inhabituelle"
    )
    with pytest.raises(ValidationError) as raised:
        record(alice, cast.patient.pk, weight="62", height="100", confirm={"height"})
    assert set(refusal(raised)) == {"bmi"}
    assert not Observation.objects.exists()
    created = record(alice, cast.patient.pk, weight="62", height="100", confirm={"height", "bmi"})
    assert created[-1].code == VitalSign.BMI
    assert created[-1].value == Decimal("62.0")
    assert created[-1].unlikely_confirmed is True


def test_the_database_refuses_a_typed_bmi(cast):
    typed = Observation(
        practice=cast.practice_a,
        patient=cast.patient,
        category=ObservationCategory.VITAL_SIGNS,
        code=VitalSign.BMI,
        effective_at=clock.now(),
        recorded_at=clock.now(),
        value=Decimal("22.9"),
        unit="kg/m2",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        typed.save()


def test_one_recording_is_one_audit_event(cast):
    before = last_event_id()
    record(
        cast.actor("alice"), cast.patient.pk, weight="72", heart_rate="38", confirm={"heart_rate"}
    )
    [event] = events_after(before)
    assert event.event_type == AuditEventType.CLINICAL_WRITE
    # That a value was confirmed as unusual stays in the (encrypted) row only.
    assert "confirmed" not in event.detail and VitalSign.HEART_RATE.value not in str(event.detail)


def test_a_system_job_records_with_no_recorder_and_is_audited_as_itself(cast):
    job = as_system(cast.practice_a, "import-mesures")
    before = last_event_id()
    [weight] = record(job, cast.patient.pk, weight="72")
    assert weight.recorded_by is None
    [event] = events_after(before)
    assert event.user_label == "system:import-mesures"
    assert event.purpose == PurposeOfUse.SYSADMIN
