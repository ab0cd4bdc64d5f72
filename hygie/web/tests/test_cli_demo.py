"""`hygie demo`: a synthetic practice to try Hygie with, created in one go."""

from __future__ import annotations

import io
import json
import random
import stat
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from hygie.accounts.models import User
from hygie.audit.enums import AuditEventType
from hygie.audit.models import AuditEvent
from hygie.core import clock
from hygie.patients.demo import synthetic_identity
from hygie.patients.enums import CareRelationshipKind, InsOid
from hygie.patients.models import CareRelationship, Patient
from hygie.practices.enums import Role
from hygie.practices.models import Membership, Practice
from hygie.web.management.commands import demo
from tests.cast import Cast

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _data_dir(settings: Any, tmp_path: Path) -> Path:
    """The demo writes its passwords to DATA_DIR: keep them out of the repository."""
    settings.DATA_DIR = tmp_path
    return tmp_path


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("demo", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_demo_creates_a_practice_its_team_and_the_patients_asked_for() -> None:
    out = run("--patients", "20", "--seed", "1")

    practice = Practice.objects.get()
    members = Membership.objects.filter(practice=practice)
    assert sorted(members.values_list("role", flat=True)) == sorted(
        [Role.PRACTITIONER] * 3 + [Role.ASSISTANT]
    )
    assert members.filter(ended_at__isnull=False).get().user.email.startswith("marc.lefort@")
    assert Patient.objects.filter(practice=practice).count() == 20
    assert "20 patients fictifs" in out


def test_each_demo_patient_has_a_current_treating_doctor() -> None:
    run("--patients", "20", "--seed", "2")

    relationships = CareRelationship.objects.select_related("practitioner")
    assert relationships.count() == 20
    assert {r.kind for r in relationships} == {CareRelationshipKind.TREATING}
    doctors = {r.practitioner.email for r in relationships}
    assert doctors <= {
        "claire.martin@cabinet-des-tilleuls.test",
        "paul.bernard@cabinet-des-tilleuls.test",
    }  # not Marc, who left


def test_demo_patients_are_synthetic_with_test_nirs() -> None:
    run("--patients", "50", "--seed", "3")

    with_nir = [p for p in Patient.objects.all() if p.nir]
    assert with_nir
    assert {p.ins_oid for p in with_nir} == {InsOid.TEST_NIR}


def test_demo_creations_are_audited() -> None:
    run("--patients", "20", "--seed", "4")

    created = AuditEvent.objects.filter(
        event_type=AuditEventType.PATIENT_CREATED, detail__via="demo"
    )
    assert sorted(e.patient_id for e in created) == sorted(
        Patient.objects.values_list("pk", flat=True)
    )


def test_demo_json_gives_the_practice_and_the_logins() -> None:
    data = json.loads(run("--patients", "20", "--json"))

    assert data["practice"] == str(Practice.objects.get().pk)
    assert data["patients"] == 20
    assert len(data["logins"]) == 4
    for login in data["logins"]:
        user = User.objects.get(email=login["email"])
        assert user.check_password(login["password"])


def test_demo_passwords_are_written_to_a_file_only_the_owner_reads(_data_dir: Path) -> None:
    run("--patients", "0")

    path = _data_dir / "demo-logins.txt"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(path.read_text(encoding="utf-8").splitlines()) == 4


def test_if_empty_a_second_time_creates_nothing_and_says_so() -> None:
    run("--patients", "5", "--if-empty")
    patients, events = Patient.objects.count(), AuditEvent.objects.count()

    out = run("--patients", "5", "--if-empty")

    assert "aucune donnée de démonstration ajoutée" in out
    assert Practice.objects.count() == 1
    assert (Patient.objects.count(), AuditEvent.objects.count()) == (patients, events)
    assert json.loads(run("--if-empty", "--json")) == {"created": False}


def test_if_empty_leaves_an_existing_practice_alone(cast: Cast) -> None:
    run("--patients", "5", "--if-empty")

    assert set(Practice.objects.values_list("name", flat=True)) == {"Cabinet A", "Cabinet B"}


def test_a_second_demo_without_if_empty_is_refused_and_adds_nothing() -> None:
    run("--patients", "5")
    patients = Patient.objects.count()

    with pytest.raises(CommandError, match="la démo a déjà été créée"):
        run("--patients", "5")

    assert Practice.objects.count() == 1
    assert Patient.objects.count() == patients


def test_demo_works_beside_practitioners_holding_the_synthetic_rpps_numbers(cast: Cast) -> None:
    """The cast holds 19999990013 and the next ones: the demo picks free numbers."""
    run("--patients", "5")

    assert Practice.objects.count() == 3


def test_a_demo_failing_half_way_leaves_nothing_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> int:
        raise ValidationError("panne simulée")

    monkeypatch.setattr(demo.Command, "_patients", broken)

    with pytest.raises(CommandError, match="panne simulée"):
        run("--patients", "5")

    assert not Practice.objects.exists()
    assert not User.objects.exists()


@pytest.mark.parametrize("count", ["-1", "1000001"])
def test_an_impossible_patient_count_is_refused(count: str) -> None:
    with pytest.raises(CommandError, match="--patients"):
        run("--patients", count)

    assert not Practice.objects.exists()


def test_two_demo_patients_never_share_a_nir() -> None:
    """A practice holds each NIR once; the random draw can repeat one."""
    today = clock.today()
    seed = next(s for s in range(100) if synthetic_identity(random.Random(s), today).nir)
    first = synthetic_identity(random.Random(seed), today)

    again = demo._new_identity(random.Random(seed), today, {first.nir})

    assert again.nir != first.nir
