"""A small GraphQL document model for executable documents (what requests contain).

The engine parses requests with its own parser (``parser.py``) instead of graphql-core's so
the first request on a fresh connection does not pay for importing graphql-core (and
asyncio with it); graphql-core is still used for introspection, which re-parses the
document with its own parser. Nodes are plain slotted classes named after the GraphQL
specification's grammar.
"""

from __future__ import annotations

from typing import Any

from jimgql.record import field, record


@record
class Name:
    value: str


@record
class Variable:
    name: Name


@record
class IntValue:
    value: str


@record
class FloatValue:
    value: str


@record
class StringValue:
    value: str


@record
class BooleanValue:
    value: bool


@record
class NullValue:
    pass


@record
class EnumValue:
    value: str


@record
class ListValue:
    values: list[Any]


@record
class ObjectField:
    name: Name
    value: Any


@record
class ObjectValue:
    fields: list[ObjectField]


@record
class Argument:
    name: Name
    value: Any


@record
class Directive:
    name: Name
    arguments: list[Argument]


@record
class NamedType:
    name: Name


@record
class ListType:
    type: Any


@record
class NonNullType:
    type: Any


@record
class SelectionSet:
    selections: list[Any]


@record
class Field:
    alias: Name | None
    name: Name
    arguments: list[Argument]
    directives: list[Directive]
    selection_set: SelectionSet | None


@record
class FragmentSpread:
    name: Name
    directives: list[Directive]


@record
class InlineFragment:
    type_condition: NamedType | None
    directives: list[Directive]
    selection_set: SelectionSet


@record
class VariableDefinition:
    variable: Variable
    type: Any
    default_value: Any


@record
class OperationDefinition:
    operation: str  # query | mutation | subscription
    name: Name | None
    variable_definitions: list[VariableDefinition]
    directives: list[Directive]
    selection_set: SelectionSet


@record
class FragmentDefinition:
    name: Name
    type_condition: NamedType
    directives: list[Directive]
    selection_set: SelectionSet


@record
class Document:
    definitions: list[Any] = field(default_factory=list)


def print_value(node: Any) -> str:
    """A value in GraphQL syntax (used to compare the arguments of merged fields)."""
    if isinstance(node, Variable):
        return "$" + node.name.value
    if isinstance(node, (IntValue, FloatValue, EnumValue)):
        return node.value
    if isinstance(node, StringValue):
        import json  # noqa: PLC0415

        return json.dumps(node.value)
    if isinstance(node, BooleanValue):
        return "true" if node.value else "false"
    if isinstance(node, NullValue):
        return "null"
    if isinstance(node, ListValue):
        return "[" + ", ".join(print_value(v) for v in node.values) + "]"
    if isinstance(node, ObjectValue):
        return "{" + ", ".join(f"{f.name.value}: {print_value(f.value)}" for f in node.fields) + "}"
    return "?"
