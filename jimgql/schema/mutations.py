"""Mutation types of one table: insert, update and delete, as the role's privileges allow.

Input fields are the columns the role may insert or update (column privileges decide);
generated, identity and serial columns are never inputs, and columns left out of an input
take their defaults.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jimgql import directives, inflect
from jimgql.schema.meta import ColumnInfo, MutationRoot, TableInfo
from jimgql.schema.types import (
    EnumType,
    EnumValue,
    Field,
    InputObjectType,
    InputValue,
    ObjectType,
    list_of,
    named,
    non_null,
)

if TYPE_CHECKING:
    from jimgql.schema.builder import Builder

AT_MOST = "The maximum number of records in the collection permitted to be affected"
RESTRICT = "Restricts the mutation's impact to records matching the criteria"


def writable(info: ColumnInfo) -> bool:
    col = info.column
    return (not col.generated and not col.identity and not col.is_serial
            and inflect.is_valid_name(info.field))


def add_mutations(b: Builder, table: TableInfo) -> None:
    origin = table.rel.schema
    name = table.type_name
    records = Field("records", non_null(list_of(non_null(name))),
                    "Array of records impacted by the mutation")
    affected = Field("affectedCount", non_null("Int"), "Count of the records impacted by the mutation")

    def response(suffix: str) -> str:
        b.add_type(ObjectType(name + suffix, None, origin, fields={
            "affectedCount": affected, "records": records,
        }, meta=table))
        return name + suffix

    table.insert_columns = {
        i.field: i for i in table.by_column.values() if i.column.can_insert and writable(i)
    }
    table.update_columns = {
        i.field: i for i in table.by_column.values() if i.column.can_update and writable(i)
    }
    base = f"{name}Collection"
    if table.rel.can_insert and table.insert_columns:
        b.add_type(InputObjectType(name + "InsertInput", None, origin, fields={
            f: InputValue(f, b.value_type(i, not_null=False)) for f, i in table.insert_columns.items()
        }, meta=table))
        field_name = "insertInto" + base
        args = {"objects": InputValue("objects", non_null(list_of(non_null(name + "InsertInput"))))}
        if directives.enabled(table.rel.directive, "onConflict") and _on_conflict_types(b, table):
            args["onConflict"] = InputValue("onConflict", named(name + "OnConflictInput"))
        b.mutation_fields.setdefault(field_name, Field(
            field_name, named(response("InsertResponse")),
            f"Adds one or more `{name}` records to the collection",
            args=args, meta=MutationRoot("insert", table),
        ))
    if table.rel.can_update and table.update_columns:
        b.add_type(InputObjectType(name + "UpdateInput", None, origin, fields={
            f: InputValue(f, b.value_type(i, not_null=False)) for f, i in table.update_columns.items()
        }, meta=table))
        field_name = "update" + base
        b.mutation_fields.setdefault(field_name, Field(
            field_name, non_null(response("UpdateResponse")),
            f"Updates zero or more records in the `{name}` collection",
            args={
                "set": InputValue("set", non_null(name + "UpdateInput"),
                                  "Fields that are set will be updated for all records matching the `filter`"),
                "filter": InputValue("filter", named(name + "Filter"), RESTRICT),
                "atMost": InputValue("atMost", non_null("Int"), AT_MOST, "1"),
            },
            meta=MutationRoot("update", table),
        ))
    if table.rel.can_delete:
        field_name = "deleteFrom" + base
        b.mutation_fields.setdefault(field_name, Field(
            field_name, non_null(response("DeleteResponse")),
            f"Deletes zero or more records from the `{name}` collection",
            args={
                "filter": InputValue("filter", named(name + "Filter"), RESTRICT),
                "atMost": InputValue("atMost", non_null("Int"), AT_MOST, "1"),
            },
            meta=MutationRoot("delete", table),
        ))


def _on_conflict_types(b: Builder, table: TableInfo) -> bool:
    """Upserts (``onConflict``): on a unique or primary key constraint whose columns are all
    inputs (a serial or identity key is never in conflict with an insert), updating the
    fields the role may update.

    A jim extension: released pg_graphql has no upserts, so they are offered only where a
    table's directive asks for them (``@graphql({"onConflict": {"enabled": true}})``); by
    default the schema (and its introspection) is exactly pg_graphql's.
    """
    origin, name = table.rel.schema, table.type_name
    constraints = [
        EnumValue(cname, None, cname) for cname, columns in table.rel.constraints
        if inflect.is_valid_name(cname) and columns
        and all((info := table.by_column.get(c)) is not None and info.field in table.insert_columns
                for c in columns)
    ]
    if not constraints or not table.update_columns or not table.rel.can_update:
        return False
    b.add_type(EnumType(name + "OnConflictConstraint", None, origin, values=constraints))
    b.add_type(EnumType(name + "Field", None, origin, values=[
        EnumValue(f, None, i.name) for f, i in table.update_columns.items()
    ]))
    b.add_type(InputObjectType(name + "OnConflictInput", None, origin, fields={
        "constraint": InputValue("constraint", non_null(name + "OnConflictConstraint")),
        "updateFields": InputValue("updateFields", non_null(list_of(non_null(name + "Field")))),
        "filter": InputValue("filter", named(name + "Filter")),
    }, meta=table))
    return True
