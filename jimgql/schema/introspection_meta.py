"""The introspection meta types (``__Schema``, ``__Type``, ...) as pg_graphql presents them.

graphql-core answers ``__schema``/``__type`` with the GraphQL specification's meta types; a
GraphiQL-style full introspection of pg_graphql differs from them in ways clients can see:
the meta types list their fields in alphabetical order with pg_graphql's descriptions,
``includeDeprecated`` is a nullable ``Boolean`` (also on ``__Schema.directives``), there is no
``isOneOf``, the ``__TypeKind`` values carry no description, the directive locations are the
ones pg_graphql knows, and ``enumValues``/``interfaces`` are ``[]`` (not null) on types that
have none. graphql-core keeps these types as module-level singletons that its executor uses
directly, so they are adjusted in place, once per process, before a schema is built. Only this
engine executes introspection with graphql-core in the server (the proxy only parses).
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLArgument, GraphQLBoolean, GraphQLField
from graphql.type import introspection

_SCHEMA_FIELDS = {
    "description": None,
    "directives": "A list of all directives supported by this server.",
    "mutationType": "If this server supports mutation, the type that mutation operations will be rooted at.",
    "queryType": "The type that query operations will be rooted at.",
    "subscriptionType": "If this server support subscription, the type that subscription operations will be rooted at.",
    "types": "A list of all types supported by this server.",
}
_NO_DESCRIPTIONS = {
    "__Directive": ["args", "description", "isRepeatable", "locations", "name"],
    "__Type": ["description", "enumValues", "fields", "inputFields", "interfaces", "kind", "name",
               "ofType", "possibleTypes", "specifiedByURL"],
    "__Field": ["args", "deprecationReason", "description", "isDeprecated", "name", "type"],
    "__InputValue": ["defaultValue", "deprecationReason", "description", "isDeprecated", "name", "type"],
    "__EnumValue": ["deprecationReason", "description", "isDeprecated", "name"],
}
_INPUT_DEFAULT = "A GraphQL-formatted string representing the default value for this input value."
# pg_graphql's wording (its texts keep the two-character sequence \n, not a line break)
_TYPE_DESCRIPTIONS = {
    "__Directive": "A Directive provides a way to describe alternate runtime execution and type "
    "validation behavior in a GraphQL document.\\n\\nIn some cases, you need to provide options "
    "to alter GraphQL execution behavior in ways field arguments will not suffice, such as "
    "conditionally including or skipping a field. Directives provide this by describing "
    "additional information to the executor.",
    "__Type": "The fundamental unit of any GraphQL Schema is the type. There are many kinds of "
    "types in GraphQL as represented by the `__TypeKind` enum.\\n\\nDepending on the kind of a "
    "type, certain fields describe information about that type. Scalar types provide no "
    "information beyond a name, description and optional `specifiedByURL`, while Enum types "
    "provide their values. Object and Interface types provide the fields they describe. "
    "Abstract types, Union and Interface, provide the Object types possible at runtime. List "
    "and NonNull types compose other types ",
}
_LOCATIONS = [
    "QUERY", "MUTATION", "SUBSCRIPTION", "FIELD", "FRAGMENT_DEFINITION", "FRAGMENT_SPREAD",
    "INLINE_FRAGMENT", "VARIABLE_DEFINITION", "SCHEMA", "SCALAR", "OBJECT", "FIELD_DEFINITION",
    "ARGUMENT_DEFINITION", "INTERFACE", "UNION", "ENUM", "ENUM_VALUE", "INPUT_OBJECT",
    "INPUT_FIELD_DEFINITION",
]
_applied = False


def _include_deprecated() -> dict[str, GraphQLArgument]:
    return {"includeDeprecated": GraphQLArgument(GraphQLBoolean, default_value=False)}


def _empty_list(resolve: Any) -> Any:
    """``enumValues``/``interfaces``: an empty list where graphql-core answers null."""
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        value = resolve(*args, **kwargs)
        return [] if value is None else value
    return wrapped


def _field(old: GraphQLField, description: str | None) -> GraphQLField:
    args = _include_deprecated() if "includeDeprecated" in old.args else old.args
    return GraphQLField(old.type, args, old.resolve, description=description)


def _replace_fields(name: str, fields: dict[str, GraphQLField]) -> None:
    t: Any = introspection.introspection_types[name]
    t._fields = lambda: fields  # noqa: SLF001 - the thunk graphql-core reads
    t.__dict__.pop("fields", None)  # drop the cached resolution of the old thunk


def apply() -> None:
    """Adjust graphql-core's meta types to pg_graphql's presentation (idempotent)."""
    global _applied  # noqa: PLW0603 - once per process
    if _applied:
        return
    types: Any = introspection.introspection_types
    old = types["__Schema"].fields
    schema_fields = {n: _field(old[n], d) for n, d in _SCHEMA_FIELDS.items()}
    schema_fields["directives"].args = _include_deprecated()
    _replace_fields("__Schema", schema_fields)
    for name, order in _NO_DESCRIPTIONS.items():
        old = types[name].fields
        new = {n: _field(old[n], None) for n in order if n in old}
        if name == "__InputValue":
            new["defaultValue"].description = _INPUT_DEFAULT
        if name == "__Type":
            new["enumValues"].resolve = _empty_list(new["enumValues"].resolve)
            new["interfaces"].resolve = _empty_list(new["interfaces"].resolve)
        _replace_fields(name, new)
    for name, text in _TYPE_DESCRIPTIONS.items():
        types[name].description = text
    for value in types["__TypeKind"].values.values():
        value.description = None
    locations = types["__DirectiveLocation"].values
    for name in [n for n in locations if n not in _LOCATIONS]:
        del locations[name]
    locations["VARIABLE_DEFINITION"].description = "Location adjacent to a variable definition."
    _applied = True
