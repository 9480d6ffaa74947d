"""SQL functions in the exposed schemas become fields (pg_graphql's rules).

* A function whose only argument is a table's row type extends that table's type (a
  computed field): one returning a scalar needs a name starting with ``_``; one returning
  the rows of a table (to-one record or connection) does not.
* Other functions go on ``Query`` (stable, immutable) or ``Mutation`` (volatile).
* Arguments without a default are required; arguments with one are optional (the call
  uses named notation, so Postgres fills the defaults in).
* Unsupported signatures are left out rather than breaking the schema: overloaded root
  functions (computed fields may share a name across tables), arguments of enums the schema
  cannot name, unnamed
  or variadic arguments, OUT arguments, ``void``/``record``/composite-but-not-exposed returns,
  ``setof`` scalars, and set-returning functions whose argument names clash with the
  connection's own arguments.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jimgql import directives, inflect
from jimgql.catalog import Function
from jimgql.schema.meta import FunctionInfo, TableInfo
from jimgql.schema.types import (
    EnumType,
    Field,
    InputValue,
    ObjectType,
    TypeRef,
    list_of,
    named,
    non_null,
)

if TYPE_CHECKING:
    from jimgql.schema.builder import Builder

VOID, RECORD = 2278, 2249
CONNECTION_ARGS = {"first", "last", "before", "after", "offset", "filter", "orderBy"}


def add_functions(b: Builder) -> None:
    by_rowtype = {t.rel.type_oid: t for t in b.tables.values()}
    for func in b.catalog.functions:
        if func.is_variadic or func.has_out_args:
            continue
        if len(func.arg_types) == 1 and func.arg_types[0] in by_rowtype:
            # Computed fields: any function of one row argument, whatever its name (a leading
            # underscore is dropped from the field's name). Overloads on different row types
            # are distinct fields of distinct types, so they are kept.
            _computed(b, func, by_rowtype[func.arg_types[0]], by_rowtype)
            continue
        if func.overloaded:
            continue  # an overloaded root function has no single signature (pg_graphql)
        if any(t in by_rowtype or _is_composite(b, t) for t in func.arg_types):
            continue
        _root(b, func, by_rowtype)


def _is_enum(b: Builder, scalar: str) -> bool:
    """pg_graphql leaves functions taking or returning enums (or arrays of them) out."""
    return isinstance(b.types.get(scalar), EnumType)


def _hidden_enum(b: Builder, oid: int) -> bool:
    """An enum (or array of one) the schema cannot name (not on the search path, no USAGE):
    a column of it reads as Opaque, but an argument of it cannot be given, so the function
    is left out."""
    t = b.resolve_type(oid)
    if t is not None and t.category == "A" and t.elem:
        t = b.resolve_type(t.elem)
    return t is not None and t.kind == "e" and b.enum_name(t) is None


def _is_composite(b: Builder, oid: int) -> bool:
    t = b.resolve_type(oid)
    return t is None or t.kind == "c" or t.kind == "p"


def _returns(b: Builder, func: Function, by_rowtype: dict[int, TableInfo], *,
             computed: bool = False) -> FunctionInfo | None:
    info = FunctionInfo(func, "", [])
    ret = func.return_type
    if ret in (VOID, RECORD):
        return None
    if ret in by_rowtype:
        info.table = by_rowtype[ret]
        info.returns = "connection" if func.returns_set and func.rows != 1 else "record"
        return info
    if computed and not func.returns_set and ret in b.keyless:
        # a row of a relation without a primary key: a computed field may return one
        # (a root function may not: pg_graphql leaves those out)
        info.table = b.row_type(ret)
        info.returns = "record"
        return info if info.table is not None else None
    if func.returns_set:
        return None
    mapped = b.scalar_of(ret)
    if mapped is None or _is_enum(b, mapped[0]):
        return None
    scalar, is_list, pg, _elem = mapped
    info.returns = "list" if is_list else "scalar"
    info.return_scalar, info.return_pg = scalar, pg
    return info


def _return_type(b: Builder, info: FunctionInfo) -> TypeRef:
    if info.returns == "connection":
        assert info.table is not None
        return named(info.table.names("Connection"))
    if info.returns == "record":
        assert info.table is not None
        return named(info.table.type_name)
    assert info.return_scalar is not None
    return list_of(named(info.return_scalar)) if info.returns == "list" else named(info.return_scalar)


def _computed(b: Builder, func: Function, table: TableInfo, by_rowtype: dict[int, TableInfo]) -> None:
    info = _returns(b, func, by_rowtype, computed=True)
    if info is None:
        return
    info.computed = True
    # pg_graphql: one leading underscore dropped, named by the function's schema's inflection,
    # first letter lower-cased either way
    sql_name = func.name[1:] if func.name.startswith("_") else func.name
    name = directives.name(func.directive) or inflect.lower_first(
        inflect.type_name(sql_name, b.inflect_of(func.schema)))
    obj = b.types[table.type_name]
    assert isinstance(obj, ObjectType)
    if not inflect.is_valid_name(name):
        return
    existing = obj.fields.get(name)
    if existing is not None:
        if isinstance(existing.meta, FunctionInfo):
            return
        # a column or relationship of the same name: pg_graphql resolves the name to the
        # function (its fields come last and the last of a name wins), so the function takes it
        del obj.fields[name]
    args = b.collection_args(info.table) if info.returns == "connection" and info.table else {}
    obj.fields[name] = Field(name, _return_type(b, info), directives.description(func.directive),
                             args=args, meta=info)


def _root(b: Builder, func: Function, by_rowtype: dict[int, TableInfo]) -> None:
    info = _returns(b, func, by_rowtype)
    if info is None:
        return
    inflect_names = b.inflect_of(func.schema)
    args: dict[str, InputValue] = {}
    for arg_name, arg_type, default in zip(func.arg_names, func.arg_types, func.arg_defaults, strict=True):
        if not arg_name:
            return
        mapped = b.scalar_of(arg_type)
        if mapped is None or _is_enum(b, mapped[0]) or _hidden_enum(b, arg_type):
            return
        scalar, is_list, pg, _elem = mapped
        gql_name = inflect.field_name(arg_name, inflect_names)
        if not inflect.is_valid_name(gql_name) or gql_name in args:
            return
        ref: TypeRef = list_of(named(scalar)) if is_list else named(scalar)
        if default is None:
            ref = non_null(ref)
        args[gql_name] = InputValue(gql_name, ref)
        info.arg_fields.append((gql_name, arg_name, pg, default is not None))
    if info.returns == "connection":
        assert info.table is not None
        if CONNECTION_ARGS & set(args):
            return
        args.update(b.collection_args(info.table))
    name = directives.name(func.directive) or inflect.field_name(func.name, inflect_names)
    if not inflect.is_valid_name(name):
        return
    target = b.mutation_fields if func.volatility == "v" else b.query_fields
    target.setdefault(name, Field(name, _return_type(b, info),
                                  directives.description(func.directive), args=args, meta=info))
