"""`python -m bench.chart_vitals`: the patient chart's vital-signs page with a long
record (issue 4: "the chart opens in p95 ≤ 100 ms server-side with a bounded
number of queries", for a patient with 2,000 observations).

In a fresh data directory (SQLite, or with --db postgres a throwaway database on
the local server): one practice, one doctor with a care relationship, one adult
patient, and --sets visits over the past years, each recording weight, height
every tenth visit, blood pressure and heart rate through the real action
(`do_record_vital_signs`: audit, encryption, derived BMI), about 5 observations a
visit. Then, in process (Django test Client, the whole middleware stack, a
session that went through password and second factor), GET the page --requests
times and report p50/p95/p99, the queries and the audit events per view, the size
of the page. Synthetic data only. Prints one JSON object last; writes it to
bench/results/<time>-chart-vitals.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import ROOT
from bench.stats import summary

RESULTS = ROOT / "bench" / "results"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.chart_vitals")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--sets", type=int, default=400, help="visits with vitals (~5 rows each)")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=3)
    return parser.parse_args()


def setup_environment(args: argparse.Namespace, data_dir: Path) -> str | None:
    os.environ["HYGIE_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if args.db == "sqlite":
        os.environ.pop("DATABASE_URL", None)
        return None
    import psycopg

    name = f"hygie_bench_chart_{os.getpid()}"
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = f"{PG_SERVER}/{name}"
    return name


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed(args: argparse.Namespace) -> dict[str, Any]:
    """The practice, doctor, patient and visits; returns what the run needs."""
    from hygie.accounts.actions import do_create_user
    from hygie.audit.actions import AuditSource
    from hygie.clinical.actions import VitalSignsEntry, do_record_vital_signs
    from hygie.core import clock
    from hygie.patients.actions import do_add_care_relationship, do_create_patient
    from hygie.patients.enums import CareRelationshipKind, Gender
    from hygie.patients.forms_data import IdentityData
    from hygie.practices.actions import do_add_member, do_create_practice
    from hygie.practices.context import Actor, as_system
    from hygie.practices.enums import Role

    source = AuditSource.system("bench-chart")
    practice = do_create_practice("Cabinet du banc", source=source)
    user = do_create_user("medecin@banc.test", first_name="Claire", last_name="Banc", source=source)
    member = do_add_member(
        practice,
        user,
        role=Role.PRACTITIONER,
        rpps="19999990013",
        start_date=dt.date(2020, 1, 1),
        source=source,
    )
    system = as_system(practice, "bench-chart")
    patient = do_create_patient(
        system,
        IdentityData(
            birth_family_name="Durand",
            birth_given_names="Paule",
            birth_date=dt.date(1958, 4, 2),
            sex=Gender.FEMALE,
        ),
    )
    do_add_care_relationship(system, patient, member, kind=CareRelationshipKind.TREATING)
    actor = Actor(practice=practice, source=source, user=user, membership=member)
    rng = random.Random(args.seed)
    now = clock.now()
    started = time.perf_counter()
    rows = 0
    weight = 68.0
    for visit in range(args.sets):
        weight = min(max(weight + rng.uniform(-0.8, 0.8), 55.0), 90.0)
        entry = VitalSignsEntry(
            weight=f"{weight:.1f}".replace(".", ","),
            height="164" if visit % 10 == 0 else "",
            blood_pressure=f"{rng.randint(115, 150)}/{rng.randint(65, 90)}",
            heart_rate=str(rng.randint(58, 88)),
        )
        when = now - dt.timedelta(days=(args.sets - visit) * 7, hours=rng.randint(0, 8))
        rows += len(do_record_vital_signs(actor, patient.pk, entry, when))
    return {
        "user": user,
        "patient_id": patient.pk,
        "observations": rows,
        "seed_seconds": time.perf_counter() - started,
    }


def measure(args: argparse.Namespace, seeded: dict[str, Any]) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from hygie.audit.enums import AuditEventType
    from hygie.audit.models import AuditEvent
    from tests.cast import login

    client = login(Client(SERVER_NAME="localhost"), seeded["user"])
    url = reverse("clinical:vital_signs", args=[seeded["patient_id"]])

    def get() -> tuple[float, int]:
        began = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - began) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        return elapsed, len(response.content)

    for _ in range(10):
        get()
    reads_before = AuditEvent.objects.filter(event_type=AuditEventType.CLINICAL_READ).count()
    executed: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        executed.append(sql)
        return execute(sql, params, many, context)

    # A wrapper, not CaptureQueriesContext: the request_started signal empties
    # the connection's query log at the start of the request it should capture.
    with connection.execute_wrapper(count):
        _, size = get()
    reads = (
        AuditEvent.objects.filter(event_type=AuditEventType.CLINICAL_READ).count() - reads_before
    )
    samples = [get()[0] for _ in range(args.requests)]
    return {
        "url": url,
        "ms": summary(samples),
        "queries_per_view": len(executed),
        "clinical_read_events_per_view": reads,
        "page_bytes": size,
    }


def main() -> None:
    args = parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="hygie-bench-chart-"))
    database = setup_environment(args, data_dir)
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)
        seeded = seed(args)
        result = {
            "bench": "chart_vitals",
            "db": args.db,
            "visits": args.sets,
            "observations": seeded["observations"],
            "seed_seconds": round(seeded["seed_seconds"], 1),
            **measure(args, seeded),
        }
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
        if database is not None:
            from django.db import connections

            connections.close_all()
            drop_database(database)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{time.strftime('%Y%m%d-%H%M%S')}-chart-vitals-{args.db}.json"
    out.write_text(json.dumps(result, indent=2, default=str))
    print(json.dumps(result, default=str), flush=True)


if __name__ == "__main__":
    main()
