"""`hygie practice create|list`: the id it prints is what every --practice takes."""

from __future__ import annotations

import io
import json
import uuid

import pytest
from django.core.management import CommandError, call_command

from hygie.audit.enums import AuditEventType
from hygie.audit.models import AuditEvent
from hygie.practices.models import Practice

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_create_prints_only_the_new_practice_id() -> None:
    out = run("practice", "create", "Cabinet des Lilas")

    practice = Practice.objects.get(pk=uuid.UUID(out.strip()))
    assert practice.name == "Cabinet des Lilas"


def test_create_is_audited() -> None:
    practice_id = run("practice", "create", "Cabinet des Lilas").strip()

    assert (
        AuditEvent.objects.filter(
            event_type=AuditEventType.PRACTICE_CREATED, entity_id=practice_id
        ).count()
        == 1
    )


def test_create_with_json_after_the_name_gives_id_and_name() -> None:
    data = json.loads(run("practice", "create", "Cabinet des Lilas", "--json"))

    assert data == {"id": str(Practice.objects.get().pk), "name": "Cabinet des Lilas"}


@pytest.mark.parametrize("name", ["", "   "])
def test_create_refuses_an_empty_name_and_creates_nothing(name: str) -> None:
    with pytest.raises(CommandError, match="nom du cabinet est obligatoire"):
        run("practice", "create", name)

    assert not Practice.objects.exists()


def test_create_refuses_a_name_over_200_characters() -> None:
    with pytest.raises(CommandError, match="trop long"):
        run("practice", "create", "C" * 201)

    assert not Practice.objects.exists()


def test_list_shows_each_practice_with_its_id(cast: object) -> None:
    out = run("practice", "list")

    lines = out.strip().splitlines()
    assert len(lines) == 2
    for practice in Practice.objects.all():
        assert f"{practice.pk}  {practice.name}" in lines


def test_list_json_is_a_list_of_id_and_name_objects(cast: object) -> None:
    data = json.loads(run("practice", "list", "--json"))

    assert sorted(data, key=lambda p: p["name"]) == [
        {"id": str(p.pk), "name": p.name} for p in Practice.objects.order_by("name")
    ]


def test_list_says_so_when_there_is_no_practice() -> None:
    assert run("practice", "list").strip() == "Aucun cabinet."
    assert json.loads(run("practice", "list", "--json")) == []


def test_a_missing_verb_is_refused() -> None:
    with pytest.raises(CommandError, match="required"):
        run("practice")
