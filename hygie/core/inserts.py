"""INSERT of one new instance, with the statement written once per process.

For the one insert on every API request (its audit event): `Model.save()` builds
and compiles an INSERT each time (about 0.4 ms for the audit event's 20 columns
on the benchmark machine). `Insert` prepares each value exactly as the ORM does
(`field.pre_save(obj, add=True)`, then `field.get_db_prep_save`), sends the same
statement, and sets the generated primary key and the instance's state as
`save()` would. It sends no model signals and skips `Model.save()` overrides:
only for models whose writes are already confined to one function (the audit
log's `_append`). hygie/audit/tests/test_event_insert.py checks the rows equal
the ORM's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model

from .joined import column_of

M = TypeVar("M", bound=Model)


@dataclass
class _Compiled:
    sql: str
    returns_pk: bool
    # For save_new_many: the statement up to VALUES, one row's placeholders, and
    # the RETURNING clause ("" without one).
    head: str = ""
    row: str = ""
    returning: str = ""


# Rows per multi-row INSERT: under SQLite's oldest limit of 999 parameters.
_MAX_PARAMETERS = 999


class Insert(Generic[M]):
    def __init__(self, model: type[M]) -> None:
        self.model = model
        pk = model._meta.pk
        # A database-generated key (AutoField) is left out and read back, as the ORM
        # does; any other key is a value like the others.
        self.generated_pk = pk if pk is not None and pk.db_returning else None
        self.fields: list[Field[Any, Any]] = [
            f for f in model._meta.local_concrete_fields if f is not self.generated_pk
        ]
        self._compiled: dict[str, _Compiled] = {}

    def _compile(self, connection: BaseDatabaseWrapper) -> _Compiled:
        quote = connection.ops.quote_name
        columns = ", ".join(quote(column_of(f)) for f in self.fields)
        placeholders = ", ".join(["%s"] * len(self.fields))
        # Names from the model's _meta, quoted; values only ever as parameters.
        table = quote(self.model._meta.db_table)
        head = f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608
        row = f"({placeholders})"
        returns_pk = bool(
            self.generated_pk is not None and connection.features.can_return_columns_from_insert
        )
        returning = ""
        if returns_pk and self.generated_pk is not None:
            returning = f" RETURNING {quote(column_of(self.generated_pk))}"
        return _Compiled(head + row + returning, returns_pk, head, row, returning)

    def _compiled_for(self, connection: BaseDatabaseWrapper) -> _Compiled:
        compiled = self._compiled.get(connection.vendor)
        if compiled is None:
            compiled = self._compiled[connection.vendor] = self._compile(connection)
        return compiled

    def _params(self, instance: M, connection: BaseDatabaseWrapper) -> list[Any]:
        if not instance._state.adding:
            raise ValueError(f"{instance!r} is already saved")
        return [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in self.fields]

    def save_new_many(self, instances: list[M], using: str = DEFAULT_DB_ALIAS) -> None:
        """Inserts `instances` with one multi-row INSERT per batch. The generated
        keys come back in the rows' order, which Django's bulk_create relies on
        too (PostgreSQL, SQLite >= 3.35); without RETURNING, one INSERT each."""
        connection = connections[using]
        compiled = self._compiled_for(connection)
        if self.generated_pk is not None and not compiled.returns_pk:
            for instance in instances:
                self.save_new(instance, using)
            return
        per_batch = max(1, _MAX_PARAMETERS // max(1, len(self.fields)))
        for start in range(0, len(instances), per_batch):
            batch = instances[start : start + per_batch]
            params = [value for instance in batch for value in self._params(instance, connection)]
            sql = compiled.head + ", ".join([compiled.row] * len(batch)) + compiled.returning
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                keys = cursor.fetchall() if compiled.returns_pk else []
            if self.generated_pk is not None and len(keys) != len(batch):
                raise RuntimeError(f"INSERT returned {len(keys)} keys for {len(batch)} rows")
            for index, instance in enumerate(batch):
                if self.generated_pk is not None:
                    setattr(instance, self.generated_pk.attname, keys[index][0])
                instance._state.adding = False
                instance._state.db = using

    def save_new(self, instance: M, using: str = DEFAULT_DB_ALIAS) -> None:
        """Inserts `instance` (which must not be in the database yet)."""
        if not instance._state.adding:
            raise ValueError(f"{instance!r} is already saved")
        connection = connections[using]
        compiled = self._compiled.get(connection.vendor)
        if compiled is None:
            compiled = self._compiled[connection.vendor] = self._compile(connection)
        params = [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in self.fields]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            if self.generated_pk is not None:
                if compiled.returns_pk:
                    # An integer key (AutoField family): no converter applies.
                    value = cursor.fetchone()[0]
                else:
                    value = connection.ops.last_insert_id(
                        cursor, self.model._meta.db_table, column_of(self.generated_pk)
                    )
                setattr(instance, self.generated_pk.attname, value)
        instance._state.adding = False
        instance._state.db = using
