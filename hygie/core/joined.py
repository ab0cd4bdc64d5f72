"""One row and its forward foreign keys, in one SELECT written once per process.

For the few queries that run on every API request (the bearer token with its
client, membership, user and practices): the ORM compiles a query with joins
anew each time (about 1.5 ms for the token's five tables on the benchmark
machine), while the query itself takes a tenth of that. `JoinedSelect` writes
the same SELECT once from the models' `_meta`, then builds the instances the way
the ORM does (`Model.from_db`, with the database's and the fields' converters)
and links them through the relations' caches, so callers get ordinary model
instances. hygie/core/tests/test_joined.py compares them with the ORM's on every
database the suite runs on.

Limits, on purpose: forward ForeignKey/OneToOne paths only, equality filters on
concrete columns of the root, at most one row (the filters name a unique row).
Anything else belongs to the ORM.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, ForeignKey, Model

M = TypeVar("M", bound=Model)
Converter = Callable[[Any, Any, BaseDatabaseWrapper], Any]


@dataclass
class _Node:
    model: type[Model]
    alias: str
    # The relation from the parent node (None for the root).
    via: ForeignKey[Any, Any] | None = None
    parent: int | None = None
    fields: list[Field[Any, Any]] = field(default_factory=list)
    attnames: list[str] = field(init=False)
    pk_index: int = field(init=False)

    def __post_init__(self) -> None:
        self.attnames = [f.attname for f in self.fields]
        pk = self.model._meta.pk
        self.pk_index = next(i for i, f in enumerate(self.fields) if f is pk)


@dataclass
class _Compiled:
    sql: str
    # Per node: (position in the node's values, the column expression, its
    # converters), only for the columns that have converters.
    converters: list[list[tuple[int, Any, list[Converter]]]]


class JoinedSelect(Generic[M]):
    """`JoinedSelect(AccessToken, ["application__practice", "membership__user"],
    "token_checksum").get(value)` is what
    `AccessToken.objects.select_related(...).filter(token_checksum=value)[:1]`
    returns, as an instance or None. With several lookups, `get` takes one value
    for each, in order (all must match)."""

    def __init__(self, model: type[M], paths: Sequence[str], *lookups: str) -> None:
        if not lookups:
            raise TypeError("JoinedSelect needs at least one lookup column")
        self.model = model
        self.nodes = [_Node(model, "t0", fields=list(model._meta.concrete_fields))]
        self.lookup_fields = [_concrete(model, name) for name in lookups]
        by_path: dict[str, int] = {"": 0}
        for path in paths:
            prefix = ""
            for name in path.split("__"):
                key = f"{prefix}__{name}" if prefix else name
                if key not in by_path:
                    parent = self.nodes[by_path[prefix]]
                    relation = parent.model._meta.get_field(name)
                    if not isinstance(relation, ForeignKey):
                        raise TypeError(f"{parent.model.__name__}.{name} is not a forward key")
                    target: type[Model] = relation.related_model
                    self.nodes.append(
                        _Node(
                            target,
                            f"t{len(self.nodes)}",
                            via=relation,
                            parent=by_path[prefix],
                            fields=list(target._meta.concrete_fields),
                        )
                    )
                    by_path[key] = len(self.nodes) - 1
                prefix = key
        self._compiled: dict[str, _Compiled] = {}

    def _compile(self, connection: BaseDatabaseWrapper) -> _Compiled:
        quote = connection.ops.quote_name
        columns: list[str] = []
        converters: list[list[tuple[int, Any, list[Converter]]]] = []
        joins: list[str] = []
        for node in self.nodes:
            node_converters = []
            for index, model_field in enumerate(node.fields):
                columns.append(f"{node.alias}.{quote(column_of(model_field))}")
                col = model_field.get_col(node.alias)
                field_converters = [
                    *connection.ops.get_db_converters(col),
                    *model_field.get_db_converters(connection),
                ]
                if field_converters:
                    node_converters.append((index, col, field_converters))
            converters.append(node_converters)
            if node.via is not None and node.parent is not None:
                parent = self.nodes[node.parent]
                target_column = column_of(node.via.target_field)
                joins.append(
                    f"LEFT OUTER JOIN {quote(node.model._meta.db_table)} {node.alias} "
                    f"ON {node.alias}.{quote(target_column)} = "
                    f"{parent.alias}.{quote(column_of(node.via))}"
                )
        where = " AND ".join(f"t0.{quote(column_of(f))} = %s" for f in self.lookup_fields)
        # Names from the models' _meta, quoted; values only ever as parameters.
        sql = (
            f"SELECT {', '.join(columns)} FROM {quote(self.model._meta.db_table)} t0 "  # noqa: S608
            f"{' '.join(joins)} WHERE {where} LIMIT 1"
        )
        return _Compiled(sql, converters)

    def get(self, *values: Any, using: str = DEFAULT_DB_ALIAS) -> M | None:
        """The row whose lookup columns equal `values` (Python values, prepared
        by their fields as the ORM would), or None."""
        if len(values) != len(self.lookup_fields):
            raise TypeError(f"expected {len(self.lookup_fields)} values, got {len(values)}")
        connection = connections[using]
        compiled = self._compiled.get(connection.vendor)
        if compiled is None:
            compiled = self._compiled[connection.vendor] = self._compile(connection)
        params = [
            f.get_db_prep_value(v, connection, prepared=False)
            for f, v in zip(self.lookup_fields, values, strict=True)
        ]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        instances: list[Model | None] = []
        start = 0
        for node, node_converters in zip(self.nodes, compiled.converters, strict=True):
            columns = list(row[start : start + len(node.fields)])
            start += len(node.fields)
            parent = instances[node.parent] if node.parent is not None else None
            if node.via is not None and (parent is None or columns[node.pk_index] is None):
                # No related row (a NULL key, or a parent that is itself absent).
                instances.append(None)
                if parent is not None:
                    setattr(parent, node.via.name, None)
                continue
            for index, expression, field_converters in node_converters:
                for converter in field_converters:
                    columns[index] = converter(columns[index], expression, connection)
            instance = node.model.from_db(using, node.attnames, columns)
            instances.append(instance)
            if parent is not None and node.via is not None:
                setattr(parent, node.via.name, instance)
        return instances[0]  # type: ignore[return-value]


def column_of(model_field: Field[Any, Any]) -> str:
    if model_field.column is None:
        raise TypeError(f"{model_field} has no column")
    return model_field.column


def _concrete(model: type[Model], name: str) -> Field[Any, Any]:
    found = model._meta.get_field(name)
    if not isinstance(found, Field) or not found.concrete:
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return found
