"""A compact GraphQL type system: what the compiler needs to validate and plan a request.

Named types carry the schema they come from (``origin``), so introspection can hide the
types of schemas that did not opt in. Fields and input fields keep a ``meta`` object that
tells the compiler how the field maps to SQL (a column, a relationship, a function...).
"""

from __future__ import annotations

from typing import Any

from jimgql.record import field, record


@record(frozen=True)
class TypeRef:
    """A reference to a named type, or a List / NonNull wrapper around another reference."""

    kind: str  # NAMED, LIST, NON_NULL
    name: str | None = None
    of: TypeRef | None = None

    @property
    def named(self) -> str:
        ref: TypeRef = self
        while ref.of is not None:
            ref = ref.of
        assert ref.name is not None
        return ref.name

    @property
    def nullable(self) -> TypeRef:
        return self.of if self.kind == "NON_NULL" and self.of is not None else self

    def sdl(self) -> str:
        if self.kind == "NON_NULL":
            assert self.of is not None
            return self.of.sdl() + "!"
        if self.kind == "LIST":
            assert self.of is not None
            return "[" + self.of.sdl() + "]"
        return self.name or "?"


def named(name: str) -> TypeRef:
    return TypeRef("NAMED", name)


def non_null(ref: TypeRef | str) -> TypeRef:
    return TypeRef("NON_NULL", of=named(ref) if isinstance(ref, str) else ref)


def list_of(ref: TypeRef | str) -> TypeRef:
    return TypeRef("LIST", of=named(ref) if isinstance(ref, str) else ref)


@record
class InputValue:
    name: str
    type: TypeRef
    description: str | None = None
    default: str | None = None  # GraphQL literal text, as introspection shows it
    meta: Any = None


@record
class Field:
    name: str
    type: TypeRef
    description: str | None = None
    args: dict[str, InputValue] = field(default_factory=dict)
    meta: Any = None


@record
class NamedType:
    name: str
    description: str | None = None
    origin: str | None = None  # the SQL schema the type comes from; None for built-ins

    kind = "SCALAR"


@record
class ScalarType(NamedType):
    kind = "SCALAR"


@record
class EnumValue:
    name: str
    description: str | None = None
    sql: str | None = None  # the SQL label (enums reflected from Postgres)


@record
class EnumType(NamedType):
    values: list[EnumValue] = field(default_factory=list)
    pg_oid: int = 0
    kind = "ENUM"

    def by_name(self, name: str) -> EnumValue | None:
        for value in self.values:
            if value.name == name:
                return value
        return None

    def by_sql(self, label: str) -> EnumValue | None:
        for value in self.values:
            if value.sql == label:
                return value
        return None


@record
class InputObjectType(NamedType):
    fields: dict[str, InputValue] = field(default_factory=dict)
    meta: Any = None
    kind = "INPUT_OBJECT"


@record
class ObjectType(NamedType):
    fields: dict[str, Field] = field(default_factory=dict)
    interfaces: list[str] = field(default_factory=list)
    meta: Any = None
    kind = "OBJECT"


@record
class InterfaceType(NamedType):
    fields: dict[str, Field] = field(default_factory=dict)
    possible: list[str] = field(default_factory=list)
    kind = "INTERFACE"


@record
class Schema:
    """The schema one role sees through one search_path at one catalog version."""

    types: dict[str, NamedType]
    query: str = "Query"
    mutation: str | None = None
    # Which SQL schemas opted into introspection (None: introspection fully disabled).
    introspection: frozenset[str] | None = None
    tables: dict[int, Any] = field(default_factory=dict)  # relation oid -> TableInfo
    node_tables: dict[tuple[str, str], Any] = field(default_factory=dict)  # (schema, name)
    graphql: Any = None  # graphql-core schema, built on the first introspection

    def get(self, name: str) -> NamedType | None:
        return self.types.get(name)

    def object(self, name: str) -> ObjectType:
        t = self.types[name]
        assert isinstance(t, ObjectType)
        return t
