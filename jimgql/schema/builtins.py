"""Built-in types every schema has (scalars, their filters, PageInfo, Node, the ordering and
filter-is enums) and the enums reflected from Postgres."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jimgql import directives, inflect
from jimgql.schema.scalars import (
    ENUM_FILTER_OPS,
    FILTER_OPS,
    LIST_FILTER_SCALARS,
    builtin_scalars,
    filter_input,
    list_filter_input,
)
from jimgql.schema.types import (
    EnumType,
    EnumValue,
    Field,
    InterfaceType,
    ObjectType,
    named,
    non_null,
)

if TYPE_CHECKING:
    from jimgql.schema.builder import Builder


def add_builtins(b: Builder) -> None:
    for scalar in builtin_scalars():
        b.add_type(scalar)
    for name, ops in FILTER_OPS.items():
        b.add_type(filter_input(name, ops))
    for name in LIST_FILTER_SCALARS:
        b.add_type(list_filter_input(name))
    b.add_type(EnumType("FilterIs", None, None, values=[EnumValue("NULL"), EnumValue("NOT_NULL")]))
    b.add_type(EnumType(
        "OrderByDirection", "Defines a per-field sorting order", None,
        values=[
            EnumValue("AscNullsFirst", "Ascending order, nulls first"),
            EnumValue("AscNullsLast", "Ascending order, nulls last"),
            EnumValue("DescNullsFirst", "Descending order, nulls first"),
            EnumValue("DescNullsLast", "Descending order, nulls last"),
        ],
    ))
    b.add_type(ObjectType("PageInfo", None, None, fields={
        "endCursor": Field("endCursor", named("String")),
        "hasNextPage": Field("hasNextPage", non_null("Boolean")),
        "hasPreviousPage": Field("hasPreviousPage", non_null("Boolean")),
        "startCursor": Field("startCursor", named("String")),
    }))
    b.add_type(InterfaceType("Node", None, None, fields={
        "nodeId": Field("nodeId", non_null("ID"), "Retrieves a record by `ID`"),
    }))



def add_enums(b: Builder) -> None:
    for t in b.catalog.types.values():
        if t.kind != "e":
            continue
        name = b.enum_name(t)
        if name is None or not inflect.is_valid_name(name):
            continue
        mappings = t.directive.get("mappings")
        mappings = mappings if isinstance(mappings, dict) else {}
        values = []
        for label in t.labels:
            value = mappings.get(label, label)
            if isinstance(value, str) and inflect.is_valid_name(value):
                values.append(EnumValue(value, None, label))
        if b.add_type(EnumType(name, directives.description(t.directive), t.schema,
                                  values=values, pg_oid=t.oid)):
            b.add_type(filter_input(name, ENUM_FILTER_OPS, origin=t.schema))
