"""What the proxy needs to know about an operation before the database sees it.

graphql-core parses the document (the analysis of a small one is remembered in an LRU
cache, per distinct text), and we read off: the selected operation's type (GET may not run
mutations; only queries are cached), a normalised text (comments and spacing removed: one cache entry per meaning, not per
spelling), and its depth, field and alias counts for the limits. Validation and execution
stay the engine's.

A document graphql-core cannot parse is refused here (:class:`DocumentSyntaxError`), never
handed to the engine: the engine has a parser of its own, which accepts things graphql-core
does not (any Unicode whitespace between tokens — U+00A0, U+2028, a vertical tab). A
document the proxy could not read would otherwise run unchecked — no depth, field or alias
limits, and a mutation accepted over GET. Parsing is bounded (MAX_TOKENS, MAX_COMMENTS), so
a large body of tiny tokens cannot hold the event loop for seconds, and only small documents
are remembered, so distinct large documents cannot fill the process's memory.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from graphql import (
    ArgumentNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSyntaxError,
    InlineFragmentNode,
    ObjectFieldNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    Visitor,
    parse,
    print_ast,
    visit,
)

# Far above what an operation within the default limits needs (GraphiQL's introspection
# query is under 200 tokens; 250 fields with arguments a few thousand), far below what a
# 100 kB body of one-character tokens holds (~50,000, ~2 s of parsing and analysis).
MAX_TOKENS = 10_000
MAX_COMMENTS = 1_000
# Fields inside introspection, fragments expanded where spread: GraphiQL's full standard
# query has about 230 (its answer is the whole schema); the geometric fragment trees that
# make the answer explode pass a thousand within four levels.
MAX_INTROSPECTION_FIELDS = 500
# Documents up to this many characters have their analysis remembered (an LRU of 2,048).
_REMEMBERED_CHARS = 16_384


class DocumentSyntaxError(Exception):
    """The document does not parse (or is too large to parse); nothing may run it."""

    def __init__(self, message: str, *, too_large: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.too_large = too_large


@dataclass(frozen=True)
class Operation:
    kind: str  # "query", "mutation" or "subscription"
    name: str | None  # the selected operation's name (for per-operation TTLs)
    normalized: str
    depth: int
    fields: int
    aliases: int
    introspection_fields: int = 0  # inside __schema/__type, fragments expanded (see _Counter)
    # Variables whose values may change which tables the operation touches (see
    # plan_variables): part of the key under which those tables are remembered.
    plan_variables: tuple[str, ...] = ()

    def plan_variant(self, variables: dict | None) -> str:
        """The values of plan_variables, as text ('' when there are none)."""
        if not self.plan_variables:
            return ""
        given = variables or {}
        return json.dumps([[name, name in given, given.get(name)] for name in self.plan_variables],
                          sort_keys=True, separators=(",", ":"), default=str)


def _parse(query: str) -> DocumentNode:
    try:
        return parse(query, no_location=True, max_lexical_tokens=MAX_TOKENS, max_comments=MAX_COMMENTS)
    except GraphQLSyntaxError as exc:
        message = exc.message
        if exc.locations:
            where = exc.locations[0]
            message += f" (line {where.line}, column {where.column})"
        too_large = "Parsing aborted" in exc.message
        raise DocumentSyntaxError(message, too_large=too_large) from None
    except RecursionError:  # absurdly nested lists or objects
        raise DocumentSyntaxError("Syntax Error: the document is nested too deeply.", too_large=True) from None


Limits = tuple[int, int, int]  # max depth, fields, aliases


def analyse(query: str, operation_name: str | None, limits: Limits | None = None) -> Operation | None:
    """The selected operation, or None when the document selects none (the engine reports
    that). Raises DocumentSyntaxError when the document does not parse. Given the shape
    limits, an operation beyond them is only measured (``normalized`` is left empty): it
    will be refused, so the costlier half of the analysis is not spent on it."""
    if len(query) <= _REMEMBERED_CHARS:
        return _remembered(query, operation_name, limits)
    return _analyse(query, operation_name, limits)


@lru_cache(maxsize=2048)
def _remembered(query: str, operation_name: str | None, limits: Limits | None) -> Operation | None:
    return _analyse(query, operation_name, limits)


def _analyse(query: str, operation_name: str | None, limits: Limits | None) -> Operation | None:
    document = _parse(query)
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        selected = operations[0] if len(operations) == 1 else None
    else:
        selected = next((o for o in operations if o.name and o.name.value == operation_name), None)
    if selected is None:
        return None
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    counter = _Counter(fragments)
    depth = counter.walk(selected.selection_set, 0, frozenset())
    name = selected.name.value if selected.name else None
    if limits is not None and (depth > limits[0] or counter.fields > limits[1] or counter.aliases > limits[2]
                               or counter.introspection_fields > MAX_INTROSPECTION_FIELDS):
        return Operation(selected.operation.value, name, "", depth, counter.fields, counter.aliases,
                         counter.introspection_fields)
    return Operation(
        kind=selected.operation.value,
        name=name,
        normalized=print_ast(document),
        depth=depth,
        fields=counter.fields,
        aliases=counter.aliases,
        introspection_fields=counter.introspection_fields,
        plan_variables=plan_variables(document),
    )


class _PlanVariables(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_variable(self, node: VariableNode, key, parent, path, ancestors) -> None:
        for ancestor in (*ancestors, parent):
            if isinstance(ancestor, DirectiveNode) or (
                isinstance(ancestor, (ArgumentNode, ObjectFieldNode)) and ancestor.name.value == "nodeId"
            ):
                self.names.add(node.name.value)
                return


def plan_variables(document: DocumentNode) -> tuple[str, ...]:
    """Variables whose values can change the tables the engine's plan reads or writes.

    The engine's plan depends on some variable values: a directive's (``@include(if: $x)``
    adds or drops a relationship, hence a table) and a node id's (``node(nodeId: $id)``
    reads whichever table the id names). The tables the proxy remembers for an operation
    (proxy/tables.py) are therefore remembered per value of these variables, so a request
    whose values select other tables is never filed under the versions of the wrong ones.
    Variables may be used without being declared, so they are found where they are used.
    """
    finder = _PlanVariables()
    visit(document, finder)
    return tuple(sorted(finder.names))


_INTROSPECTION = frozenset({"__schema", "__type"})


class _Counter:
    """Depth, fields and aliases, following fragment spreads (each use counts: that is the
    work the database does). A fragment cycle is invalid GraphQL; it is not followed twice,
    and the engine reports it.

    Introspection (`__schema`, `__type`) counts as one field of depth one towards the
    operation's limits — tools send deep standard introspection queries (GraphiQL's is 15
    levels, 229 fields) — and its own fields, fragments expanded where they are spread, are
    counted apart (``introspection_fields``, against MAX_INTROSPECTION_FIELDS): the answer
    is not bounded by the schema alone, since nested fragments spread several times per
    level (`fields { type { ...T ofType { ...T } } }`) grow it geometrically — a few
    hundred bytes of document asked megabytes and seconds of the database. Aliases are
    counted everywhere, inside introspection's fragments too."""

    # A hard stop so a pathological document cannot make the analysis itself expensive.
    MAX_WORK = 100_000

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.fields = 0
        self.aliases = 0
        self.introspection_fields = 0

    def introspect(self, selection_set: SelectionSetNode | None, seen: frozenset[str]) -> None:
        if selection_set is None or self.introspection_fields > self.MAX_WORK:
            return
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                self.introspection_fields += 1
                if node.alias is not None:
                    self.aliases += 1
                self.introspect(node.selection_set, seen)
            elif isinstance(node, InlineFragmentNode):
                self.introspect(node.selection_set, seen)
            elif isinstance(node, FragmentSpreadNode):
                name = node.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in seen:
                    self.introspect(fragment.selection_set, seen | {name})

    def walk(self, selection_set: SelectionSetNode | None, depth: int, seen: frozenset[str]) -> int:
        if selection_set is None or self.fields > self.MAX_WORK:
            return depth
        deepest = depth
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                self.fields += 1
                if node.alias is not None:
                    self.aliases += 1
                below = depth + 1
                if node.name.value in _INTROSPECTION:
                    self.introspect(node.selection_set, seen)
                elif node.selection_set is not None:
                    below = self.walk(node.selection_set, depth + 1, seen)
                deepest = max(deepest, below)
            elif isinstance(node, InlineFragmentNode):
                deepest = max(deepest, self.walk(node.selection_set, depth, seen))
            elif isinstance(node, FragmentSpreadNode):
                name = node.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in seen:
                    deepest = max(deepest, self.walk(fragment.selection_set, depth, seen | {name}))
        return deepest


def has_mutation(query: str) -> bool:
    """Whether the document defines any mutation (GET refuses it even when unselected).
    Raises DocumentSyntaxError when the document does not parse."""
    document = _parse(query)
    return any(
        isinstance(d, OperationDefinitionNode) and d.operation.value != "query"
        for d in document.definitions
    )
