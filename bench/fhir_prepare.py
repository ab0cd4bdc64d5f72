"""Before a FHIR load run, in the target database: register a backend client the
way an operator does (`hygie apiclient create --jwks`), and draw what the load
generator will ask for, from the data itself:
- ids.txt: random existing patient ids;
- queries.txt: name searches as a person types them, the first 3 letters of a
  patient's family name and of their given name ("mar cla"), from patients drawn
  at random, kept when they match 1 to MAX_MATCHES patients. One 3-letter word
  alone matches more than that in a 100,000-patient practice, and the API refuses
  such a search (too-costly, since commit 1d1e360);
- prefixes.txt: single 3-letter prefixes, the refused kind (bench.fhir_breakdown
  times the refusal).

`python -m bench.fhir_prepare --jwks FILE --out DIR`, in the environment of the
data (HYGIE_DATA_DIR, DATABASE_URL). Writes those files, one value a line (URL
encoded), and prints one JSON object on its last stdout line.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import urllib.parse
from pathlib import Path
from typing import Any

SCOPES = "system/Patient.rs"
# hygie/fhir/api/patient.py:MAX_RESULTS: more matches than this answer 400.
MAX_MATCHES = 200


def name_queries(practice: Any, rng: random.Random, wanted: int) -> tuple[list[str], int]:
    """(searches "fam giv" matching 1..MAX_MATCHES patients, how many drawn
    matched more). Counted with the search's own index filter, no audit."""
    from hygie.crypto.blind import normalize_name
    from hygie.patients.criteria import NameMatch, NamePart, NameValue
    from hygie.patients.models import Patient

    live = Patient.objects.filter(practice=practice, deleted_at=None)
    pks = list(live.values_list("pk", flat=True))
    kept: list[str] = []
    too_many = 0
    for pk in rng.sample(pks, wanted * 2):
        patient = live.get(pk=pk)
        family = normalize_name(patient.display_family_name).split()
        given = normalize_name(patient.display_given_name).split()
        if not family or not given or len(family[0]) < 3 or len(given[0]) < 3:
            continue
        text = f"{family[0][:3]} {given[0][:3]}"
        match = NameMatch(NamePart.ANY, (NameValue(text),))
        count = live.filter(match.index_filter(practice.pk)).count()
        if count > MAX_MATCHES:
            too_many += 1
        elif count:
            kept.append(text)
        if len(kept) == wanted:
            break
    return kept, too_many


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fhir_prepare")
    parser.add_argument("--jwks", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--ids", type=int, default=20_000)
    parser.add_argument("--prefixes", type=int, default=200)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from bench.server import name_prefixes
    from hygie.audit.enums import AuditEventType
    from hygie.patients.models import Patient
    from hygie.practices.models import Practice

    practice = Practice.objects.get()  # the demo makes one practice
    name = f"Banc de charge {random.randrange(10**6):06d}"
    out = io.StringIO()
    call_command(
        "apiclient",
        "create",
        "--practice",
        str(practice.pk),
        "--name",
        name,
        "--scopes",
        SCOPES,
        "--jwks",
        args.jwks,
        "--json",
        stdout=out,
    )
    client_id = json.loads(out.getvalue())["client_id"]
    rng = random.Random(args.seed)
    live = list(
        Patient.objects.filter(practice=practice, deleted_at=None)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    ids = rng.sample(live, min(args.ids, len(live)))
    target = Path(args.out)
    (target / "ids.txt").write_text("".join(f"{pk}\n" for pk in ids))
    prefixes = name_prefixes(args.prefixes, rng)
    (target / "prefixes.txt").write_text("".join(f"{p}\n" for p in prefixes))
    queries, too_many = name_queries(practice, rng, args.queries)
    (target / "queries.txt").write_text("".join(f"{urllib.parse.quote(q)}\n" for q in queries))
    result = {
        "client_id": client_id,
        "client_name": name,
        # What grants.py writes as the audit events' user_label for this client.
        "user_label": f"apiclient:{name} ({client_id})",
        "practice_id": str(practice.pk),
        "patients": len(live),
        "scopes": SCOPES,
        "name_queries": len(queries),
        "name_queries_over_max": too_many,
        "event_types": {
            "read": int(AuditEventType.PATIENT_READ),
            "search": int(AuditEventType.PATIENT_SEARCH),
        },
    }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
