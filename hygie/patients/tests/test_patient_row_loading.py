"""access_patient reads the record with a SELECT written once (hygie/core/joined.py):
it must give what the ORM gives, decrypted fields and treating doctor included."""

from __future__ import annotations

import pytest

from hygie.patients.access import access_patient
from hygie.patients.models import Patient

pytestmark = pytest.mark.django_db


def concrete_values(instance):
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_the_record_read_equals_the_orms_with_its_treating_doctor(cast):
    # The cast's patient has Dr Aubert as médecin traitant (tests/cast.py).
    ours = access_patient(cast.actor("alice"), cast.patient.pk)
    orm = Patient.objects.select_related("treating_practitioner__user").get(pk=cast.patient.pk)
    assert concrete_values(ours) == concrete_values(orm)
    assert ours.birth_family_name == orm.birth_family_name and ours.birth_date == orm.birth_date
    assert ours.treating_practitioner is not None
    assert concrete_values(ours.treating_practitioner) == concrete_values(orm.treating_practitioner)
    assert ours.treating_practitioner.user.email == cast.alice.user.email


def test_without_the_treating_doctor_the_record_still_equals_the_orms(cast):
    ours = access_patient(cast.actor("alice"), str(cast.patient.pk), with_treating_doctor=False)
    orm = Patient.objects.get(pk=cast.patient.pk)
    assert concrete_values(ours) == concrete_values(orm)
