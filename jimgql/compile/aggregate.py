"""``aggregate { count sum { .. } avg { .. } min { .. } max { .. } }`` over a connection's
filtered rows (pagination does not apply).

pg_graphql hands aggregate numbers through a 64-bit float when they have a fractional part
(``avg`` of integers is ``2.0``, a numeric sum ``59.97``), so ``_agg_num`` renders numeric
results the same way; whole numbers stay exact integers.
"""

from __future__ import annotations

from jimgql.compile.context import Context
from jimgql.compile.document import Selected
from jimgql.compile.select import value_sql
from jimgql.compile.sql import json_object
from jimgql.errors import GraphQLError
from jimgql.schema.meta import ColumnInfo, TableInfo
from jimgql.schema.scalars import NUMERIC


def aggregate(ctx: Context, table: TableInfo, sel: Selected, source: str, t: str, where: str) -> str:
    agg_type = table.names("Aggregate")
    pairs: list[tuple[str, str]] = []
    for f in ctx.collector.fields(sel.selection_sets(), {agg_type}):
        key = ctx.text(f.alias)
        if f.name == "__typename":
            pairs.append((key, f"to_json({ctx.text(agg_type)})"))
        elif f.name == "count":
            pairs.append((key, "to_json(count(*))"))
        elif f.name in ("sum", "avg", "min", "max"):
            pairs.append((key, _part(ctx, table, f, t)))
        else:
            raise GraphQLError(f"Unknown field '{f.name}' on type '{agg_type}'")
    return f"(select {json_object(pairs)} from {source} {t}{where})"


def _part(ctx: Context, table: TableInfo, sel: Selected, t: str) -> str:
    op = sel.name
    suffix = {"sum": "SumAggregateResult", "avg": "AvgAggregateResult",
              "min": "MinAggregateResult", "max": "MaxAggregateResult"}[op]
    type_name = table.type_name + suffix
    obj = ctx.schema.get(type_name)
    pairs: list[tuple[str, str]] = []
    for f in ctx.collector.fields(sel.selection_sets(), {type_name}):
        key = ctx.text(f.alias)
        if f.name == "__typename":
            pairs.append((key, f"to_json({ctx.text(type_name)})"))
            continue
        field = getattr(obj, "fields", {}).get(f.name)
        if field is None:
            info = table.columns.get(f.name)
            if op in ("min", "max") and info is not None and info.scalar == "UUID":
                raise GraphQLError(
                    f'UUID fields (like "{f.name}") are not supported for min/max aggregation '
                    "because they don't have a meaningful natural ordering"
                )
            raise GraphQLError(f"Unknown field '{f.name}' on type '{type_name}'")
        column: ColumnInfo = field.meta
        expr = f"{op}({t}.{column.sql})"
        if column.scalar in NUMERIC:
            pairs.append((key, f"graphql._agg_num(({expr})::numeric)"))
        else:
            pairs.append((key, value_sql(ctx, column.scalar, False, expr)))
    return json_object(pairs)
