"""A small GraphQL document model for executable documents (what requests contain).

The engine parses requests with its own parser (``parser.py``) instead of graphql-core's so
the first request on a fresh connection does not pay for importing graphql-core (and
asyncio with it); graphql-core is still used for introspection, which re-parses the
document with its own parser. Nodes are plain slotted classes named after the GraphQL
specification's grammar.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Name:
    value: str


@dataclass(slots=True)
class Variable:
    name: Name


@dataclass(slots=True)
class IntValue:
    value: str


@dataclass(slots=True)
class FloatValue:
    value: str


@dataclass(slots=True)
class StringValue:
    value: str


@dataclass(slots=True)
class BooleanValue:
    value: bool


@dataclass(slots=True)
class NullValue:
    pass


@dataclass(slots=True)
class EnumValue:
    value: str


@dataclass(slots=True)
class ListValue:
    values: list[Any]


@dataclass(slots=True)
class ObjectField:
    name: Name
    value: Any


@dataclass(slots=True)
class ObjectValue:
    fields: list[ObjectField]


@dataclass(slots=True)
class Argument:
    name: Name
    value: Any


@dataclass(slots=True)
class Directive:
    name: Name
    arguments: list[Argument]


@dataclass(slots=True)
class NamedType:
    name: Name


@dataclass(slots=True)
class ListType:
    type: Any


@dataclass(slots=True)
class NonNullType:
    type: Any


@dataclass(slots=True)
class SelectionSet:
    selections: list[Any]


@dataclass(slots=True)
class Field:
    alias: Name | None
    name: Name
    arguments: list[Argument]
    directives: list[Directive]
    selection_set: SelectionSet | None


@dataclass(slots=True)
class FragmentSpread:
    name: Name
    directives: list[Directive]


@dataclass(slots=True)
class InlineFragment:
    type_condition: NamedType | None
    directives: list[Directive]
    selection_set: SelectionSet


@dataclass(slots=True)
class VariableDefinition:
    variable: Variable
    type: Any
    default_value: Any


@dataclass(slots=True)
class OperationDefinition:
    operation: str  # query | mutation | subscription
    name: Name | None
    variable_definitions: list[VariableDefinition]
    directives: list[Directive]
    selection_set: SelectionSet


@dataclass(slots=True)
class FragmentDefinition:
    name: Name
    type_condition: NamedType
    directives: list[Directive]
    selection_set: SelectionSet


@dataclass(slots=True)
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
