"""Function fields on Query and Mutation: one call in named notation, so omitted optional
arguments take the defaults declared in SQL."""

from __future__ import annotations

from typing import Any

from jimgql.compile.context import Context
from jimgql.compile.document import Selected
from jimgql.compile.select import function_value
from jimgql.compile.values import array_text, to_text
from jimgql.schema.meta import FunctionInfo, quote_ident
from jimgql.schema.types import EnumValue, Field


def _one(scalar: str, value: Any) -> str | None:
    if isinstance(value, EnumValue):
        return value.sql
    return to_text(value, scalar)


def call_sql(ctx: Context, info: FunctionInfo, field: Field, args: dict[str, Any]) -> str:
    parts = []
    for gql_name, sql_name, pg, _has_default in info.arg_fields:
        if gql_name not in args:
            continue
        ref = field.args[gql_name].type
        scalar = ref.named
        is_list = ref.nullable.kind == "LIST"
        if is_list:
            text = ctx.leaf(args[gql_name], lambda v, s=scalar: None if v is None else
                            array_text([_one(s, x) for x in v]))
        else:
            text = ctx.leaf(args[gql_name], lambda v, s=scalar: _one(s, v))
        cast = "pg_catalog.bpchar" if pg.oid == 1042 else pg.sql
        parts.append(f"{quote_ident(sql_name)} => {text}::{cast}")
    return f"{info.func.sql_name}({', '.join(parts)})"


def value(ctx: Context, info: FunctionInfo, field: Field, args: dict[str, Any], sel: Selected) -> str:
    """The root field's answer as one SQL expression (its statement is ``select`` it)."""
    call = call_sql(ctx, info, field, args)
    return function_value(ctx, info, call, sel, args)
