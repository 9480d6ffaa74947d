"""The reflected catalog: what the calling role may see of the exposed schemas.

Plain records filled by ``reflect.py`` from one JSON document. Privileges are already
evaluated for the calling role, so everything downstream works from this snapshot only.
"""

from __future__ import annotations

from typing import Any

from jimgql.record import field, record


@record
class Schema:
    oid: int
    name: str
    directive: dict[str, Any]


@record
class Column:
    name: str
    attnum: int
    type_oid: int
    typmod: int
    not_null: bool
    has_default: bool
    is_serial: bool
    identity: str  # '' | 'a' (always) | 'd' (by default)
    generated: str  # '' | 's' (stored)
    directive: dict[str, Any]
    can_select: bool
    can_insert: bool
    can_update: bool


@record
class Relation:
    oid: int
    schema: str
    name: str
    kind: str  # r, p, v, m, f
    type_oid: int  # the row type
    row_security: bool
    directive: dict[str, Any]
    columns: list[Column]
    primary_key: list[str]
    unique_sets: list[list[str]]
    can_select: bool
    can_insert: bool
    can_update: bool
    can_delete: bool
    # primary key and unique constraints: (name, columns)
    constraints: list[tuple[str, list[str]]] = field(default_factory=list)

    def column(self, name: str) -> Column | None:
        for col in self.columns:
            if col.name == name:
                return col
        return None


@record
class ForeignKey:
    name: str
    directive: dict[str, Any]
    local_oid: int
    local_columns: list[str]
    foreign_oid: int
    foreign_columns: list[str]


@record
class PgType:
    oid: int
    schema: str
    name: str
    sql: str  # format_type(oid, null): quoted, qualified when needed; used in casts
    kind: str  # b base, e enum, c composite, d domain, r range, p pseudo, m multirange
    category: str
    elem: int  # element type of an array, else 0
    base: int  # base type of a domain, else 0
    relid: int  # relation of a composite row type, else 0
    labels: list[str]
    directive: dict[str, Any]
    usable: bool


@record
class Function:
    oid: int
    schema: str
    name: str
    sql_name: str  # schema-qualified, quoted
    arg_names: list[str]
    arg_types: list[int]
    arg_defaults: list[str | None]  # default expression per input argument
    return_type: int
    returns_set: bool
    rows: float
    volatility: str  # i, s, v
    is_variadic: bool
    directive: dict[str, Any]
    has_out_args: bool
    overloaded: bool  # another function of the same schema has the same name


@record
class Catalog:
    schemas: list[Schema]
    relations: list[Relation]
    foreign_keys: list[ForeignKey]
    types: dict[int, PgType]
    functions: list[Function]
    search_path: list[str] = field(default_factory=list)

    def relation(self, oid: int) -> Relation | None:
        for rel in self.relations:
            if rel.oid == oid:
                return rel
        return None
