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
    def run_row(self, prepared: Any, params: list[str | None]) -> dict[str, Any]: ...
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


State = tuple[Any, ...]  # (schema version, current_user, search_path)
STATE_COLUMNS = (
    "current_user::text as __role, pg_catalog.current_setting('search_path') as __path, "
    "(select max(version) from graphql._schema_version) as __version"
)


class Runtime(Protocol):
    """What the host provides: the executor, the session's state, and engines per state."""

    executor: Executor
    last: State | None  # the state this session saw last (may be stale by now)

    def state(self) -> State: ...
    def engine(self, state: State) -> Engine: ...


def resolve(rt: Runtime, query: str, variables_text: str | None, operation_name: str | None) -> str:
    """Answer one request.

    Queries take the fast path: they run against the engine of the state this session saw
    last, and their first statement also returns the current state; if it differs, the
    answer is thrown away and the request runs again against the right engine (queries
    have no side effects). Mutations, and requests that fail before reaching the database,
    check the state first.
    """
    try:
        variables = parse_variables(variables_text)
    except OperationError as exc:
        return error_response(exc.message, with_data=False)
    query = query or ""  # a null query is an empty document: a parse error, not a crash
    fresh = rt.last is None
    state = rt.state() if fresh else rt.last
    assert state is not None
    for _attempt in range(3):
        try:
            engine = rt.engine(state)
            plan = engine.plan(query, operation_name, variables)
            bound = [step.bind(variables) if step.sql else [] for step in plan.steps]
        except OperationError as exc:
            return error_response(exc.message, with_data=False)
        except GraphQLError as exc:
            if not fresh:  # judged by a schema that may be stale: check, then judge again
                state, changed = _refresh(rt, state)
                fresh = True
                if changed:
                    continue
            return error_response(exc.message, with_data=True)
        first = next((i for i, s in enumerate(plan.steps) if s.sql), None)
        if plan.kind == "query" and not fresh and first is not None:
            observed, answer = _query(plan, bound, rt.executor, first, state)
            if observed == state:
                rt.last = state
                return answer
            if observed is None:  # the first statement failed: a stale plan or a real error
                state, _changed = _refresh(rt, state)
            else:
                state = rt.last = observed
            fresh = True
            continue
        if not fresh:
            state, changed = _refresh(rt, state)
            fresh = True
            if changed:
                continue
        rt.last = state
        if plan.kind == "mutation":
            return _mutation(plan, bound, rt.executor)
        return _query(plan, bound, rt.executor, None)[1]
    return error_response("The schema kept changing while resolving the request", with_data=True)


def _refresh(rt: Runtime, state: State) -> tuple[State, bool]:
    """The current state, and whether it differs from the one we had."""
    current = rt.state()
    rt.last = current
    return current, current != state


def _prepared(step: Any, executor: Executor, checked: bool = False) -> Any:
    if checked:
        if step.prepared_checked is None:
            # The answer is computed only when the state is the one the plan was made for;
            # otherwise the statement just reports the state (the CASE skips the subquery).
            n = len(step.params)
            # the compiled statement and our own state columns: no request text
            guard = (f"s.__role = ${n + 1} and s.__path = ${n + 2} "
                     f"and s.__version is not distinct from ${n + 3}::bigint")
            sql = f"select s.*, case when {guard} then ({step.sql}) end as __result from (select {STATE_COLUMNS}) s"  # noqa: S608, E501
            step.prepared_checked = executor.prepare(sql, n + 3)
        return step.prepared_checked
    if step.prepared is None:
        step.prepared = executor.prepare(step.sql, len(step.params))
    return step.prepared


def _data(keys: list[str], values: list[str]) -> str:
    return "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in zip(keys, values, strict=True)) + "}"


def _query(plan: Plan, bound: list[list[str | None]], executor: Executor,
           checked: int | None, expected: State | None = None) -> tuple[State | None, str]:
    """Run a query's statements; ``checked`` is the step that also reports the state (and
    answers only if it is ``expected``)."""
    values, errors = [], []
    observed: State | None = None
    for i, (step, params) in enumerate(zip(plan.steps, bound, strict=True)):
        if step.static is not None:
            values.append(step.static)
            continue
        try:
            if i == checked:
                assert expected is not None
                version, role, path = expected
                guard = [*params, role, path, None if version is None else str(version)]
                row = executor.run_row(_prepared(step, executor, checked=True), guard)
                observed = (row["__version"], row["__role"], row["__path"])
                result = row["__result"]
            else:
                result = executor.run(_prepared(step, executor), params)
        except DatabaseError as exc:
            if i == checked:
                return None, ""  # maybe a stale plan: the caller checks the state and retries
            errors.append(exc.message)
            values.append("null")
            continue
        values.append(result if result is not None else "null")
    keys = [s.alias for s in plan.steps]
    if not errors:
        return observed, '{"data": ' + _data(keys, values) + "}"
    messages = json.dumps([{"message": m} for m in errors])
    if len(errors) == len(plan.steps):
        return observed, '{"data": null, "errors": ' + messages + "}"
    return observed, '{"data": ' + _data(keys, values) + ', "errors": ' + messages + "}"


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
