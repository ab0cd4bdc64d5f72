"""Loading the CIM-10 list into the database: the one writer of this app.

The whole file is read and checked before anything is written; the old list is
then replaced in one transaction, so a reader sees the old list or the new one,
never a mix or an empty table (PostgreSQL's snapshots, SQLite's WAL). Loading the
file already loaded (same SHA-256) writes nothing."""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.db.models import Field, Model

from hygie.core import clock

from .enums import PmsiType
from .models import Cim10Code, Cim10Release, Cim10Word, Cim10WordCount
from .queries import current_release
from .source import Cim10File, Row, file_source, packaged_source, read_bytes, read_cim10
from .text import dotted

# Rows per executemany on SQLite (a list of tuples held in memory at a time).
BATCH_SIZE = 10_000


@dataclass(frozen=True)
class LoadReport:
    # False: the file was already the loaded list; nothing was written.
    loaded: bool
    release: Cim10Release
    seconds: float


def load_cim10(path: Path | None = None) -> LoadReport:
    """Load the CIM-10 from `path`, or from the installed edsnlp package when None.

    Raises source.Cim10SourceError (nothing written) when the package or file is
    missing, or when any row is invalid."""
    started = time.perf_counter()
    source = packaged_source() if path is None else file_source(path)
    raw = read_bytes(source)
    current = current_release()
    if current is not None and current.sha256 == hashlib.sha256(raw).hexdigest():
        return LoadReport(False, current, time.perf_counter() - started)
    checked = read_cim10(source, raw)
    with transaction.atomic():
        # Two loads at once queue here rather than interleave: this locks the
        # current release row on PostgreSQL (SQLite's IMMEDIATE transactions
        # already queue writers). Only the same list can be written twice.
        current = current_release(for_update=True)
        if current is not None and current.sha256 == checked.sha256:
            return LoadReport(False, current, time.perf_counter() - started)
        release = _replace_list(checked)
    _vacuum(Cim10Code, Cim10Word, Cim10WordCount)
    return LoadReport(True, release, time.perf_counter() - started)


def _replace_list(checked: Cim10File) -> Cim10Release:
    # No signal, no cascade (DO_NOTHING): each is one DELETE statement.
    Cim10Word.objects.all().delete()
    Cim10WordCount.objects.all().delete()
    Cim10Code.objects.all().delete()
    ranked = sorted(checked.rows, key=lambda row: (len(row.compact), len(row.label), row.compact))
    ids = {row.compact: rank for rank, row in enumerate(ranked)}
    _insert(Cim10Code, CODE_COLUMNS, (_code(row, ids) for row in ranked))
    _insert(Cim10Word, ("code", "word"), _words(ranked, ids))
    counts = Counter(word for _, word in _words(ranked, ids))
    _insert(Cim10WordCount, ("word", "codes"), counts.items())
    _analyze(Cim10Code, Cim10Word, Cim10WordCount)
    source = checked.source
    return Cim10Release.objects.create(
        source_file=source.name,
        package=source.package,
        package_version=source.package_version,
        sha256=checked.sha256,
        codes=len(checked.rows),
        selectable_codes=sum(row.pmsi_type != PmsiType.NOT_CODABLE for row in checked.rows),
        loaded_at=clock.now(),
    )


def _insert(model: type[Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Write rows of plain values (str, int, bool, None) the fastest way each
    database offers. bulk_create builds and prepares a model instance per row:
    with it a load (650,000 rows) took 19 s on SQLite, against 4-5 s this way.
    These values need no conversion by the ORM, and the statements name only the
    model's own table and columns (decision 0012, docs/performance.md)."""
    meta = model._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    columns = ", ".join(quote(_column(model, name)) for name in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: one stream, no SQL to parse per row (multi-row INSERTs spent
            # most of their time in psycopg's parsing of the placeholders).
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        # SQLite: one prepared statement, run for each row.
        marks = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608
        remaining = iter(rows)
        while batch := list(islice(remaining, BATCH_SIZE)):
            cursor.executemany(sql, batch)


def _column(model: type[Model], name: str) -> str:
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or field.column is None:
        raise TypeError(f"{model.__name__}.{name} has no column")
    return field.column


def _analyze(*models: type[Model]) -> None:
    """Fresh planner statistics for the new rows (same statement on both
    databases). Without them PostgreSQL guessed a search would find its page
    early in the list and read all 43,000 codes (50 ms instead of 2); autovacuum
    would fix it, some time after the load."""
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _vacuum(*models: type[Model]) -> None:
    """PostgreSQL only, after commit: remove the replaced list's 650,000 dead rows
    now rather than at autovacuum's next pass, and mark the pages all-visible so
    that index-only scans need not visit the table. Searches right after an
    upgrade of edsnlp took up to 70 ms without it. VACUUM cannot run in a
    transaction: a caller's own atomic block leaves it to autovacuum. SQLite has
    no dead rows to remove (its VACUUM would rewrite the whole database)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"VACUUM {connection.ops.quote_name(model._meta.db_table)}")


CODE_COLUMNS = (
    "id",
    "compact",
    "code",
    "label",
    "category",
    "parent",
    "depth",
    "pmsi_type",
    "selectable",
    "withdrawn_in",
)


def _code(row: Row, ids: dict[str, int]) -> tuple[object, ...]:
    """A Cim10Code row, in the order of CODE_COLUMNS."""
    compact = row.compact
    # The nearest coded ancestor: "F03+00" → "F03+0", "B24+0" → "B24" ("B24+" is no code).
    parent = next(
        (ids[compact[:n]] for n in range(len(compact) - 1, 2, -1) if compact[:n] in ids), None
    )
    return (
        ids[compact],
        compact,
        dotted(compact),
        row.label,
        ids[compact[:3]],
        parent,
        len(compact) - 3,
        int(row.pmsi_type),
        row.pmsi_type != PmsiType.NOT_CODABLE,
        row.withdrawn_in,
    )


def _words(rows: list[Row], ids: dict[str, int]) -> Iterator[tuple[int, str]]:
    """The index: every word of every code a search may find (not the withdrawn)."""
    for row in rows:
        if row.withdrawn_in is None:
            for word in row.words:
                yield ids[row.compact], word
