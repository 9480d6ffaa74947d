"""What a schema element means in SQL: the compiler reads these, never the catalog itself."""

from __future__ import annotations

from jimgql.catalog import Column, Function, PgType, Relation
from jimgql.record import field, record


def quote_ident(name: str) -> str:
    """Quote an identifier taken from the catalog (the only identifiers SQL ever gets)."""
    return '"' + name.replace('"', '""') + '"'


@record
class ColumnInfo:
    column: Column
    field: str  # GraphQL field name
    scalar: str  # named GraphQL type of the value (or of the elements for lists)
    is_list: bool
    pg: PgType  # the column's type (after resolving domains)
    elem_pg: PgType | None  # element type for arrays
    enum: str | None = None  # GraphQL enum type name when the column is an enum (or enum[])

    @property
    def name(self) -> str:
        return self.column.name

    @property
    def sql(self) -> str:
        return quote_ident(self.column.name)

    @property
    def cast(self) -> str:
        """The SQL type to cast bound text parameters to."""
        return self.pg.sql


@record
class TableInfo:
    rel: Relation
    type_name: str
    inflect: bool
    pk: list[ColumnInfo]
    columns: dict[str, ColumnInfo]  # by GraphQL field name, selectable columns only
    by_column: dict[str, ColumnInfo]  # by SQL column name
    max_rows: int
    total_count: bool
    aggregate: bool
    insert_columns: dict[str, ColumnInfo] = field(default_factory=dict)
    update_columns: dict[str, ColumnInfo] = field(default_factory=dict)

    @property
    def sql(self) -> str:
        return quote_ident(self.rel.schema) + "." + quote_ident(self.rel.name)

    @property
    def oid(self) -> int:
        return self.rel.oid

    def names(self, suffix: str) -> str:
        return self.type_name + suffix


@record
class ColumnField:
    info: ColumnInfo


@record
class NodeIdField:
    table: TableInfo


@record
class Relationship:
    """A foreign key seen from one side: ``source`` rows point at ``target`` rows.

    ``source_columns`` of the row being selected match ``target_columns`` of the rows
    returned. ``many`` tells a connection (to-many) from a single record (to-one).
    """

    source: TableInfo
    target: TableInfo
    source_columns: list[str]
    target_columns: list[str]
    many: bool
    nullable: bool = True


@record
class FunctionInfo:
    func: Function
    returns: str  # scalar | list | record | connection
    arg_fields: list[tuple[str, str, PgType, bool]]  # (graphql name, sql name, type, has default)
    return_pg: PgType | None = None
    return_scalar: str | None = None  # scalar/enum name for scalar and list returns
    table: TableInfo | None = None  # for record / connection returns
    computed: bool = False  # a computed field taking the row as its argument


@record
class ConnectionMeta:
    table: TableInfo


@record
class CollectionRoot:
    table: TableInfo


@record
class ByPkRoot:
    table: TableInfo


@record
class NodeRoot:
    pass


@record
class MutationRoot:
    kind: str  # insert | update | delete
    table: TableInfo


@record
class AggregateMeta:
    table: TableInfo
    op: str = ""  # "" for the Aggregate type itself, else sum/avg/min/max
