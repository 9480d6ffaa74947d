"""What the proxy needs to know about an operation before the database sees it.

graphql-core parses the document once per distinct text (an LRU cache), and we read off:
the selected operation's type (GET may not run mutations; only queries are cached), a
normalised text (comments and spacing removed: one cache entry per meaning, not per
spelling), and its depth, field and alias counts for the limits. Validation and execution
stay the engine's: a document that does not parse is still handed to graphql.resolve so the
client gets pg_graphql's own error message.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
    print_ast,
)


@dataclass(frozen=True)
class Operation:
    kind: str  # "query", "mutation" or "subscription"
    name: str | None  # the selected operation's name (for per-operation TTLs)
    normalized: str
    depth: int
    fields: int
    aliases: int


@lru_cache(maxsize=2048)
def _parse(query: str) -> DocumentNode | None:
    try:
        return parse(query, no_location=True)
    except GraphQLError:
        return None


@lru_cache(maxsize=2048)
def analyse(query: str, operation_name: str | None) -> Operation | None:
    """The selected operation, or None when the document does not parse or select one."""
    document = _parse(query)
    if document is None:
        return None
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
    return Operation(
        kind=selected.operation.value,
        name=selected.name.value if selected.name else None,
        normalized=print_ast(document),
        depth=depth,
        fields=counter.fields,
        aliases=counter.aliases,
    )


_INTROSPECTION = frozenset({"__schema", "__type"})


def _aliases(selection_set: SelectionSetNode | None) -> int:
    if selection_set is None:
        return 0
    total = 0
    for node in selection_set.selections:
        if isinstance(node, FieldNode):
            total += (node.alias is not None) + _aliases(node.selection_set)
        elif isinstance(node, InlineFragmentNode):
            total += _aliases(node.selection_set)
    return total


class _Counter:
    """Depth, fields and aliases, following fragment spreads (each use counts: that is the
    work the database does). A fragment cycle is invalid GraphQL; it is not followed twice,
    and the engine reports it.

    Introspection (`__schema`, `__type`) counts as one field of depth one: its size is
    bounded by the schema, not by the data, and tools send deep standard introspection
    queries (GraphiQL's is 15 levels, 229 fields). Aliases are counted everywhere, so the
    same introspection cannot be repeated without limit."""

    # A hard stop so a pathological document cannot make the analysis itself expensive.
    MAX_WORK = 100_000

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.fields = 0
        self.aliases = 0

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
                    self.aliases += _aliases(node.selection_set)
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
    """Whether the document defines any mutation (GET refuses it even when unselected)."""
    document = _parse(query)
    return document is not None and any(
        isinstance(d, OperationDefinitionNode) and d.operation.value != "query"
        for d in document.definitions
    )
