"""Records to JSON: the object a row becomes, built by ``json_build_object`` in SQL.

``row`` (see ``rows.py``) reads the columns the fields need; computed fields call
``f(<whole row>)``. Nested relationships are correlated subqueries, so a whole tree is one
statement.
"""

from __future__ import annotations

import json

from jimgql.compile import connection
from jimgql.compile.context import Context
from jimgql.compile.document import Selected
from jimgql.compile.rows import AliasRow, ProjectedRow
from jimgql.compile.sql import json_object
from jimgql.errors import GraphQLError, unknown_field
from jimgql.schema.meta import (
    ColumnField,
    ColumnInfo,
    FunctionInfo,
    NodeIdField,
    Relationship,
    TableInfo,
    quote_ident,
)
from jimgql.schema.types import EnumType, Field

STRINGIFIED = ("BigInt", "BigFloat", "JSON")
Row = AliasRow | ProjectedRow


def value_sql(ctx: Context, scalar: str, is_list: bool, expr: str) -> str:
    """A SQL value as the JSON pg_graphql returns for its GraphQL type."""
    if is_list:
        if scalar in STRINGIFIED:
            return f"to_json(({expr})::text[])"
        return f"to_json({expr})"
    if scalar in STRINGIFIED:
        return f"to_json(({expr})::text)"
    enum = ctx.schema.get(scalar)
    if isinstance(enum, EnumType):
        renamed = {v.sql: v.name for v in enum.values if v.sql != v.name}
        if renamed:
            mapping = ctx.params.const(json.dumps(renamed))
            return f"to_json(coalesce({mapping}::jsonb ->> ({expr})::text, ({expr})::text))"
    return f"to_json({expr})"


def column_sql(ctx: Context, info: ColumnInfo, row: Row) -> str:
    return value_sql(ctx, info.scalar, info.is_list, row.col(info.name))


def node_id_sql(ctx: Context, table: TableInfo, row: Row) -> str:
    parts = [ctx.text(table.rel.schema), ctx.text(table.rel.name)]
    parts += [row.col(c.name) for c in table.pk]
    return f"to_json(graphql._b64(jsonb_build_array({', '.join(parts)})))"


def record(ctx: Context, table: TableInfo, row: Row, sel: Selected,
           type_names: set[str] | None = None) -> str:
    """The JSON object for one row of ``table`` with the fields ``sel`` asks for."""
    ctx.reads.add(table.oid)
    obj = ctx.schema.object(table.type_name)
    names = type_names or {table.type_name, "Node"}
    pairs: list[tuple[str, str]] = []
    for f in ctx.collector.fields(sel.selection_sets(), names):
        key = ctx.text(f.alias)
        if f.name == "__typename":
            pairs.append((key, f"to_json({ctx.text(table.type_name)})"))
            continue
        field = obj.fields.get(f.name)
        if field is None:
            raise unknown_field(f.name, table.type_name)
        meta = field.meta
        if isinstance(meta, ColumnField):
            pairs.append((key, column_sql(ctx, meta.info, row)))
        elif isinstance(meta, NodeIdField):
            pairs.append((key, node_id_sql(ctx, table, row)))
        elif isinstance(meta, Relationship):
            pairs.append((key, relationship(ctx, meta, field, row, f)))
        elif isinstance(meta, FunctionInfo):
            args = ctx.arguments(f, field)
            call = f"{meta.func.sql_name}({row.whole()})"
            pairs.append((key, function_value(ctx, meta, call, f, args)))
        else:
            raise GraphQLError(f"Unknown field '{f.name}' on type '{table.type_name}'")
    return json_object(pairs)


def relationship(ctx: Context, rel: Relationship, field: Field, row: Row, sel: Selected) -> str:
    alias = ctx.alias()
    sources = [row.col(s) for s in rel.source_columns]

    def join(target_alias: str) -> list[str]:
        return [
            f"{target_alias}.{quote_ident(t)} = {s}"
            for s, t in zip(sources, rel.target_columns, strict=True)
        ]

    args = ctx.arguments(sel, field)
    if rel.many:
        return connection.build(ctx, rel.target, rel.target.sql, join, args, sel)
    inner = record(ctx, rel.target, AliasRow(alias), sel)
    cond = " and ".join(join(alias))
    return f"(select {inner} from {rel.target.sql} {alias} where {cond} limit 1)"


def function_value(ctx: Context, info: FunctionInfo, call: str, sel: Selected,
                   args: dict | None = None) -> str:
    """The JSON of a function call's result, for every supported return shape."""
    if info.returns in ("scalar", "list"):
        assert info.return_scalar is not None
        return value_sql(ctx, info.return_scalar, info.returns == "list", call)
    assert info.table is not None
    if info.returns == "record":
        alias = ctx.alias()
        inner = record(ctx, info.table, AliasRow(alias), sel)
        return f"(select {inner} from {call} {alias} where not ({alias} is null) limit 1)"
    return connection.build(ctx, info.table, call, lambda _a: [], args or {}, sel)

