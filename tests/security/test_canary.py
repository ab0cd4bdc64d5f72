"""A stolen database file or dump holds no patient identity in the clear."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.db import connection

from hygie.patients.access import access_patient, search_patients
from hygie.patients.actions import do_break_glass, do_create_patient
from hygie.patients.demo import nir_key
from hygie.patients.enums import Gender, InsOid
from tests.cast import actor_of, identity

NIR_13 = "2710723033042"
CANARIES = {
    "birth_family_name": "CANARIQUE",
    "birth_given_names": "Zéphyrine Ondine",
    "used_family_name": "PINSONNEAU",
    "nir": NIR_13 + nir_key(NIR_13),
    "phone": "01 99 00 77 88",
    "email": "zephyrine.canarique@exemple.test",
    "address": "7 impasse du Rossignol",
}


def _raw_tables() -> bytes:
    """Everything stored, as the database holds it."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            return "\n".join(connection.connection.iterdump()).encode()
    chunks = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        for (table,) in cursor.fetchall():
            cursor.execute(f'SELECT t::text FROM "{table}" t')  # noqa: S608 (catalog names)
            chunks.extend(row[0] for row in cursor.fetchall())
    return "\n".join(chunks).encode()


def _needles() -> list[bytes]:
    needles = []
    for value in CANARIES.values():
        for variant in {value, value.upper(), value.lower()}:
            raw = variant.encode()
            # bytea renders as hex in PostgreSQL's text output.
            needles += [raw, raw.hex().encode()]
    return needles


@pytest.mark.django_db(transaction=True)
def test_no_canary_value_is_stored_in_the_clear(cast, tmp_path: Path):
    alice = actor_of(cast.alice)
    patient = do_create_patient(
        alice,
        identity(
            birth_family_name=CANARIES["birth_family_name"],
            birth_given_names=CANARIES["birth_given_names"],
            used_family_name=CANARIES["used_family_name"],
            birth_date=dt.date(1971, 7, 23),
            sex=Gender.FEMALE,
            birthplace_insee="2B033",
            nir=CANARIES["nir"],
            ins_oid=InsOid.TEST_NIR,
            phone=CANARIES["phone"],
            email=CANARIES["email"],
            address=CANARIES["address"],
        ),
    )
    do_break_glass(actor_of(cast.bob), patient, "Canari Zéphyrine vue en urgence au cabinet")
    # Reads and searches write to the audit log too: it must not echo identities.
    assert access_patient(alice, patient.pk).birth_family_name == "CANARIQUE"
    assert search_patients(alice, name="canar zeph")
    assert search_patients(alice, nir=CANARIES["nir"])

    dump = _raw_tables()
    assert len(dump) > 10_000
    leaks = [n for n in _needles() if n in dump]
    assert leaks == []
    assert b"Canari Z" not in dump  # the break-the-glass reason is sealed too

    if connection.vendor == "sqlite":
        # The whole file as a thief would copy it, free pages included.
        copy = tmp_path / "stolen.sqlite3"
        with connection.cursor() as cursor:
            cursor.execute("VACUUM INTO %s", [str(copy)])
        stolen = copy.read_bytes()
        assert [n for n in _needles() if n in stolen] == []
