"""Run a request: caches, binding, statements through an executor, the response text.

The executor is the only database dependency: inside PostgreSQL it is PL/Python's ``plpy``
(``host.py``); tests may pass another. Responses are assembled as text around the JSON each
statement returns, so result documents are never decoded into Python objects.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from jimgql.compile import document
from jimgql.compile.planner import Plan, compile_operation
from jimgql.compile.values import VariableScope
from jimgql.errors import GraphQLError, OperationError
from jimgql.schema.types import Schema

MAX_DOCUMENTS = 256
MAX_PLANS_PER_DOCUMENT = 32


class DatabaseError(Exception):
    """A statement failed; ``message`` is the server's message (never the statement)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Executor(Protocol):
    def prepare(self, sql: str, count: int) -> Any: ...
    def run(self, prepared: Any, params: list[str | None]) -> str | None: ...
    def atomic(self) -> Any: ...


class _Entry:
    __slots__ = ("doc", "structural", "plans")

    def __init__(self, doc: document.Document) -> None:
        self.doc = doc
        self.structural: tuple[str, ...] | None = None
        self.plans: OrderedDict[tuple, Plan] = OrderedDict()


class Engine:
    """One schema (a role, a search_path, a catalog version) and its compiled operations."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.documents: OrderedDict[tuple[str, str | None], _Entry] = OrderedDict()

    def plan(self, query: str, operation_name: str | None, variables: dict[str, Any]) -> Plan:
        key = (query, operation_name)
        entry = self.documents.get(key)
        if entry is None:
            entry = _Entry(document.load(query, operation_name))
            self.documents[key] = entry
            if len(self.documents) > MAX_DOCUMENTS:
                self.documents.popitem(last=False)
        else:
            self.documents.move_to_end(key)
        scope = VariableScope(variables, entry.doc.defaults)
        if entry.structural is not None:
            plan = entry.plans.get(_plan_key(entry, scope))
            if plan is not None:
                return plan
        plan = compile_operation(self.schema, entry.doc, variables)
        entry.structural = tuple(sorted(plan.structural))
        entry.plans[_plan_key(entry, scope)] = plan
        if len(entry.plans) > MAX_PLANS_PER_DOCUMENT:
            entry.plans.popitem(last=False)
        return plan


def _plan_key(entry: _Entry, scope: VariableScope) -> tuple:
    states = tuple(scope.state(name) for name in entry.doc.variable_names)
    shapes = tuple(json.dumps(scope.get(name), sort_keys=True, default=str)
                   for name in entry.structural or ())
    return states + shapes


def error_response(message: str, *, with_data: bool) -> str:
    errors = json.dumps([{"message": message}])
    return f'{{"data": null, "errors": {errors}}}' if with_data else f'{{"errors": {errors}}}'


def parse_variables(text: str | None) -> dict[str, Any]:
    if text is None or text == "{}":
        return {}
    value = json.loads(text)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise OperationError("variables must be an object")
    return value


def resolve(engine: Engine, executor: Executor, query: str, variables_text: str | None,
            operation_name: str | None) -> str:
    try:
        variables = parse_variables(variables_text)
        plan = engine.plan(query, operation_name, variables)
        bound = [step.bind(variables) if step.sql else [] for step in plan.steps]
    except OperationError as exc:
        return error_response(exc.message, with_data=False)
    except GraphQLError as exc:
        return error_response(exc.message, with_data=True)
    if plan.kind == "mutation":
        return _mutation(plan, bound, executor)
    return _query(plan, bound, executor)


def _prepared(step: Any, executor: Executor) -> Any:
    if step.prepared is None:
        step.prepared = executor.prepare(step.sql, len(step.params))
    return step.prepared


def _data(keys: list[str], values: list[str]) -> str:
    return "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in zip(keys, values, strict=True)) + "}"


def _query(plan: Plan, bound: list[list[str | None]], executor: Executor) -> str:
    values, errors = [], []
    for step, params in zip(plan.steps, bound, strict=True):
        if step.static is not None:
            values.append(step.static)
            continue
        try:
            result = executor.run(_prepared(step, executor), params)
        except DatabaseError as exc:
            errors.append(exc.message)
            values.append("null")
            continue
        values.append(result if result is not None else "null")
    if not errors:
        return '{"data": ' + _data([s.alias for s in plan.steps], values) + "}"
    messages = json.dumps([{"message": m} for m in errors])
    if len(errors) == len([s for s in plan.steps if s.static is None]) and len(plan.steps) == len(errors):
        return '{"data": null, "errors": ' + messages + "}"
    return '{"data": ' + _data([s.alias for s in plan.steps], values) + ', "errors": ' + messages + "}"


def _mutation(plan: Plan, bound: list[list[str | None]], executor: Executor) -> str:
    values: list[str] = []
    try:
        with _atomic(executor, len(plan.steps) > 1):
            for step, params in zip(plan.steps, bound, strict=True):
                if step.static is not None:
                    values.append(step.static)
                    continue
                result = executor.run(_prepared(step, executor), params)
                values.append(result if result is not None else "null")
    except DatabaseError as exc:
        return error_response(exc.message, with_data=True)
    return '{"data": ' + _data([s.alias for s in plan.steps], values) + "}"


@contextmanager
def _atomic(executor: Executor, needed: bool) -> Iterator[None]:
    """Several mutation fields succeed or fail together (one statement is atomic anyway)."""
    if not needed:
        yield
        return
    with executor.atomic():
        yield
