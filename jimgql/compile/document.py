"""The request document: parse it, pick the operation, collect fields the way pg_graphql does.

Checks made here are about the document as a whole and are reported without ``data``:
parse errors, operation selection, subscriptions, fragment cycles and selection depth.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from jimgql.compile import gqlast as ast
from jimgql.compile.parser import parse
from jimgql.compile.values import ABSENT, Coercer, VariableScope, default_value, literal
from jimgql.errors import GraphQLError, OperationError
from jimgql.record import field, record

MAX_DEPTH = 32
# Fields of the operation with every fragment spread expanded where it is spread. Fragments
# spread several times multiply: without a bound, a document of a few lines can name 2**40
# fields (and the compiler, running in the backend as plain Python, is not interrupted by a
# statement timeout or a cancel). Real operations stay far below (pg_graphql's own
# introspection query expands to about 220).
MAX_FIELDS = 10_000


@record
class Document:
    operation: ast.OperationDefinition
    fragments: dict[str, ast.FragmentDefinition]
    defaults: dict[str, object]
    variable_names: list[str] = field(default_factory=list)
    text: str = ""

    @property
    def kind(self) -> str:
        return self.operation.operation  # query | mutation | subscription


def load(text: str, operation_name: str | None) -> Document:
    doc = parse(text)
    operations = [d for d in doc.definitions if isinstance(d, ast.OperationDefinition)]
    fragments: dict[str, ast.FragmentDefinition] = {}
    for d in doc.definitions:
        if isinstance(d, ast.FragmentDefinition):
            fragments[d.name.value] = d
    names = [op.name.value for op in operations if op.name is not None]
    if len(names) != len(set(names)):
        raise OperationError("Operation names must be unique")
    if len(operations) > 1 and any(op.name is None for op in operations):
        raise OperationError("Anonymous operations must be the only defined operation")
    if operation_name is not None:
        chosen = [op for op in operations if op.name is not None and op.name.value == operation_name]
    else:
        chosen = operations if len(operations) == 1 else []
    if not chosen:
        raise OperationError("Operation not found")
    operation = chosen[0]
    if operation.operation == "subscription":
        raise OperationError("Subscriptions are not supported")
    _check_cycles(fragments)
    if _measure(operation.selection_set, fragments, {}, _deepest) > MAX_DEPTH:
        raise OperationError(
            f"Query selection depth exceeds the maximum allowed depth of {MAX_DEPTH}"
        )
    if _measure(operation.selection_set, fragments, {}, sum) > MAX_FIELDS:
        raise OperationError(
            f"Query selects more than the maximum allowed {MAX_FIELDS} fields"
            " (counting each fragment where it is spread)"
        )
    defaults = {}
    for definition in operation.variable_definitions or ():
        value = default_value(definition.default_value)
        if value is not ABSENT:
            defaults[definition.variable.name.value] = value
    return Document(operation, fragments, defaults, _variables(operation, fragments), text)


def _spreads(node: ast.SelectionSet | None) -> Iterator[str]:
    if node is None:
        return
    for sel in node.selections:
        if isinstance(sel, ast.FragmentSpread):
            yield sel.name.value
        else:
            yield from _spreads(sel.selection_set)


def _check_cycles(fragments: dict[str, ast.FragmentDefinition]) -> None:
    state: dict[str, int] = {}

    def visit(name: str) -> None:
        if state.get(name) == 2 or name not in fragments:
            return
        if state.get(name) == 1:
            raise OperationError("Found a cycle between fragments")
        state[name] = 1
        for child in _spreads(fragments[name].selection_set):
            visit(child)
        state[name] = 2

    for name in fragments:
        visit(name)


def _measure(node: ast.SelectionSet | None, fragments: dict[str, ast.FragmentDefinition],
             memo: dict[str, int], combine: Callable[[list[int]], int]) -> int:
    """A selection set's depth (combine: max) or number of fields (combine: sum) with fragments
    expanded (before merging), each fragment measured once (memo; cycles are refused before)."""
    if node is None:
        return 0
    parts: list[int] = []
    for sel in node.selections:
        if isinstance(sel, ast.Field):
            parts.append(1 + _measure(sel.selection_set, fragments, memo, combine))
        elif isinstance(sel, ast.InlineFragment):
            parts.append(_measure(sel.selection_set, fragments, memo, combine))
        elif isinstance(sel, ast.FragmentSpread):
            name = sel.name.value
            if name not in memo and name in fragments:
                memo[name] = 0
                memo[name] = _measure(fragments[name].selection_set, fragments, memo, combine)
            parts.append(memo.get(name, 0))
    return combine(parts)


def _deepest(parts: list[int]) -> int:
    return max(parts, default=0)


def _variables(operation: ast.OperationDefinition,
               fragments: dict[str, ast.FragmentDefinition]) -> list[str]:
    """Every variable the operation (and any fragment) refers to, in document order."""
    found: list[str] = []

    def value(node: object) -> None:
        if isinstance(node, ast.Variable):
            if node.name.value not in found:
                found.append(node.name.value)
        elif isinstance(node, ast.ListValue):
            for item in node.values:
                value(item)
        elif isinstance(node, ast.ObjectValue):
            for f in node.fields:
                value(f.value)

    def directives(items: list[ast.Directive]) -> None:
        for d in items:
            for a in d.arguments:
                value(a.value)

    def selections(node: ast.SelectionSet | None) -> None:
        if node is None:
            return
        for sel in node.selections:
            directives(sel.directives)
            if isinstance(sel, ast.Field):
                for a in sel.arguments:
                    value(a.value)
            if not isinstance(sel, ast.FragmentSpread):
                selections(sel.selection_set)

    directives(operation.directives)
    selections(operation.selection_set)
    for fragment in fragments.values():
        selections(fragment.selection_set)
    return found


@record
class Selected:
    """One response key and the field nodes merged under it."""

    alias: str
    name: str
    nodes: list[ast.Field]

    @property
    def node(self) -> ast.Field:
        return self.nodes[0]

    def selection_sets(self) -> list[ast.SelectionSet]:
        return [n.selection_set for n in self.nodes if n.selection_set is not None]


class Collector:
    """Fields of a selection set for a concrete type, with fragments, @skip/@include and
    pg_graphql's field merging rules."""

    def __init__(self, doc: Document, coercer: Coercer) -> None:
        self.doc = doc
        self.coercer = coercer

    def fields(self, selection_sets: list[ast.SelectionSet], type_names: set[str]) -> list[Selected]:
        out: dict[str, Selected] = {}
        visited: set[str] = set()
        for selection_set in selection_sets:
            self._collect(selection_set, type_names, out, visited)
        return list(out.values())

    def _collect(self, selection_set: ast.SelectionSet, type_names: set[str],
                 out: dict[str, Selected], visited: set[str]) -> None:
        for sel in selection_set.selections:
            if not self._included(sel):
                continue
            if isinstance(sel, ast.Field):
                alias = sel.alias.value if sel.alias else sel.name.value
                existing = out.get(alias)
                if existing is None:
                    out[alias] = Selected(alias, sel.name.value, [sel])
                    continue
                if existing.name != sel.name.value:
                    raise GraphQLError(
                        f"Fields `{sel.name.value}` and `{existing.name}` are different"
                    )
                if _args_key(existing.node) != _args_key(sel):
                    raise OperationError(
                        f"Two fields named `{alias}` have different arguments"
                    )
                existing.nodes.append(sel)
            elif isinstance(sel, ast.InlineFragment):
                cond = sel.type_condition.name.value if sel.type_condition else None
                if cond is None or cond in type_names:
                    self._collect(sel.selection_set, type_names, out, visited)
            elif isinstance(sel, ast.FragmentSpread):
                fragment = self.doc.fragments.get(sel.name.value)
                if fragment is None:
                    raise OperationError(f"Unknown fragment: {sel.name.value}")
                # A fragment spread again into the same fields adds only the nodes its first
                # spread added (same aliases, names and arguments): collect it once, as the
                # GraphQL specification's CollectFields does.
                if sel.name.value in visited:
                    continue
                visited.add(sel.name.value)
                if fragment.type_condition.name.value in type_names:
                    self._collect(fragment.selection_set, type_names, out, visited)

    def _included(self, sel: Any) -> bool:
        for directive in sel.directives or ():
            name = directive.name.value
            if name not in ("skip", "include"):
                continue
            arg = next((a for a in directive.arguments if a.name.value == "if"), None)
            node = arg.value if arg else None
            if isinstance(node, ast.Variable):  # the choice shapes the SQL: part of the plan key
                value = self.coercer.scope.concrete(node.name.value)
            else:
                value = literal(node, None)
            if value is ABSENT or value is None:
                raise GraphQLError(f'Value for "if" in @{name} directive is required')
            if not isinstance(value, bool):
                raise GraphQLError("Invalid input for Boolean type")
            if (name == "skip") == value:
                return False
        return True


def _args_key(node: ast.Field) -> list[tuple[str, str]]:
    return sorted((a.name.value, ast.print_value(a.value)) for a in node.arguments or ())


def scope_for(doc: Document, variables: dict[str, object]) -> VariableScope:
    return VariableScope(variables, doc.defaults)
