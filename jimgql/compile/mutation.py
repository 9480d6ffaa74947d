"""insertInto / update / deleteFrom ``<Type>Collection`` to one data-modifying statement.

The write happens in a CTE whose ``returning`` projects the columns the ``records``
selection reads (relationships and computed fields included), so the written rows are read
back in the same statement. ``atMost`` is enforced in SQL: when more rows match,
``graphql._raise`` aborts the statement and the write is undone with it.
"""

from __future__ import annotations

from typing import Any

from jimgql.compile import filters
from jimgql.compile.context import Context
from jimgql.compile.document import Selected
from jimgql.compile.rows import ProjectedRow
from jimgql.compile.sql import json_object
from jimgql.compile.values import to_text
from jimgql.errors import GraphQLError
from jimgql.schema.meta import ColumnInfo, MutationRoot, TableInfo, quote_ident


def build(ctx: Context, root: MutationRoot, args: dict[str, Any], sel: Selected) -> str:
    table = root.table
    ctx.writes.add(table.oid)
    t = ctx.alias()
    if root.kind == "insert":
        write = _insert(ctx, table, args, t)
    elif root.kind == "update":
        write = _update(ctx, table, args, t)
    else:
        where = filters.where(ctx, table, args.get("filter"), t)
        write = f"delete from {table.sql} as {t}" + (f" where {where}" if where else "")
    row = ProjectedRow(t, "__w")
    body = _response(ctx, table, root.kind, sel, row)
    returning = ", ".join(row.projection()) or "1 as __one"
    if root.kind == "insert":
        return f"with __w as ({write} returning {returning}) select {body}"
    at_most = ctx.leaf(args.get("atMost", 1), lambda v: to_text(v, "Int")) + "::int"
    message = ctx.text(f"{root.kind} impacts too many records")
    return (
        f"with __w as ({write} returning {returning}) "
        f"select case when (select count(*) from __w) > {at_most} "
        f"then graphql._raise({message})::json else {body} end"
    )


def _value(ctx: Context, info: ColumnInfo, value: Any) -> str:
    if info.is_list:
        text = ctx.leaf(value, lambda v: filters.list_text(info, v))
    else:
        text = ctx.leaf(value, lambda v: filters.scalar_text(info, v))
    return f"{text}::{filters.cast_of(info)}"


def _insert(ctx: Context, table: TableInfo, args: dict[str, Any], t: str) -> str:
    objects = args["objects"]
    if not objects:
        raise GraphQLError("At least one record must be provided to objects")
    columns: list[str] = []
    for obj in objects:
        for name in obj:
            if name not in columns:
                columns.append(name)
    if not columns:
        if len(objects) == 1:
            return f"insert into {table.sql} as {t} default values"
        return _defaults_only(table, t, len(objects))
    infos = [table.insert_columns[name] for name in columns]
    rows = []
    for obj in objects:
        cells = [
            _value(ctx, info, obj[name]) if name in obj else "default"
            for name, info in zip(columns, infos, strict=True)
        ]
        rows.append("(" + ", ".join(cells) + ")")
    names = ", ".join(info.sql for info in infos)
    insert = f"insert into {table.sql} as {t} ({names}) values " + ", ".join(rows)
    return insert + _on_conflict(ctx, table, args.get("onConflict"), t)


def _on_conflict(ctx: Context, table: TableInfo, value: Any, t: str) -> str:
    """``on conflict on constraint <c> do update set <fields> = excluded.<fields> [where ...]``;
    no update fields means ``do nothing``. The filter sees the existing row."""
    spec = ctx.concrete(value)
    if not spec:
        return ""
    constraint = quote_ident(spec["constraint"].sql)
    fields = [table.by_column[f.sql] for f in spec.get("updateFields") or []]
    if not fields:
        return f" on conflict on constraint {constraint} do nothing"
    sets = ", ".join(f"{info.sql} = excluded.{info.sql}" for info in fields)
    where = filters.where(ctx, table, spec.get("filter"), t)
    return (f" on conflict on constraint {constraint} do update set {sets}"
            + (f" where {where}" if where else ""))


def _defaults_only(table: TableInfo, t: str, count: int) -> str:
    """Several rows that all take every default: VALUES needs a column, so repeat one."""
    column = next(iter(table.insert_columns.values()))
    values = ", ".join(["(default)"] * count)
    return f"insert into {table.sql} as {t} ({column.sql}) values {values}"


def _update(ctx: Context, table: TableInfo, args: dict[str, Any], t: str) -> str:
    changes = args.get("set") or {}
    if not changes:
        raise GraphQLError("At least one mapping must be provided to set argument")
    assignments = ", ".join(
        f"{table.update_columns[name].sql} = {_value(ctx, table.update_columns[name], value)}"
        for name, value in changes.items()
    )
    where = filters.where(ctx, table, args.get("filter"), t)
    return f"update {table.sql} as {t} set {assignments}" + (f" where {where}" if where else "")


def _response(ctx: Context, table: TableInfo, kind: str, sel: Selected, row: ProjectedRow) -> str:
    from jimgql.compile.select import record  # noqa: PLC0415 - mutual recursion

    type_name = table.type_name + {"insert": "InsertResponse", "update": "UpdateResponse",
                                   "delete": "DeleteResponse"}[kind]
    pairs: list[tuple[str, str]] = []
    for f in ctx.collector.fields(sel.selection_sets(), {type_name}):
        key = ctx.text(f.alias)
        if f.name == "__typename":
            pairs.append((key, f"to_json({ctx.text(type_name)})"))
        elif f.name == "affectedCount":
            pairs.append((key, "(select to_json(count(*)) from __w)"))
        elif f.name == "records":
            node = record(ctx, table, row, f)
            pairs.append((key, f"(select coalesce(json_agg({node}), '[]'::json) from __w)"))
        else:
            raise GraphQLError(f"Unknown field '{f.name}' on type '{type_name}'")
    return json_object(pairs)
