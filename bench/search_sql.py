"""The name search's SQL alone, on a copy of the encrypted data directory's
database: the query the app sends now against the token-driven one proposed in
docs/performance.md, for one word and for two, before and after adding an index
on (patient_id, token). Real tokens from the table are used, picked by how many
patients share them (the most common, and one at the 98th percentile). It also
checks that both queries, without their LIMIT, allow exactly the same patients.

`python -m bench.search_sql bench/.data/p100000-s1-enc` (the main run calls it).
"""

from __future__ import annotations

import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CURRENT = (
    "SELECT p.id FROM patients_patient p WHERE p.practice_id = ? AND p.id IN ("
    "SELECT t.patient_id FROM patients_patientnametoken t WHERE t.practice_id = ? "
    "AND t.token IN ({marks}) GROUP BY 1 HAVING COUNT(DISTINCT t.token) = {n}) LIMIT 60"
)
DRIVEN_BY_NAME_INDEX = (
    "SELECT t0.patient_id FROM patients_patientnametoken t0 "
    "WHERE t0.practice_id = ? AND t0.token = ? {exists} LIMIT 60"
)
EXISTS = (
    "AND EXISTS (SELECT 1 FROM patients_patientnametoken t{i} "
    "WHERE t{i}.patient_id = t0.patient_id AND t{i}.token = ?)"
)
INDEX = "CREATE INDEX bench_token_by_patient ON patients_patientnametoken (patient_id, token)"


def best_ms(db: sqlite3.Connection, sql: str, params: tuple[Any, ...], runs: int = 7) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        db.execute(sql, params).fetchall()
        best = min(best, (time.perf_counter() - started) * 1000)
    return best


def current(db: sqlite3.Connection, practice: str, tokens: list[bytes]) -> float:
    sql = CURRENT.format(marks=",".join("?" * len(tokens)), n=len(tokens))
    return best_ms(db, sql, (practice, practice, *tokens))


def token_driven(db: sqlite3.Connection, practice: str, tokens: list[bytes]) -> float:
    exists = " ".join(EXISTS.format(i=i) for i in range(1, len(tokens)))
    return best_ms(db, DRIVEN_BY_NAME_INDEX.format(exists=exists), (practice, *tokens))


def same_patients(db: sqlite3.Connection, practice: str, tokens: list[bytes]) -> bool:
    """Both queries without their LIMIT: the proposed one must allow exactly the
    patients the current one does."""
    now = CURRENT.format(marks=",".join("?" * len(tokens)), n=len(tokens))
    exists = " ".join(EXISTS.format(i=i) for i in range(1, len(tokens)))
    proposed = DRIVEN_BY_NAME_INDEX.format(exists=exists)
    a = {r[0] for r in db.execute(now.replace(" LIMIT 60", ""), (practice, practice, *tokens))}
    b = {r[0] for r in db.execute(proposed.replace(" LIMIT 60", ""), (practice, *tokens))}
    return a == b


def measure(data_dir: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(dir=Path(data_dir).parent) as tmp:
        copy = Path(tmp) / "copy.sqlite3"
        shutil.copyfile(Path(data_dir) / "hygie.sqlite3", copy)
        db = sqlite3.connect(copy)
        practice = db.execute("SELECT id FROM practices_practice").fetchone()[0]
        counts = db.execute(
            "SELECT token, COUNT(*) FROM patients_patientnametoken WHERE practice_id = ? "
            "GROUP BY token ORDER BY 2 DESC",
            (practice,),
        ).fetchall()
        common, p98 = counts[0], counts[len(counts) // 50]
        cases = {
            f"1 word, most common prefix ({common[1]} patients)": [common[0]],
            f"1 word, 98th-percentile prefix ({p98[1]} patients)": [p98[0]],
            "2 words, common first": [common[0], p98[0]],
            "2 words, rarer first": [p98[0], common[0]],
        }
        out: dict[str, Any] = {}
        for label, tokens in cases.items():
            out[label] = {
                "current": current(db, practice, tokens),
                "token_driven": token_driven(db, practice, tokens),
                "same_patients": same_patients(db, practice, tokens),
            }
        size = db_bytes(db)
        started = time.perf_counter()
        db.execute(INDEX)
        build = time.perf_counter() - started
        for label, tokens in cases.items():
            out[label]["token_driven_with_index"] = token_driven(db, practice, tokens)
        out["index"] = {"mib": (db_bytes(db) - size) / 2**20, "build_seconds": build}
        db.close()
    return out


def db_bytes(db: sqlite3.Connection) -> int:
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    return int(pages * db.execute("PRAGMA page_size").fetchone()[0])


def print_table(results: dict[str, Any]) -> None:
    print(
        f"{'name search SQL (ms, best of 7)':48} {'now':>7} {'token-driven':>13} "
        f"{'+ index':>8} {'same patients':>14}"
    )
    for label, row in results.items():
        if label == "index":
            continue
        print(
            f"{label:48} {row['current']:7.2f} {row['token_driven']:13.2f} "
            f"{row['token_driven_with_index']:8.2f} {'yes' if row['same_patients'] else 'NO':>14}"
        )
    index = results["index"]
    print(
        f"(index on (patient_id, token): {index['mib']:.0f} MiB, built in "
        f"{index['build_seconds']:.1f} s)"
    )


if __name__ == "__main__":
    print_table(measure(sys.argv[1]))
