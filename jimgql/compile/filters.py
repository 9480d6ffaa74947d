"""``filter`` arguments to SQL conditions on one table alias.

Empty entries are ignored (``{}``, an ``or``/``and`` of empty entries, operators whose
variable is absent), so a filter that says nothing filters nothing. Operator values go
through bound parameters cast to the column's type; a literal ``null`` compares with SQL
NULL (matching nothing), as in pg_graphql.
"""

from __future__ import annotations

import json
from typing import Any

from jimgql.compile import cursor
from jimgql.compile.context import Context
from jimgql.compile.values import array_text, to_text
from jimgql.errors import GraphQLError
from jimgql.schema.meta import ColumnInfo, TableInfo
from jimgql.schema.types import EnumValue

COMPARE = {"eq": "=", "neq": "<>", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}
LIST_OPS = {"contains": "@>", "containedBy": "<@", "overlaps": "&&", "eq": "="}


def cast_of(info: ColumnInfo, element: bool = False) -> str:
    pg = info.elem_pg if element and info.elem_pg is not None else info.pg
    return "pg_catalog.bpchar" if pg.oid == 1042 else pg.sql


def max_length(info: ColumnInfo) -> int | None:
    """varchar(n) / char(n): pg_graphql checks input lengths before they reach SQL."""
    pg = info.elem_pg if info.is_list and info.elem_pg is not None else info.pg
    typmod = info.column.typmod
    if pg.oid in (1043, 1042) and typmod > 4:
        return typmod - 4
    return None


def scalar_text(info: ColumnInfo, value: Any, *, check_length: bool = True) -> str | None:
    if isinstance(value, EnumValue):
        return value.sql
    limit = max_length(info) if check_length else None
    if limit is not None and isinstance(value, str) and len(value) > limit:
        raise GraphQLError(f"Invalid input for String type. Maximum character length {limit}")
    return to_text(value, info.scalar)


def list_text(info: ColumnInfo, values: Any) -> str | None:
    if values is None:
        return None
    return array_text([scalar_text(info, v) for v in values])


def where(ctx: Context, table: TableInfo, value: Any, alias: str) -> str | None:
    """The condition for one filter object, or None when it filters nothing."""
    if not isinstance(value, dict):
        return None
    parts = []
    for key, item in value.items():
        if key in table.columns:  # a column may be named and/or/not: the column wins
            info = table.columns[key]
            for op, operand in (item or {}).items():
                parts.append(_column_op(ctx, info, op, operand, alias))
        elif key == "and":
            subs = [s for s in (where(ctx, table, v, alias) for v in (item or [])) if s]
            if subs:
                parts.append("(" + " and ".join(subs) + ")")
        elif key == "or":
            subs = [s for s in (where(ctx, table, v, alias) for v in (item or [])) if s]
            if subs:
                parts.append("(" + " or ".join(subs) + ")")
        elif key == "not":
            sub = where(ctx, table, item, alias)
            if sub:  # the entries of one object are and-ed: negate them as a whole
                parts.append(f"(not ({sub}))")
        elif key == "nodeId":
            part = _node_id(ctx, table, item, alias)
            if part:
                parts.append(part)
    return " and ".join(parts) if parts else None


def _column_op(ctx: Context, info: ColumnInfo, op: str, operand: Any, alias: str) -> str:
    column = f"{alias}.{info.sql}"
    if op == "is":
        if operand is None:
            raise GraphQLError("Error transpiling Is filter value type")
        value = ctx.concrete(operand)
        return f"{column} is {'not ' if value.name == 'NOT_NULL' else ''}null"
    if info.is_list:
        param = ctx.leaf(operand, lambda v: list_text(info, v))
        return f"{column} {LIST_OPS[op]} {param}::{cast_of(info)}"
    if op == "in":
        param = ctx.leaf(operand, lambda v: list_text(info, v))
        return f"{column} = any({param}::{cast_of(info)}[])"
    pattern = op in ("startsWith", "like", "ilike", "regex", "iregex")
    param = ctx.leaf(operand, lambda v: scalar_text(info, v, check_length=not pattern))
    if op in COMPARE:
        return f"{column} {COMPARE[op]} {param}::{cast_of(info)}"
    if op == "startsWith":
        return f"starts_with({column}::text, {param}::text)"
    sql_op = {"like": "like", "ilike": "ilike", "regex": "~", "iregex": "~*"}[op]
    return f"{column}::text {sql_op} {param}::text"


def _node_id(ctx: Context, table: TableInfo, item: Any, alias: str) -> str | None:
    if not isinstance(item, dict) or "eq" not in item:
        return None
    expected = (table.rel.schema, table.rel.name)

    def pk_values(value: Any) -> str | None:
        if value is None:
            return None
        schema, name, keys = cursor.decode_node_id(value)
        if (schema, name) != expected or len(keys) != len(table.pk):
            raise GraphQLError("nodeId belongs to a different collection")
        return json.dumps(keys)

    param = ctx.leaf(item["eq"], pk_values)
    conds = [
        f"{alias}.{info.sql} = ({param}::jsonb ->> {i})::{cast_of(info)}"
        for i, info in enumerate(table.pk)
    ]
    return "(" + " and ".join(conds) + ")"
