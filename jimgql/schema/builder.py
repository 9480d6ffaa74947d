"""Build the GraphQL schema one role sees from its reflected catalog (pg_graphql's rules).

Tables, views, materialized views and foreign tables on the search_path become types when
they have a primary key (declared, or ``primary_key_columns`` for views) and the role may
select at least one column. Each exposed table brings its Connection, Edge, Filter, OrderBy
and mutation types; relationships, functions and aggregates are added by sibling modules.
"""

from __future__ import annotations

from jimgql import directives, inflect
from jimgql.catalog import Catalog, Column, PgType, Relation
from jimgql.schema import aggregates, builtins, functions, mutations, relations
from jimgql.schema.meta import (
    ByPkRoot,
    CollectionRoot,
    ColumnField,
    ColumnInfo,
    ConnectionMeta,
    NodeIdField,
    NodeRoot,
    TableInfo,
)
from jimgql.schema.scalars import (
    LIST_FILTER_SCALARS,
    ORDERABLE,
    SCALAR_BY_OID,
    STRING_TYPES_BY_NAME,
)
from jimgql.schema.types import (
    EnumType,
    Field,
    InputObjectType,
    InputValue,
    InterfaceType,
    NamedType,
    ObjectType,
    Schema,
    TypeRef,
    list_of,
    named,
    non_null,
)

DEFAULT_MAX_ROWS = 30
BYPK_SCALARS = {"Int", "BigInt", "String", "UUID"}

COLLECTION_ARGS = [
    ("first", "Int", "Query the first `n` records in the collection"),
    ("last", "Int", "Query the last `n` records in the collection"),
    ("before", "Cursor", "Query values in the collection before the provided cursor"),
    ("after", "Cursor", "Query values in the collection after the provided cursor"),
    ("offset", "Int", "Skip n values from the after cursor. Alternative to cursor pagination. "
                      "Backward pagination not supported."),
]


def build(catalog: Catalog) -> Schema:
    return Builder(catalog).build()


class Builder:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.schema_directives = {s.name: s.directive for s in catalog.schemas}
        self.types: dict[str, NamedType] = {}
        self.tables: dict[int, TableInfo] = {}
        # selectable relations without a primary key, by row type: no collection, but a
        # computed field may return one of their rows (see row_type)
        self.keyless: dict[int, Relation] = {}
        self.row_types: dict[int, TableInfo] = {}
        self.query_fields: dict[str, Field] = {}
        self.mutation_fields: dict[str, Field] = {}

    # -- helpers shared with the sibling modules ------------------------------------------
    def inflect_of(self, schema: str) -> bool:
        return self.schema_directives.get(schema, {}).get("inflect_names") is True

    def add_type(self, t: NamedType) -> bool:
        if t.name in self.types:
            return False
        self.types[t.name] = t
        return True

    def resolve_type(self, oid: int) -> PgType | None:
        """Follow domains down to their base type."""
        seen = 0
        t = self.catalog.types.get(oid)
        while t is not None and t.kind == "d" and seen < 10:
            t = self.catalog.types.get(t.base)
            seen += 1
        return t

    def scalar_of(self, oid: int) -> tuple[str, bool, PgType, PgType | None] | None:
        """(named GraphQL type, is_list, resolved type, element type) or None if unsupported."""
        t = self.resolve_type(oid)
        if t is None:
            return None
        if t.category == "A" and t.elem:
            elem = self.resolve_type(t.elem)
            if elem is None:
                return None
            name = self._single_scalar(elem)
            if name is None:
                return None
            return name, True, t, elem
        name = self._single_scalar(t)
        if name is None:
            return None
        return name, False, t, None

    def _single_scalar(self, t: PgType) -> str | None:
        if t.oid in SCALAR_BY_OID:
            return SCALAR_BY_OID[t.oid]
        if t.name in STRING_TYPES_BY_NAME:
            return "String"
        if t.kind == "e":
            enum = self.enum_name(t)
            return enum if enum is not None else "Opaque"
        if t.kind in ("c", "p"):
            return None
        return "Opaque"

    def enum_name(self, t: PgType) -> str | None:
        if not t.usable or t.schema not in self.schema_directives:
            return None
        return directives.name(t.directive) or inflect.type_name(t.name, self.inflect_of(t.schema))

    # -- build ----------------------------------------------------------------------------
    def build(self) -> Schema:
        builtins.add_builtins(self)
        builtins.add_enums(self)
        for rel in self.catalog.relations:
            self._table(rel)
        for table in self.tables.values():
            self._table_types(table)
        relations.add_relationships(self)
        functions.add_functions(self)
        for table in self.tables.values():
            self._finish_connection(table)
            mutations.add_mutations(self, table)
        self._roots()
        enabled = frozenset(
            s.name for s in self.catalog.schemas if s.directive.get("introspection") is True
        )
        schema = Schema(
            types=self.types,
            mutation="Mutation" if "Mutation" in self.types else None,
            introspection=enabled or None,
            tables=self.tables,
            node_tables={(t.rel.schema, t.rel.name): t for t in self.tables.values()},
        )
        return schema

    def _table(self, rel: Relation) -> None:
        table = self._table_info(rel)
        if table is None:
            return
        if not table.pk:
            self.keyless[rel.type_oid] = rel
            return
        self.tables[rel.oid] = table
        # Reserve the names now so two relations never claim the same type.
        self.types[table.type_name] = ObjectType(
            table.type_name, directives.description(rel.directive), rel.schema,
            interfaces=["Node"], meta=table,
        )

    def row_type(self, type_oid: int) -> TableInfo | None:
        """The object type of a key-less relation's rows, made when a computed field returns
        one (pg_graphql answers such fields): its columns only, no node id, no collection."""
        if type_oid in self.row_types:
            return self.row_types[type_oid]
        rel = self.keyless.get(type_oid)
        table = self._table_info(rel) if rel is not None else None
        if rel is None or table is None or table.type_name in self.types:
            return None
        self.row_types[type_oid] = table
        obj = ObjectType(table.type_name, directives.description(rel.directive), rel.schema,
                         meta=table)
        self._column_fields(obj, table)
        self.types[table.type_name] = obj
        return table

    def _table_info(self, rel: Relation) -> TableInfo | None:
        """A selectable relation's GraphQL shape (``pk`` empty when it has no primary key)."""
        if not rel.can_select:
            return None
        schema_dir = self.schema_directives.get(rel.schema, {})
        inflect_names = schema_dir.get("inflect_names") is True
        type_name = directives.name(rel.directive) or inflect.type_name(rel.name, inflect_names)
        if not inflect.is_valid_name(type_name) or type_name in self.types:
            return None
        pk_names = rel.primary_key
        declared = directives.primary_key_columns(rel.directive)
        if declared:
            pk_names = declared
        columns: dict[str, ColumnInfo] = {}
        by_column: dict[str, ColumnInfo] = {}
        for col in rel.columns:
            info = self._column(col, inflect_names)
            if info is None:
                continue
            by_column[col.name] = info
            # A column whose name is not a valid GraphQL name is not a field, but it still
            # identifies rows (node ids) when it is part of the primary key.
            if (col.can_select and inflect.is_valid_name(info.field)
                    and info.field not in columns and info.field != "nodeId"):
                columns[info.field] = info
        pk = [by_column.get(name) for name in pk_names]
        if any(c is None or not c.column.can_select for c in pk):
            return None
        max_rows = directives.max_rows(rel.directive, directives.max_rows(schema_dir, DEFAULT_MAX_ROWS))
        return TableInfo(
            rel=rel, type_name=type_name, inflect=inflect_names,
            pk=[c for c in pk if c is not None], columns=columns, by_column=by_column,
            max_rows=max_rows,
            total_count=directives.enabled(rel.directive, "totalCount"),
            aggregate=directives.enabled(rel.directive, "aggregate"),
        )

    def _column(self, col: Column, inflect_names: bool) -> ColumnInfo | None:
        mapped = self.scalar_of(col.type_oid)
        if mapped is None:
            return None
        scalar, is_list, pg, elem = mapped
        name = directives.name(col.directive) or inflect.field_name(col.name, inflect_names)
        enum = scalar if isinstance(self.types.get(scalar), EnumType) else None
        return ColumnInfo(col, name, scalar, is_list, pg, elem, enum)

    def value_type(self, info: ColumnInfo, *, not_null: bool) -> TypeRef:
        ref = list_of(named(info.scalar)) if info.is_list else named(info.scalar)
        return non_null(ref) if not_null else ref

    def _table_types(self, table: TableInfo) -> None:
        obj = self.types[table.type_name]
        assert isinstance(obj, ObjectType)
        obj.fields["nodeId"] = Field(
            "nodeId", non_null("ID"), "Globally Unique Record Identifier", meta=NodeIdField(table)
        )
        self._column_fields(obj, table)
        origin = table.rel.schema
        self.add_type(ObjectType(table.names("Edge"), None, origin, fields={
            "cursor": Field("cursor", non_null("String")),
            "node": Field("node", non_null(table.type_name)),
        }, meta=table))
        self.add_type(ObjectType(table.names("Connection"), None, origin, fields={
            "edges": Field("edges", non_null(list_of(non_null(table.names("Edge"))))),
            "pageInfo": Field("pageInfo", non_null("PageInfo")),
        }, meta=ConnectionMeta(table)))
        self.add_type(self._filter_type(table))
        order_fields = {
            name: InputValue(name, named("OrderByDirection"))
            for name, info in table.columns.items()
            if not info.is_list and (info.scalar in ORDERABLE or info.enum is not None)
        }
        if order_fields:  # an input type needs fields; without any, no orderBy argument
            self.add_type(InputObjectType(table.names("OrderBy"), None, origin,
                                          fields=order_fields, meta=table))

    def _column_fields(self, obj: ObjectType, table: TableInfo) -> None:
        for name, info in table.columns.items():
            obj.fields[name] = Field(
                name, self.value_type(info, not_null=info.column.not_null
                                      or directives.not_null(info.column.directive)),
                directives.description(info.column.directive), meta=ColumnField(info),
            )

    def _filter_type(self, table: TableInfo) -> InputObjectType:
        name = table.names("Filter")
        fields: dict[str, InputValue] = {}
        for field_name, info in table.columns.items():
            if info.is_list:
                if info.scalar in LIST_FILTER_SCALARS:
                    fields[field_name] = InputValue(field_name, named(info.scalar + "ListFilter"))
            elif info.scalar + "Filter" in self.types:
                fields[field_name] = InputValue(field_name, named(info.scalar + "Filter"))
        fields["nodeId"] = InputValue("nodeId", named("IDFilter"))
        # A column named and/or/not keeps its name: that compound operator is left out.
        fields.setdefault("and", InputValue(
            "and", list_of(non_null(name)),
            "Returns true only if all its inner filters are true, otherwise returns false",
        ))
        fields.setdefault("or", InputValue(
            "or", list_of(non_null(name)),
            "Returns true if at least one of its inner filters is true, otherwise returns false",
        ))
        fields.setdefault("not", InputValue("not", named(name), "Negates a filter"))
        return InputObjectType(name, None, table.rel.schema, fields=fields, meta=table)

    def collection_args(self, table: TableInfo) -> dict[str, InputValue]:
        args = {n: InputValue(n, named(t), d) for n, t, d in COLLECTION_ARGS}
        args["filter"] = InputValue(
            "filter", named(table.names("Filter")),
            "Filters to apply to the results set when querying from the collection",
        )
        if table.names("OrderBy") in self.types:
            args["orderBy"] = InputValue(
                "orderBy", list_of(non_null(table.names("OrderBy"))),
                "Sort order to apply to the collection",
            )
        return args

    def _finish_connection(self, table: TableInfo) -> None:
        conn = self.types[table.names("Connection")]
        assert isinstance(conn, ObjectType)
        if table.total_count:
            conn.fields["totalCount"] = Field(
                "totalCount", non_null("Int"),
                "The total number of records matching the `filter` criteria",
            )
        if table.aggregate:
            aggregates.add_aggregate(self, table, conn)

    def _roots(self) -> None:
        fields: dict[str, Field] = {
            "node": Field("node", named("Node"), "Retrieve a record by its `ID`",
                          args={"nodeId": InputValue("nodeId", non_null("ID"), "The record's `ID`")},
                          meta=NodeRoot()),
        }
        for table in self.tables.values():
            base = inflect.lower_first(table.type_name)
            fields.setdefault(base + "Collection", Field(
                base + "Collection", named(table.names("Connection")),
                f"A pagable collection of type `{table.type_name}`",
                args=self.collection_args(table), meta=CollectionRoot(table),
            ))
            if all(c.scalar in BYPK_SCALARS and not c.is_list and c.field in table.columns
                   for c in table.pk):
                fields.setdefault(base + "ByPk", Field(
                    base + "ByPk", named(table.type_name),
                    f"Retrieve a record of type `{table.type_name}` by its primary key",
                    args={c.field: InputValue(c.field, non_null(c.scalar)) for c in table.pk},
                    meta=ByPkRoot(table),
                ))
        for name, f in self.query_fields.items():
            fields.setdefault(name, f)
        node = self.types["Node"]
        assert isinstance(node, InterfaceType)
        node.possible = sorted(t.type_name for t in self.tables.values())
        self.types["Query"] = ObjectType("Query", "The root type for querying data", None,
                                         fields=dict(sorted(fields.items())))
        if self.mutation_fields:
            self.types["Mutation"] = ObjectType(
                "Mutation", "The root type for creating and mutating data", None,
                fields=dict(sorted(self.mutation_fields.items())),
            )

