"""Relationships: foreign keys (and ``foreign_keys`` directives on views) become fields.

A key from ``local`` to ``foreign`` gives the local type a to-one field and the foreign type
a connection back, or a single record when the local columns are unique (one-to-one).
Names follow pg_graphql: ``foreign_name``/``local_name`` directives win; otherwise the
to-one field is named after a ``*_id``/``*Id`` column or after the foreign type, and the
reverse after the local type (``<type>Collection`` for connections).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jimgql import directives, inflect
from jimgql.schema.meta import Relationship, TableInfo
from jimgql.schema.types import Field, ObjectType, named, non_null

if TYPE_CHECKING:
    from jimgql.schema.builder import Builder


def add_relationships(b: Builder) -> None:
    by_name = {(t.rel.schema, t.rel.name): t for t in b.tables.values()}
    for fk in b.catalog.foreign_keys:
        local, foreign = b.tables.get(fk.local_oid), b.tables.get(fk.foreign_oid)
        if local is None or foreign is None:
            continue
        _add(b, local, fk.local_columns, foreign, fk.foreign_columns, fk.directive)
    for table in list(b.tables.values()):
        for entry in directives.foreign_keys(table.rel.directive):
            foreign = by_name.get((entry.get("foreign_schema") or table.rel.schema,
                                   entry["foreign_table"]))
            if foreign is None:
                continue
            _add(b, table, entry["local_columns"], foreign, entry["foreign_columns"], entry)


def _add(b: Builder, local: TableInfo, lcols: list[str], foreign: TableInfo, fcols: list[str],
         directive: dict[str, Any]) -> None:
    if len(lcols) != len(fcols) or not lcols:
        return
    lmeta = [local.by_column.get(c) for c in lcols]
    fmeta = [foreign.by_column.get(c) for c in fcols]
    if any(m is None or not m.column.can_select for m in lmeta + fmeta):
        return
    local_obj, foreign_obj = b.types[local.type_name], b.types[foreign.type_name]
    assert isinstance(local_obj, ObjectType) and isinstance(foreign_obj, ObjectType)

    # To-one on the local side: non-null when every column is NOT NULL and no row-level
    # security on the target could hide the referenced row.
    to_one = directive.get("foreign_name")
    if not isinstance(to_one, str) or not to_one:
        to_one = (inflect.to_one_name(lcols[0], foreign.type_name, local.inflect)
                  if len(lcols) == 1 else inflect.lower_first(foreign.type_name))
    required = (all(m.column.not_null or directives.not_null(m.column.directive) for m in lmeta if m)
                and not foreign.rel.row_security)
    if inflect.is_valid_name(to_one) and to_one not in local_obj.fields:
        local_obj.fields[to_one] = Field(
            to_one, non_null(foreign.type_name) if required else named(foreign.type_name),
            meta=Relationship(local, foreign, lcols, fcols, many=False, nullable=not required),
        )

    # The reverse side: one record when the local columns are unique, else a connection.
    unique = any(sorted(u) == sorted(lcols) for u in local.rel.unique_sets) or (
        sorted(c.name for c in local.pk) == sorted(lcols)
    )
    reverse = directive.get("local_name")
    if not isinstance(reverse, str) or not reverse:
        base = inflect.lower_first(local.type_name)
        reverse = base if unique else base + "Collection"
    if not inflect.is_valid_name(reverse) or reverse in foreign_obj.fields:
        return
    rel = Relationship(foreign, local, fcols, lcols, many=not unique)
    if unique:
        foreign_obj.fields[reverse] = Field(reverse, named(local.type_name), meta=rel)
    else:
        foreign_obj.fields[reverse] = Field(
            reverse, named(local.names("Connection")), args=b.collection_args(local), meta=rel,
        )
