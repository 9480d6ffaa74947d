"""The request document: parse it, pick the operation, collect fields the way pg_graphql does.

Checks made here are about the document as a whole and are reported without ``data``:
parse errors, operation selection, subscriptions, fragment cycles and selection depth.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from graphql.error import GraphQLSyntaxError
from graphql.language import ast, parse, print_ast

from jimgql.compile.values import ABSENT, Coercer, VariableScope, default_value, literal
from jimgql.errors import GraphQLError, OperationError
from jimgql.schema.types import non_null

MAX_DEPTH = 32
_EXPECTED = re.compile(r"^Syntax Error: Expected (.+?), found (.+?)\.$")
_UNEXPECTED = re.compile(r"^Syntax Error: Unexpected (.+?)\.$")


def _token(found: str) -> str:
    """graphql-core's token description in the parse-error wording pg_graphql uses."""
    if found == "<EOF>":
        return "end of input"
    quoted = re.match(r"^'(.*)'$", found)
    if quoted:
        return f"`{quoted.group(1)}[Punctuator]`"
    kinds = {"Name": "Name", "Int": "IntValue", "Float": "FloatValue", "String": "StringValue"}
    kind, _, value = found.partition(" ")
    if kind in kinds:
        return f"`{value.strip(chr(34))}[{kinds[kind]}]`"
    return f"`{found}`"


def parse_error(exc: GraphQLSyntaxError) -> OperationError:
    line, column = (exc.locations[0].line, exc.locations[0].column) if exc.locations else (1, 1)
    message = exc.message
    detail = message
    m = _EXPECTED.match(message)
    if m:
        detail = f"Unexpected {_token(m.group(2))}\nExpected `{m.group(1).strip(chr(39))}`"
    else:
        m = _UNEXPECTED.match(message)
        if m:
            detail = f"Unexpected {_token(m.group(1))}"
    return OperationError(f"query parse error: Parse error at {line}:{column}\n{detail}\n")


@dataclass
class Document:
    operation: ast.OperationDefinitionNode
    fragments: dict[str, ast.FragmentDefinitionNode]
    defaults: dict[str, object]
    variable_names: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.operation.operation.value  # query | mutation | subscription


def load(text: str, operation_name: str | None) -> Document:
    try:
        doc = parse(text, no_location=False)
    except GraphQLSyntaxError as exc:
        raise parse_error(exc) from None
    operations = [d for d in doc.definitions if isinstance(d, ast.OperationDefinitionNode)]
    fragments: dict[str, ast.FragmentDefinitionNode] = {}
    for d in doc.definitions:
        if isinstance(d, ast.FragmentDefinitionNode):
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
    if operation.operation == ast.OperationType.SUBSCRIPTION:
        raise OperationError("Subscriptions are not supported")
    _check_cycles(fragments)
    if _depth(operation.selection_set, fragments, {}) > MAX_DEPTH:
        raise OperationError(
            f"Query selection depth exceeds the maximum allowed depth of {MAX_DEPTH}"
        )
    defaults = {}
    for definition in operation.variable_definitions or ():
        value = default_value(definition.default_value)
        if value is not ABSENT:
            defaults[definition.variable.name.value] = value
    return Document(operation, fragments, defaults, _variables(operation, fragments))


def _spreads(node: ast.Node | None) -> Iterator[str]:
    if node is None:
        return
    for sel in getattr(node, "selections", ()) or ():
        if isinstance(sel, ast.FragmentSpreadNode):
            yield sel.name.value
        else:
            yield from _spreads(sel.selection_set)


def _check_cycles(fragments: dict[str, ast.FragmentDefinitionNode]) -> None:
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


def _depth(node: ast.SelectionSetNode | None, fragments: dict[str, ast.FragmentDefinitionNode],
           memo: dict[str, int]) -> int:
    if node is None:
        return 0
    best = 0
    for sel in node.selections:
        if isinstance(sel, ast.FieldNode):
            best = max(best, 1 + _depth(sel.selection_set, fragments, memo))
        elif isinstance(sel, ast.InlineFragmentNode):
            best = max(best, _depth(sel.selection_set, fragments, memo))
        elif isinstance(sel, ast.FragmentSpreadNode):
            name = sel.name.value
            if name not in memo and name in fragments:
                memo[name] = 0
                memo[name] = _depth(fragments[name].selection_set, fragments, memo)
            best = max(best, memo.get(name, 0))
    return best


def _variables(operation: ast.OperationDefinitionNode,
               fragments: dict[str, ast.FragmentDefinitionNode]) -> list[str]:
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, ast.VariableNode):
            if node.name.value not in found:
                found.append(node.name.value)
            return
        if isinstance(node, ast.VariableDefinitionNode):
            return
        if isinstance(node, ast.Node):
            for key in node.keys:
                if key in ("loc",):
                    continue
                walk(getattr(node, key, None))
        elif isinstance(node, (list, tuple)):
            for item in node:
                walk(item)

    walk(operation.selection_set)
    for fragment in fragments.values():
        walk(fragment.selection_set)
    return found


@dataclass
class Selected:
    """One response key and the field nodes merged under it."""

    alias: str
    name: str
    nodes: list[ast.FieldNode]

    @property
    def node(self) -> ast.FieldNode:
        return self.nodes[0]

    def selection_sets(self) -> list[ast.SelectionSetNode]:
        return [n.selection_set for n in self.nodes if n.selection_set is not None]


class Collector:
    """Fields of a selection set for a concrete type, with fragments, @skip/@include and
    pg_graphql's field merging rules."""

    def __init__(self, doc: Document, coercer: Coercer) -> None:
        self.doc = doc
        self.coercer = coercer

    def fields(self, selection_sets: list[ast.SelectionSetNode], type_names: set[str]) -> list[Selected]:
        out: dict[str, Selected] = {}
        for selection_set in selection_sets:
            self._collect(selection_set, type_names, out)
        return list(out.values())

    def _collect(self, selection_set: ast.SelectionSetNode, type_names: set[str],
                 out: dict[str, Selected]) -> None:
        for sel in selection_set.selections:
            if not self._included(sel):
                continue
            if isinstance(sel, ast.FieldNode):
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
            elif isinstance(sel, ast.InlineFragmentNode):
                cond = sel.type_condition.name.value if sel.type_condition else None
                if cond is None or cond in type_names:
                    self._collect(sel.selection_set, type_names, out)
            elif isinstance(sel, ast.FragmentSpreadNode):
                fragment = self.doc.fragments.get(sel.name.value)
                if fragment is None:
                    raise OperationError(f"Unknown fragment: {sel.name.value}")
                if fragment.type_condition.name.value in type_names:
                    self._collect(fragment.selection_set, type_names, out)

    def _included(self, sel: ast.SelectionNode) -> bool:
        for directive in sel.directives or ():
            name = directive.name.value
            if name not in ("skip", "include"):
                continue
            arg = next((a for a in directive.arguments if a.name.value == "if"), None)
            value = self.coercer.coerce(literal(arg.value if arg else None, None), non_null("Boolean"))
            if value is ABSENT:
                raise GraphQLError("Invalid input for NonNull type")
            if not isinstance(value, bool):  # a variable: the choice shapes the SQL
                value = self.coercer.scope.concrete(value.name)
                if not isinstance(value, bool):
                    raise GraphQLError("Invalid input for Boolean type")
            if (name == "skip") == value:
                return False
        return True


def _args_key(node: ast.FieldNode) -> list[tuple[str, str]]:
    return sorted((a.name.value, print_ast(a.value)) for a in node.arguments or ())


def scope_for(doc: Document, variables: dict[str, object]) -> VariableScope:
    return VariableScope(variables, doc.defaults)
