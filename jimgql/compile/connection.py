"""Connections (collections, to-many relationships, set-returning functions) to SQL.

One scalar subquery builds the whole connection object:

    (select json_build_object('edges', ..., 'pageInfo', ..., 'totalCount', ...)
       from (select t."col" as __c1, ..., row_number() over (order by O) as __n
               from <source> t where <conditions> order by O limit L + 1 offset K) __p
      group by ())

The page projects only the columns the selection reads (column privileges apply).

The page fetches one row more than it returns to answer hasNextPage (hasPreviousPage when
paginating backwards). Cursors hold the sort values then the primary key, so the order is
always total; a cursor condition is the lexicographic "comes after" over those columns,
honouring each column's direction and null placement.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jimgql.compile import cursor, filters
from jimgql.compile.context import Context
from jimgql.compile.document import Selected
from jimgql.compile.rows import ProjectedRow
from jimgql.compile.sql import json_object
from jimgql.errors import GraphQLError
from jimgql.schema.meta import ColumnInfo, TableInfo

Order = list[tuple[ColumnInfo, bool, bool]]  # (column, ascending, nulls first)


def ordering(ctx: Context, table: TableInfo, value: Any) -> Order:
    order: Order = []
    for entry in ctx.concrete(value) or []:
        for name, direction in (entry or {}).items():
            if direction is None:
                continue
            d = direction.name
            order.append((table.columns[name], d.startswith("Asc"), d.endswith("NullsFirst")))
    # The primary key always ends the order (even when already sorted on): it makes the
    # order total, and cursors carry it last, as pg_graphql's do.
    order += [(c, True, False) for c in table.pk]
    return order


def order_sql(order: Order, row: str, reverse: bool = False) -> str:
    parts = []
    for info, asc, nulls_first in order:
        if reverse:
            asc, nulls_first = not asc, not nulls_first
        parts.append(f"{row}.{info.sql} {'asc' if asc else 'desc'} nulls {'first' if nulls_first else 'last'}")
    return ", ".join(parts)


def after_sql(order: Order, row: str, cur: str, reverse: bool = False) -> str:
    """Rows strictly after the cursor ``cur`` (a jsonb array) in ``order``."""
    expr = "false"
    for i in range(len(order) - 1, -1, -1):
        info, asc, nulls_first = order[i]
        if reverse:
            asc, nulls_first = not asc, not nulls_first
        col = f"{row}.{info.sql}"
        val = f"({cur} ->> {i})::{filters.cast_of(info)}"
        cmp = ">" if asc else "<"
        if nulls_first:
            gt = f"(case when {val} is null then {col} is not null else coalesce({col} {cmp} {val}, false) end)"
        else:
            gt = f"({val} is not null and ({col} {cmp} {val} or {col} is null))"
        eq = f"{col} is not distinct from {val}"
        expr = f"(jsonb_array_length({cur}) > {i} and ({gt} or ({eq} and {expr})))"
    return expr


def cursor_sql(ctx: Context, order: Order, row: ProjectedRow) -> str:
    values = ", ".join(row.col(info.name) for info, _a, _n in order)
    return f"graphql._b64(jsonb_build_array({values}))"


def _count_arg(ctx: Context, value: Any, name: str) -> str | None:
    if value is None:
        return None

    def check(v: Any) -> str:
        if not isinstance(v, int) or v < 0:
            raise GraphQLError(f"`{name}` must be an unsigned integer")
        return str(v)

    return ctx.leaf(value, check) + "::int"


def build(ctx: Context, table: TableInfo, source: str, join: Callable[[str], list[str]],
          args: dict[str, Any], sel: Selected) -> str:
    from jimgql.compile.select import record  # noqa: PLC0415 - mutual recursion

    ctx.reads.add(table.oid)
    first, last = args.get("first"), args.get("last")
    before, after = args.get("before"), args.get("after")
    offset = args.get("offset")
    if first is not None and last is not None:
        raise GraphQLError('only one of "first" and "last" may be provided')
    if before is not None and after is not None:
        raise GraphQLError('only one of "before" and "after" may be provided')
    if first is not None and before is not None:
        raise GraphQLError('"first" may only be used with "after"')
    if last is not None and after is not None:
        raise GraphQLError('"last" may only be used with "before"')
    if offset is not None and (last is not None or before is not None):
        raise GraphQLError('"offset" may only be used with "first" and "after"')
    backward = last is not None or before is not None
    t = ctx.alias()
    conds = join(t)
    condition = filters.where(ctx, table, args.get("filter"), t)
    if condition:
        conds.append(condition)
    order = ordering(ctx, table, args.get("orderBy"))
    size = _count_arg(ctx, last if backward else first, "last" if backward else "first")
    limit = f"least({size}, {table.max_rows})" if size else str(table.max_rows)
    skip = _count_arg(ctx, offset, "offset")
    cur_value = before if backward else after
    cur = None
    if cur_value is not None:
        keys = len(order)
        cur = ctx.leaf(cur_value,
                       lambda v: cursor.decode_cursor(v, keys) if v is not None else None) + "::jsonb"
    page_conds = list(conds)
    if cur:
        page_conds.append(after_sql(order, t, cur, reverse=backward))
    where = " where " + " and ".join(page_conds) if page_conds else ""
    base_where = " where " + " and ".join(conds) if conds else ""
    window = order_sql(order, t, reverse=backward)
    p = "__p" + t[3:]  # the page's alias: unique, so nested connections never shadow it
    in_page = f"{p}.__n <= {limit}" + (f" + coalesce({skip}, 0)" if skip else "")
    agg_order = f"{p}.__n desc" if backward else f"{p}.__n"
    row = ProjectedRow(t, p)

    conn_type = table.names("Connection")
    pairs: list[tuple[str, str]] = []
    for f in ctx.collector.fields(sel.selection_sets(), {conn_type}):
        key = ctx.text(f.alias)
        if f.name == "__typename":
            pairs.append((key, f"to_json({ctx.text(conn_type)})"))
        elif f.name == "edges":
            edge = _edge(ctx, table, order, row, f, record)
            pairs.append((key, f"coalesce(json_agg({edge} order by {agg_order}) filter (where {in_page}), '[]'::json)"))
        elif f.name == "pageInfo":
            pairs.append((key, _page_info(ctx, table, order, f, source, t, base_where, cur,
                                          backward, limit, in_page, agg_order, skip, row)))
        elif f.name == "totalCount" and table.total_count:
            pairs.append((key, f"(select count(*) from {source} {t}{base_where})"))
        elif f.name == "aggregate" and table.aggregate:
            from jimgql.compile.aggregate import aggregate  # noqa: PLC0415

            pairs.append((key, aggregate(ctx, table, f, source, t, base_where)))
        else:
            raise GraphQLError("unknown field in connection")
    columns = ", ".join([*row.projection(), f"row_number() over (order by {window}) as __n"])
    page = (
        f"select {columns} from {source} {t}{where} order by {window} limit {limit} + 1"
        + (f" offset {skip}" if skip else "")
    )
    # group by (): one row even when the page is empty and no aggregate is selected
    return f"(select {json_object(pairs)} from ({page}) {p} group by ())"


def _edge(ctx: Context, table: TableInfo, order: Order, row: ProjectedRow, sel: Selected,
          record: Any) -> str:
    edge_type = table.names("Edge")
    pairs: list[tuple[str, str]] = []
    for f in ctx.collector.fields(sel.selection_sets(), {edge_type}):
        key = ctx.text(f.alias)
        if f.name == "__typename":
            pairs.append((key, f"to_json({ctx.text(edge_type)})"))
        elif f.name == "cursor":
            pairs.append((key, f"to_json({cursor_sql(ctx, order, row)})"))
        elif f.name == "node":
            pairs.append((key, record(ctx, table, row, f)))
        else:
            raise GraphQLError("unknown field in connection")
    return json_object(pairs)


def _page_info(ctx: Context, table: TableInfo, order: Order, sel: Selected, source: str, t: str,
               base_where: str, cur: str | None, backward: bool, limit: str, in_page: str,
               agg_order: str, skip: str | None, row: ProjectedRow) -> str:
    more = f"count(*) > {limit}"
    if cur:
        outside = ("exists (select 1 from " + source + " " + t + base_where
                   + (" and " if base_where else " where ") + f"not {after_sql(order, t, cur, backward)})")
    elif skip:
        outside = f"coalesce({skip}, 0) > 0"
    else:
        outside = "false"
    has_next, has_prev = (outside, more) if backward else (more, outside)
    cursors = f"jsonb_agg({cursor_sql(ctx, order, row)} order by {agg_order}) filter (where {in_page})"
    pairs: list[tuple[str, str]] = []
    for f in ctx.collector.fields(sel.selection_sets(), {"PageInfo"}):
        key = ctx.text(f.alias)
        if f.name == "__typename":
            pairs.append((key, f"to_json({ctx.text('PageInfo')})"))
        elif f.name == "hasNextPage":
            pairs.append((key, f"to_json({has_next})"))
        elif f.name == "hasPreviousPage":
            pairs.append((key, f"to_json({has_prev})"))
        elif f.name == "startCursor":
            pairs.append((key, f"({cursors}) -> 0"))
        elif f.name == "endCursor":
            pairs.append((key, f"({cursors}) -> -1"))
        else:
            raise GraphQLError(f"Unknown field '{f.name}' on type 'PageInfo'")
    return json_object(pairs)
