"""Argument values: GraphQL literals and variables, checked against the schema's input types
the way pg_graphql checks them (its messages, its leniency).

pg_graphql does not run the GraphQL spec's variable validation. A variable is looked up by
name in the variables object (declared or not, with its declared default when absent); a
non-list value is accepted where a list is expected; an absent variable inside an input
object drops that key (so an absent filter operator is no filter), and inside a list it is
null. Type mismatches surface as ``Invalid input for <Type> type``.

Leaf variables (scalars, enums, lists of them) are not read at compile time: they become
:class:`Deferred` values that turn into bound parameters, checked when the plan runs. Only
whether each variable is absent, null or set is fixed at compile time (it is part of the
plan cache key). A variable whose value shapes the SQL (a whole filter, orderBy, objects
...) is read at compile time and recorded as structural, so its value joins the cache key.
"""

from __future__ import annotations

import json
from typing import Any

from jimgql.compile import gqlast as ast
from jimgql.errors import GraphQLError, invalid_input
from jimgql.record import record
from jimgql.schema.types import EnumType, InputObjectType, Schema, TypeRef

INT_MIN, INT_MAX = -(2**31), 2**31 - 1


class _Absent:
    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()


@record(frozen=True)
class EnumLiteral:
    """An unquoted enum value in the document (``is: NULL``, ``id: AscNullsFirst``)."""

    name: str


@record(frozen=True)
class VarRef:
    name: str


@record(frozen=True)
class Deferred:
    """A leaf variable to bind at execution time, checked against ``type``."""

    name: str
    type: TypeRef


class VariableScope:
    """The request's variables plus the operation's declared defaults."""

    def __init__(self, values: dict[str, Any], defaults: dict[str, Any]) -> None:
        self.values = values
        self.defaults = defaults
        self.structural: set[str] = set()

    def present(self, name: str) -> bool:
        return name in self.values or name in self.defaults

    def get(self, name: str) -> Any:
        if name in self.values:
            return self.values[name]
        return self.defaults.get(name, ABSENT)

    def state(self, name: str) -> str:
        value = self.get(name)
        return "A" if value is ABSENT else "N" if value is None else "V"

    def concrete(self, name: str) -> Any:
        self.structural.add(name)
        return self.get(name)


def literal(node: Any, scope: VariableScope | None) -> Any:
    """A value node to Python; variables stay :class:`VarRef` until a type asks for them."""
    if node is None:
        return ABSENT
    if isinstance(node, ast.Variable):
        return VarRef(node.name.value)
    if isinstance(node, ast.IntValue):
        try:
            return int(node.value)
        except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
            raise GraphQLError("Invalid input: integer literal too large") from None
    if isinstance(node, ast.FloatValue):
        return float(node.value)
    if isinstance(node, (ast.StringValue, ast.BooleanValue)):
        return node.value
    if isinstance(node, ast.NullValue):
        return None
    if isinstance(node, ast.EnumValue):
        return EnumLiteral(node.value)
    if isinstance(node, ast.ListValue):
        return [literal(v, scope) for v in node.values]
    if isinstance(node, ast.ObjectValue):
        return {f.name.value: literal(f.value, scope) for f in node.fields}
    raise GraphQLError("Unsupported value")


def default_value(node: Any) -> Any:
    """A variable definition's default (constant by the grammar)."""
    return plain(literal(node, None)) if node is not None else ABSENT


def plain(value: Any) -> Any:
    """Literals as the JSON a variable would carry (enum literals become strings)."""
    if isinstance(value, EnumLiteral):
        return value.name
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def is_leaf(schema: Schema, ref: TypeRef) -> bool:
    named = schema.get(ref.named)
    return not isinstance(named, InputObjectType)


class Coercer:
    """Checks values against input types; ``scope`` resolves variables."""

    def __init__(self, schema: Schema, scope: VariableScope) -> None:
        self.schema = schema
        self.scope = scope

    def coerce(self, value: Any, ref: TypeRef) -> Any:
        if isinstance(value, VarRef):
            state = self.scope.state(value.name)
            if state == "A":
                value = ABSENT
            elif state == "N":
                value = None
            elif is_leaf(self.schema, ref):
                # presence is already known (part of the plan key): check the value itself
                return Deferred(value.name, ref.nullable)
            else:
                value = self.scope.concrete(value.name)
        if value is ABSENT:
            return ABSENT
        if ref.kind == "NON_NULL":
            if value is None:
                raise invalid_input("NonNull")
            assert ref.of is not None
            return self.coerce(value, ref.of)
        if value is None:
            return None
        if ref.kind == "LIST":
            assert ref.of is not None
            items = value if isinstance(value, list) else [value]
            out = []
            for item in items:
                if isinstance(item, VarRef) and self.scope.state(item.name) == "A":
                    item = None  # an absent variable inside a list is null
                item = self.coerce(item, ref.of)
                out.append(None if item is ABSENT else item)
            return out
        return self.named(value, ref.named)

    def leaf_check(self, ref: TypeRef) -> Any:
        """For a (non-null) named scalar, a check of a variable's JSON value equivalent to
        :meth:`coerce` without its dispatch (it runs on every request); otherwise None."""
        nonnull = ref.kind == "NON_NULL"
        inner = ref.of if nonnull else ref
        if inner is None or inner.kind != "NAMED" or inner.name is None:
            return None
        name = inner.name
        if isinstance(self.schema.get(name), (InputObjectType, EnumType)):
            return None

        def check(value: Any) -> Any:
            if value is None:
                if nonnull:
                    raise invalid_input("NonNull")
                return None
            return scalar_value(name, value)

        return check

    def named(self, value: Any, name: str) -> Any:
        t = self.schema.get(name)
        if isinstance(t, InputObjectType):
            if not isinstance(value, dict):
                raise invalid_input(name)
            extra = [k for k in value if k not in t.fields]
            if extra:
                raise GraphQLError(f"Input for type {name} contains extra keys {json.dumps(extra)}")
            out = {}
            for key, item in value.items():
                item = self.coerce(item, t.fields[key].type)
                if item is not ABSENT:
                    out[key] = item
            return out
        if isinstance(t, EnumType):
            return enum_value(t, value)
        return scalar_value(name, value)


def enum_value(t: EnumType, value: Any) -> Any:
    key = value.name if isinstance(value, EnumLiteral) else value
    found = t.by_name(key) if isinstance(key, str) else None
    if found is None:
        raise invalid_input(t.name)
    return found


def scalar_value(name: str, value: Any) -> Any:
    """Check one scalar; returns a Python value ready to become parameter text."""
    if isinstance(value, EnumLiteral):
        raise invalid_input(name)
    ok = True
    if name == "Int":
        ok = isinstance(value, int) and not isinstance(value, bool) and INT_MIN <= value <= INT_MAX
        if not ok and isinstance(value, float) and value.is_integer():
            value, ok = int(value), INT_MIN <= value <= INT_MAX
    elif name == "Float":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif name == "Boolean":
        ok = isinstance(value, bool)
    elif name == "BigInt":
        ok = isinstance(value, (int, float, str)) and not isinstance(value, bool)
    elif name == "BigFloat":  # exact decimals travel as strings only: a JSON number is lossy
        if not isinstance(value, str):
            raise GraphQLError("Invalid input for BigFloat type. String required")
    elif name in ("String", "ID", "Cursor", "UUID", "Date", "Time", "Datetime"):
        ok = isinstance(value, str)
    elif name == "JSON":
        ok = True
    return value if ok else _raise(name)


def _raise(name: str) -> Any:
    raise invalid_input(name)


def to_text(value: Any, scalar: str) -> str | None:
    """A checked scalar as the text Postgres parses into the column's type."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if scalar == "JSON" and not isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, float) and value.is_integer() and scalar in ("BigInt", "Int"):
        return str(int(value))
    return str(value)


def array_text(items: list[str | None]) -> str:
    """A Postgres array literal for text elements (cast in SQL to the element type)."""
    out = []
    for item in items:
        if item is None:
            out.append("NULL")
        else:
            out.append('"' + item.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return "{" + ",".join(out) + "}"
