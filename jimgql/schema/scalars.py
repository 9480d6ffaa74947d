"""Postgres types to GraphQL scalars, and the filter operators each scalar supports."""

from __future__ import annotations

from jimgql.schema.types import InputObjectType, InputValue, ScalarType, list_of, named, non_null

# Built-in type oids (stable across PostgreSQL versions).
SCALAR_BY_OID: dict[int, str] = {
    16: "Boolean",
    20: "BigInt",
    21: "Int",
    23: "Int",
    700: "Float",
    701: "Float",
    1700: "BigFloat",
    25: "String",
    1043: "String",
    1042: "String",
    19: "String",
    2950: "UUID",
    1082: "Date",
    1083: "Time",
    1266: "Time",
    1114: "Datetime",
    1184: "Datetime",
    114: "JSON",
    3802: "JSON",
}
STRING_TYPES_BY_NAME = {"citext"}

SCALAR_DESCRIPTIONS: dict[str, str | None] = {
    "BigFloat": "A high precision floating point value represented as a string",
    "BigInt": "An arbitrary size integer represented as a string",
    "Boolean": "A value that is true or false",
    "Cursor": "An opaque string using for tracking a position in results during pagination",
    "Date": "A date without time information",
    "Datetime": "A date and time",
    "Float": "A scalar floating point value up to 32 bits",
    "ID": "A globally unique identifier for a given record",
    "Int": "A scalar integer up to 32 bits",
    "JSON": "A Javascript Object Notation value serialized as a string",
    "Opaque": "Any type not handled by the type system",
    "String": "A string",
    "Time": "A time without date information",
    "UUID": "A universally unique identifier",
}

_ORDERED = ["eq", "gt", "gte", "in", "lt", "lte", "neq", "is"]
FILTER_OPS: dict[str, list[str]] = {
    "Int": _ORDERED,
    "Float": _ORDERED,
    "BigInt": _ORDERED,
    "BigFloat": _ORDERED,
    "Date": _ORDERED,
    "Time": _ORDERED,
    "Datetime": _ORDERED,
    "String": _ORDERED + ["startsWith", "like", "ilike", "regex", "iregex"],
    "Boolean": ["eq", "is"],
    "UUID": ["eq", "in", "neq", "is"],
    "ID": ["eq"],
    "Opaque": ["eq", "is"],
}
ENUM_FILTER_OPS = ["eq", "in", "neq", "is"]
LIST_FILTER_OPS = ["containedBy", "contains", "eq", "is", "overlaps"]
LIST_FILTER_SCALARS = ["BigFloat", "BigInt", "Boolean", "Date", "Datetime", "Float", "Int",
                       "String", "Time", "UUID"]
# Scalars that can be sorted and compared (orderBy, cursors, min/max).
ORDERABLE = {"Int", "Float", "BigInt", "BigFloat", "String", "Boolean", "UUID", "Date", "Time",
             "Datetime"}
NUMERIC = {"Int", "Float", "BigInt", "BigFloat"}


def builtin_scalars() -> list[ScalarType]:
    return [ScalarType(name, description) for name, description in SCALAR_DESCRIPTIONS.items()]


def filter_input(type_name: str, ops: list[str], *, origin: str | None = None) -> InputObjectType:
    """``IntFilter`` and friends: one input field per operator, listed alphabetically as
    pg_graphql's introspection lists them."""
    fields: dict[str, InputValue] = {}
    for op in sorted(ops):
        if op == "in":
            ref = list_of(non_null(type_name))
        elif op == "is":
            ref = named("FilterIs")
        else:
            ref = named(type_name)
        fields[op] = InputValue(op, ref)
    return InputObjectType(
        f"{type_name}Filter",
        f'Boolean expression comparing fields on type "{type_name}"',
        origin,
        fields=fields,
        meta=("scalar", type_name),
    )


def list_filter_input(type_name: str) -> InputObjectType:
    fields: dict[str, InputValue] = {}
    for op in LIST_FILTER_OPS:
        ref = named("FilterIs") if op == "is" else list_of(non_null(type_name))
        fields[op] = InputValue(op, ref)
    return InputObjectType(
        f"{type_name}ListFilter",
        f'Boolean expression comparing fields on type "{type_name}List"',
        None,
        fields=fields,
        meta=("list", type_name),
    )
