"""An operation to a :class:`Plan`: one statement per root field, ready to bind and run.

Compile-time errors raise; the host turns them into pg_graphql's response shapes
(``OperationError`` without ``data``, other errors with ``"data": null``).
"""

from __future__ import annotations

import json
from typing import Any

from jimgql.compile import connection, cursor, functions, mutation
from jimgql.compile.context import Context
from jimgql.compile.document import Document, Selected
from jimgql.compile.filters import cast_of, scalar_text
from jimgql.compile.rows import AliasRow
from jimgql.compile.select import record as record_json
from jimgql.compile.sql import Bind, Const
from jimgql.compile.values import VariableScope
from jimgql.errors import GraphQLError, unknown_field
from jimgql.record import field, record
from jimgql.schema.meta import ByPkRoot, CollectionRoot, FunctionInfo, MutationRoot, NodeRoot
from jimgql.schema.types import Schema


@record
class Step:
    alias: str
    sql: str | None = None
    params: list[Const | Bind] = field(default_factory=list)
    static: str | None = None  # JSON text known at compile time (__typename, introspection)
    # A query's statement is ``select <expr>``: the executor embeds the expression in its
    # guarded statement without a subquery level (one plan node less to start per run).
    expr: str | None = None
    prepared: Any = None  # the host's prepared plan, filled on first run
    prepared_checked: Any = None  # the same statement guarded by the session's state
    # Filled on the first bind: the constant parameters' texts (None where a variable goes)
    # and the (position, Bind) of the variables, so binding copies a list and converts only
    # what comes from the request.
    template: list[str | None] | None = None
    binds: tuple[tuple[int, Bind], ...] = ()

    def bind(self, variables: dict[str, Any]) -> list[str | None]:
        """The parameter texts for these variables (a new list: callers may extend it)."""
        template = self.template
        if template is None:
            template = self.template = [p.value if isinstance(p, Const) else None for p in self.params]
            self.binds = tuple((i, p) for i, p in enumerate(self.params) if isinstance(p, Bind))
        out = template.copy()
        for i, source in self.binds:
            out[i] = source.value(variables)
        return out


@record
class Plan:
    kind: str  # query | mutation
    steps: list[Step]
    reads: set[int]
    writes: set[int]
    structural: set[str]
    # The response keys (each alias as JSON text), made once per plan by the executor.
    keys: list[str] | None = None
    weight: int = 0  # what keeping it costs (set by the executor's cache)


def compile_operation(schema: Schema, doc: Document, variables: dict[str, Any]) -> Plan:
    scope = VariableScope(variables, doc.defaults)
    ctx = Context(schema, doc, scope)
    kind = doc.kind
    root_name = "Mutation" if kind == "mutation" else "Query"
    if kind == "mutation" and schema.mutation is None:
        raise GraphQLError("Unknown type Mutation")
    root = schema.object(root_name)
    steps: list[Step] = []
    for f in ctx.collector.fields([doc.operation.selection_set], {root_name}):
        if f.name == "__typename":
            steps.append(Step(f.alias, static=json.dumps(root_name)))
            continue
        if f.name in ("__schema", "__type") and kind == "query":
            if schema.introspection is None:
                raise unknown_field(f.name, root_name, quoted_root=True)
            from jimgql.schema import introspection  # noqa: PLC0415 - only when introspecting

            for name in doc.variable_names:
                scope.concrete(name)
            steps.append(Step(f.alias, static=introspection.run(schema, doc, f, scope, ctx.collector)))
            continue
        definition = root.fields.get(f.name)
        if definition is None:
            raise unknown_field(f.name, root_name, quoted_root=True)
        params = ctx.new_statement()
        sql, expr = _root_sql(ctx, definition, f)
        steps.append(Step(f.alias, sql, params.sources, expr=expr))
    return Plan(kind, steps, ctx.reads, ctx.writes, scope.structural)


def _select(expr: str) -> tuple[str, str]:
    return "select " + expr, expr


def _root_sql(ctx: Context, definition: Any, sel: Selected) -> tuple[str, str | None]:
    """The root field's statement, and its one expression when it is ``select <expr>``."""
    meta = definition.meta
    if isinstance(meta, ByPkRoot):
        given = {a.name.value for a in sel.node.arguments or ()}
        if any(c.field not in given for c in meta.table.pk):
            raise GraphQLError("All primary key columns must be provided")
    args = ctx.arguments(sel, definition)
    if isinstance(meta, CollectionRoot):
        return _select(connection.build(ctx, meta.table, meta.table.sql, lambda _a: [], args, sel))
    if isinstance(meta, ByPkRoot):
        table = meta.table
        if any(c.field not in args or args[c.field] is None for c in table.pk):
            raise GraphQLError("All primary key columns must be provided")
        t = ctx.alias()
        conds = [
            f"{t}.{c.sql} = {ctx.leaf(args[c.field], lambda v, c=c: scalar_text(c, v))}::{cast_of(c)}"
            for c in table.pk
        ]
        inner = record_json(ctx, table, AliasRow(t), sel)
        return _select(f"(select {inner} from {table.sql} {t} where {' and '.join(conds)})")
    if isinstance(meta, NodeRoot):
        return _select(_node(ctx, args, sel))
    if isinstance(meta, MutationRoot):
        return mutation.build(ctx, meta, args, sel), None
    if isinstance(meta, FunctionInfo):
        return _select(functions.value(ctx, meta, definition, args, sel))
    raise GraphQLError(f"Unknown field \"{sel.name}\"")


def _node(ctx: Context, args: dict[str, Any], sel: Selected) -> str:
    schema_name, table_name, keys = cursor.decode_node_id(ctx.concrete(args["nodeId"]))
    table = ctx.schema.node_tables.get((schema_name, table_name))
    if table is None or len(keys) != len(table.pk):
        return "null::json"
    t = ctx.alias()
    conds = [
        f"{t}.{c.sql} = {ctx.params.const(scalar_text(c, k))}::{cast_of(c)}"
        for c, k in zip(table.pk, keys, strict=True)
    ]
    inner = record_json(ctx, table, AliasRow(t), sel, {table.type_name, "Node"})
    return f"(select {inner} from {table.sql} {t} where {' and '.join(conds)})"
