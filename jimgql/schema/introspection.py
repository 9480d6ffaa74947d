"""``__schema`` and ``__type``: the schema model as graphql-core types, executed by graphql-core.

Only built when a request introspects (and cached with the schema). pg_graphql 1.6 rules:
introspection answers only when a schema on the search_path opted in with
``@graphql({"introspection": true})``, and it shows only the types and fields that come from
opted-in schemas (built-ins always show); a hidden type is indistinguishable from a missing one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, cast

from graphql import (
    ExecutionResult,
    GraphQLArgument,
    GraphQLBoolean,
    GraphQLDirective,
    GraphQLEnumType,
    GraphQLEnumValue,
    GraphQLField,
    GraphQLFloat,
    GraphQLID,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInt,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLString,
    execute,
    get_named_type,
)
from graphql.error import GraphQLError as CoreError
from graphql.language import DirectiveLocation, Visitor, ast, parse, visit

from jimgql.compile.document import Collector, Document, Selected
from jimgql.compile.values import VariableScope
from jimgql.schema import introspection_meta
from jimgql.schema.types import (
    EnumType,
    InputObjectType,
    InterfaceType,
    NamedType,
    ObjectType,
    ScalarType,
    Schema,
    TypeRef,
)

STANDARD = {"Int": GraphQLInt, "Float": GraphQLFloat, "String": GraphQLString,
            "Boolean": GraphQLBoolean, "ID": GraphQLID}
_LOCATIONS = [DirectiveLocation.FIELD, DirectiveLocation.FRAGMENT_SPREAD,
              DirectiveLocation.INLINE_FRAGMENT]
DIRECTIVES = [
    GraphQLDirective("include", _LOCATIONS,
                     {"if": GraphQLArgument(GraphQLNonNull(GraphQLBoolean), description="Included when true")},
                     description="This field or fragment will be included only when the `if` argument is true."),
    GraphQLDirective("skip", _LOCATIONS,
                     {"if": GraphQLArgument(GraphQLNonNull(GraphQLBoolean), description="Skipped when true")},
                     description="This field or fragment will be skipped when the `if` argument is true."),
]
SCHEMA_DESCRIPTION = "Represents the GraphQL schema of the database"


class _Converter:
    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        allowed = schema.introspection or frozenset()
        self.visible = {
            name for name, t in schema.types.items() if t.origin is None or t.origin in allowed
        }
        self.built: dict[str, Any] = {}

    def ref_visible(self, ref: TypeRef) -> bool:
        return ref.named in self.visible

    def ref(self, ref: TypeRef) -> Any:
        if ref.kind == "NON_NULL":
            assert ref.of is not None
            return GraphQLNonNull(self.ref(ref.of))
        if ref.kind == "LIST":
            assert ref.of is not None
            return GraphQLList(self.ref(ref.of))
        return self.named(ref.named)

    def named(self, name: str) -> Any:
        if name in STANDARD:
            return STANDARD[name]
        if name in self.built:
            return self.built[name]
        t = self.schema.types[name]
        self.built[name] = out = self._build(t)
        return out

    def _build(self, t: NamedType) -> Any:
        if isinstance(t, ScalarType):
            return GraphQLScalarType(t.name, description=t.description)
        if isinstance(t, EnumType):
            return GraphQLEnumType(t.name, {v.name: GraphQLEnumValue(v.name, v.description)
                                            for v in t.values}, description=t.description)
        if isinstance(t, InputObjectType):
            return GraphQLInputObjectType(t.name, self._input_thunk(t), description=t.description)
        if isinstance(t, InterfaceType):
            return GraphQLInterfaceType(t.name, self._fields_thunk(t.fields), description=t.description)
        assert isinstance(t, ObjectType)
        return GraphQLObjectType(t.name, self._fields_thunk(t.fields),
                                 interfaces=self._interfaces_thunk(t), description=t.description)

    # Thunks: graphql-core resolves them lazily, so types may refer to each other.
    def _input_thunk(self, t: InputObjectType) -> Callable[[], dict[str, GraphQLInputField]]:
        def thunk() -> dict[str, GraphQLInputField]:
            return {n: GraphQLInputField(self.ref(f.type), description=f.description)
                    for n, f in t.fields.items() if self.ref_visible(f.type)}
        return thunk

    def _fields_thunk(self, fields: dict[str, Any]) -> Callable[[], dict[str, GraphQLField]]:
        return lambda: self._fields(fields)

    def _interfaces_thunk(self, t: ObjectType) -> Callable[[], list[Any]]:
        return lambda: [self.named(i) for i in t.interfaces]

    def _fields(self, fields: dict[str, Any]) -> dict[str, GraphQLField]:
        out = {}
        for name, f in fields.items():
            if not self.ref_visible(f.type) or not all(self.ref_visible(a.type) for a in f.args.values()):
                continue
            origin = getattr(getattr(f.meta, "func", None), "schema", None)
            if origin is not None and origin not in self.visible_schemas:
                continue
            out[name] = GraphQLField(
                self.ref(f.type),
                {a.name: GraphQLArgument(self.ref(a.type), description=a.description,
                                         default_value=_default(a.default))
                 for a in f.args.values()},
                description=f.description,
            )
        return out

    @property
    def visible_schemas(self) -> frozenset[str]:
        return self.schema.introspection or frozenset()

    def build_schema(self) -> GraphQLSchema:
        # graphql-core's built-in scalars are shared singletons (the introspection types use
        # them); only this engine uses graphql-core in the server, so give them pg_graphql's
        # descriptions.
        for name, scalar in STANDARD.items():
            scalar.description = self.schema.types[name].description
        introspection_meta.apply()
        mutation = self.named("Mutation") if self.schema.mutation else None
        types = [self.named(n) for n in sorted(self.visible) if n not in STANDARD]
        gql = GraphQLSchema(self.named("Query"), mutation, types=types, directives=DIRECTIVES,
                            description=SCHEMA_DESCRIPTION)
        gql.type_map = dict(sorted(gql.type_map.items()))
        return gql


def _default(text: str | None) -> Any:
    from graphql.pyutils import Undefined  # noqa: PLC0415

    if text is None:
        return Undefined
    try:
        return json.loads(text)
    except ValueError:
        return text


def graphql_schema(schema: Schema) -> GraphQLSchema:
    if schema.graphql is None:
        schema.graphql = _Converter(schema).build_schema()
    return schema.graphql


def run(schema: Schema, doc: Document, sel: Selected, scope: VariableScope,
        collector: Collector) -> str:
    """Execute one ``__schema``/``__type`` root field; returns its JSON text.

    graphql-core executes it from its own parse of the request (same text), restricted to
    the root fields answering to this response key.  graphql-core's execution passes over
    fields a type does not have; pg_graphql refuses them, so the answer is walked after.
    That walk also gives ``__typename`` pg_graphql's value on meta objects: the name of what
    the object describes (each selection set then also asks for ``name``, under a reserved key).
    """
    try:
        parsed = parse(doc.text, no_location=True)
    except CoreError as exc:  # graphql-core's grammar is stricter than the engine's (``f()``)
        from jimgql.errors import GraphQLError  # noqa: PLC0415

        raise GraphQLError(exc.message.splitlines()[0]) from None
    name = doc.operation.name.value if doc.operation.name else None
    operation = next(
        d for d in parsed.definitions
        if isinstance(d, ast.OperationDefinitionNode)
        and (d.name.value if d.name else None) == name
    )
    keep = tuple(
        s for s in operation.selection_set.selections
        if isinstance(s, ast.FieldNode) and (s.alias or s.name).value == sel.alias
    ) or operation.selection_set.selections
    operation = ast.OperationDefinitionNode(
        operation=ast.OperationType.QUERY, name=operation.name,
        selection_set=ast.SelectionSetNode(selections=keep),
        variable_definitions=operation.variable_definitions, directives=(),
    )
    fragments = tuple(d for d in parsed.definitions if isinstance(d, ast.FragmentDefinitionNode))
    document = ast.DocumentNode(definitions=(operation, *fragments))
    if "__typename" in doc.text:
        document = visit(document, _NameAlongside())
    variables = {**scope.defaults, **scope.values}
    budget = _Budget(resolve_budget(schema))
    try:
        result = cast(ExecutionResult, execute(graphql_schema(schema), document,
                                               variable_values=variables, middleware=[budget]))
    except TypeError as exc:  # graphql-core refusing the schema: say so, not a traceback
        from jimgql.errors import GraphQLError  # noqa: PLC0415

        raise GraphQLError(f"Introspection is not available for this schema: {exc}") from None
    if budget.exceeded:
        from jimgql.errors import GraphQLError  # noqa: PLC0415

        raise GraphQLError(TOO_LARGE)
    if result.errors:
        from jimgql.errors import GraphQLError  # noqa: PLC0415

        raise GraphQLError(result.errors[0].message)
    data = result.data or {}
    value = data.get(sel.alias)
    root = "__Schema" if sel.name == "__schema" else "__Type"
    _check_fields(graphql_schema(schema), collector, root, sel.selection_sets(), value)
    return json.dumps(value)


# Fields graphql-core may resolve for one introspection field. Lists multiply: each level of
# ``fields { type { fields { type ... } } }`` (or aliases spread by fragments) multiplies
# the answer by the schema's size, and graphql-core runs as plain Python in the backend
# (about 20 microseconds a field), where neither a statement timeout nor a cancel interrupts
# it. The budget grows with the schema, so that the whole schema can always be introspected:
# pg_graphql's introspection query resolves about 8,400 fields on the sample app's largest
# schema, whose size (below) is about 850, so 20 per unit covers it twice over.
MAX_RESOLVED = 100_000
RESOLVED_PER_MEMBER = 20
TOO_LARGE = "Introspection answer exceeds the maximum number of resolved fields"


def resolve_budget(schema: Schema) -> int:
    """:data:`MAX_RESOLVED` plus :data:`RESOLVED_PER_MEMBER` per type, field, argument, input
    field and enum value of the schema (hidden ones included: an upper bound)."""
    size = 0
    for t in schema.types.values():
        size += 1
        if isinstance(t, (ObjectType, InterfaceType)):
            size += sum(1 + len(f.args) for f in t.fields.values())
        elif isinstance(t, InputObjectType):
            size += len(t.fields)
        elif isinstance(t, EnumType):
            size += len(t.values)
    return MAX_RESOLVED + RESOLVED_PER_MEMBER * size


class _Budget:
    """graphql-core middleware counting resolved fields; past the budget every field fails
    at once (graphql-core turns the exception into an error and stops descending)."""

    def __init__(self, limit: int) -> None:
        self.left = limit
        self.exceeded = False

    def resolve(self, next_: Callable[..., Any], root: Any, info: Any, **args: Any) -> Any:
        self.left -= 1
        if self.left < 0:
            self.exceeded = True
            raise _Exhausted
        return next_(root, info, **args)


class _Exhausted(Exception):
    pass


# __typename on a meta object answers with the name of what it describes (pg_graphql's
# builders take the type's, field's, argument's or enum value's name; ``__schema`` for the
# schema): every selection set also asks for ``name`` under this key, dropped from the answer
_NAME_KEY = "__jimDescribedName"
_NAME_FIELD = ast.FieldNode(alias=ast.NameNode(value=_NAME_KEY), name=ast.NameNode(value="name"),
                            arguments=(), directives=())


class _NameAlongside(Visitor):
    def leave_selection_set(self, node: ast.SelectionSetNode, *_args: Any) -> ast.SelectionSetNode:
        return ast.SelectionSetNode(selections=(*node.selections, _NAME_FIELD))


# pg_graphql's wording, one per meta type, for a field the type does not have
_UNKNOWN = {
    "__Schema": "unknown field in __Schema: {}",
    "__Type": "unknown field on __Type: {}",
    "__Field": "unknown field in __Field {}",
    "__InputValue": "unknown field in __InputValue: {}",
    "__EnumValue": "unknown field in __EnumValue: {}",
    "__Directive": "unknown field {} in __Directive",
}


def _check_fields(gschema: GraphQLSchema, collector: Collector, type_name: str,
                  selection_sets: list[Any], value: Any) -> None:
    """Depth first over the answer, as pg_graphql builds it: a selection on an object that
    was answered (not null, not an empty list) naming a field its type lacks fails the request."""
    if value is None:
        return
    if isinstance(value, list):
        for item in value:
            _check_fields(gschema, collector, type_name, selection_sets, item)
        return
    gtype = gschema.get_type(type_name)
    if not isinstance(gtype, GraphQLObjectType) or not isinstance(value, dict):
        return
    described = value.pop(_NAME_KEY, None)
    for f in collector.fields(selection_sets, {type_name}):
        if f.name == "__typename":
            if type_name == "__Schema":
                value[f.alias] = "__schema"
            elif type_name != "__Directive":
                value[f.alias] = described
            continue
        definition = gtype.fields.get(f.name)
        if definition is None:
            from jimgql.errors import GraphQLError  # noqa: PLC0415

            raise GraphQLError(_UNKNOWN.get(type_name, "unknown field {}").format(f.name))
        inner = get_named_type(definition.type)
        if isinstance(inner, GraphQLObjectType):
            _check_fields(gschema, collector, inner.name, f.selection_sets(), value.get(f.alias))
