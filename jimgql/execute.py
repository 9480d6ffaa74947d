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
from jimgql.compile.parser import MAX_NESTING
from jimgql.compile.planner import Plan, compile_operation
from jimgql.compile.values import VariableScope
from jimgql.errors import GraphQLError, OperationError
from jimgql.schema.types import Schema

MAX_DOCUMENTS = 256
MAX_PLANS_PER_DOCUMENT = 32
MAX_READY = 512  # requests kept ready to run, per engine
MAX_READY_VARIABLES = 4096  # longer variables texts are not kept (memory)
MAX_READY_QUERY = 32_768  # nor longer documents (each kept request holds its own copy)
# Every cached plan keeps its statements prepared (plpy.prepare), and a prepared statement
# holds its plan tree in the backend: about 75 bytes per character of SQL. Counting documents
# alone let a client fill a session's memory: a 10,000-field operation compiles to ~1.2 MB of
# SQL, ~90 MB prepared, and 256 of them were kept. The SQL text (and introspection answers)
# of the cached plans of one engine stay under this many characters; the least recently used
# documents go first, and a plan larger than the whole budget is not kept.
MAX_CACHED_SQL = 1_000_000


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


def _weight(plan: Plan, text: str) -> int:
    """What keeping ``plan`` costs, in characters of SQL and static answers (see
    :data:`MAX_CACHED_SQL`); the document's own text counts once per plan too."""
    return sum(len(s.sql or "") + len(s.static or "") for s in plan.steps) + len(text) + 64


class _Ready:
    """A query request answered before in this engine's state, by exact text (document,
    operation name, variables): its one statement, guarded, with the parameters already
    bound, and the response text before the statement's answer. Binding is a pure function
    of the variables, so the same text always binds the same parameters. Many requests
    repeat exactly: who is asking travels in the role and claims, not in the variables."""

    __slots__ = ("prepared", "params", "head", "plan")

    def __init__(self, prepared: Any, params: list[str | None], head: str, plan: Plan) -> None:
        self.plan = plan  # kept only while the plan is cached (its prepared statement with it)
        self.prepared = prepared
        self.params = params
        self.head = head


class Engine:
    """One schema (a role, a search_path, a catalog version) and its compiled operations."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.documents: OrderedDict[tuple[str, str | None], _Entry] = OrderedDict()
        self.ready: OrderedDict[tuple[str, str | None, str | None], _Ready] = OrderedDict()
        self.weight = 0  # of the cached plans (see MAX_CACHED_SQL)
        self.cached: set[int] = set()  # id() of the cached plans

    def keep(self, key: tuple[str, str | None, str | None], plan: Plan, params: list[str | None],
             state: State) -> None:
        """Keep a query of one statement ready to run again (see :class:`_Ready`)."""
        if len(plan.steps) != 1 or key[2] is not None and len(key[2]) > MAX_READY_VARIABLES:
            return
        if len(key[0]) > MAX_READY_QUERY:
            return
        if id(plan) not in self.cached:  # evicted, or too large to keep
            return
        step = plan.steps[0]
        if step.prepared_checked is None:
            return
        if len(self.ready) >= MAX_READY:
            self.ready.popitem(last=False)  # the oldest kept (a dict's first key is O(n) here)
        version, role, path = state
        head = '{"data": {' + _keys(plan)[0] + ": "
        self.ready[key] = _Ready(step.prepared_checked, [*params, role, path, version], head, plan)

    def plan(self, query: str, operation_name: str | None, variables: dict[str, Any]) -> Plan:
        key = (query, operation_name)
        entry = self.documents.get(key)
        if entry is None:
            entry = _Entry(document.load(query, operation_name))
        else:
            self.documents.move_to_end(key)
        if entry.structural is not None:
            plan = entry.plans.get(_plan_key(entry, variables))
            if plan is not None:
                return plan
        plan = compile_operation(self.schema, entry.doc, variables)
        entry.structural = tuple(sorted(plan.structural))
        weight = plan.weight = _weight(plan, query)
        if weight > MAX_CACHED_SQL:
            return plan  # used for this request only: its prepared statements go with it
        if key not in self.documents:  # a document is kept once it compiled
            self.documents[key] = entry
            if len(self.documents) > MAX_DOCUMENTS:
                self._forget(self.documents.popitem(last=False)[1].plans.values())
        plan_key = _plan_key(entry, variables)
        self._forget([p for k, p in entry.plans.items() if k == plan_key])
        entry.plans[plan_key] = plan
        self.cached.add(id(plan))
        self.weight += weight
        if len(entry.plans) > MAX_PLANS_PER_DOCUMENT:
            self._forget([entry.plans.popitem(last=False)[1]])
        while self.weight > MAX_CACHED_SQL:  # the least recently used documents go first
            oldest_key, oldest = next(iter(self.documents.items()))
            if oldest is entry:
                self._forget([p for p in entry.plans.values() if p is not plan])
                entry.plans = OrderedDict([(plan_key, plan)])
                break
            del self.documents[oldest_key]
            self._forget(oldest.plans.values())
        return plan

    def _forget(self, plans: Any) -> None:
        """Plans leaving the cache: their weight, and the ready requests that use them."""
        gone = {id(p) for p in plans if id(p) in self.cached}
        if not gone:
            return
        for p in plans:
            if id(p) in gone:
                self.weight -= p.weight
        self.cached -= gone
        stale = [k for k, r in self.ready.items() if id(r.plan) in gone]
        for k in stale:
            del self.ready[k]


def _plan_key(entry: _Entry, variables: dict[str, Any]) -> tuple:
    """Whether each variable the document uses is absent, null or set, then the JSON of the
    structural ones (as :meth:`VariableScope.state` and ``get`` see them, without building a
    scope: this runs on every request)."""
    doc = entry.doc
    names = doc.variable_names
    if not names:
        return ()
    defaults = doc.defaults
    key: list[str] = []
    for name in names:
        if name in variables:
            value = variables[name]
        elif name in defaults:
            value = defaults[name]
        else:
            key.append("A")
            continue
        key.append("N" if value is None else "V")
    if entry.structural:
        scope = VariableScope(variables, defaults)
        key += [json.dumps(scope.get(name), sort_keys=True, default=str) for name in entry.structural]
    return tuple(key)


def error_response(message: str, *, with_data: bool) -> str:
    errors = json.dumps([{"message": message}])
    return f'{{"data": null, "errors": {errors}}}' if with_data else f'{{"errors": {errors}}}'


def parse_variables(text: str | None) -> dict[str, Any]:
    if text is None or text == "{}":
        return {}
    try:
        value = json.loads(text)
    except RecursionError:
        value = _TOO_DEEP
    except ValueError:  # jsonb text is valid JSON: a number of more digits than Python reads
        raise OperationError("variables contain a number too large") from None
    if value is _TOO_DEEP or _deeper_than(value, MAX_NESTING):
        raise OperationError(f"variables nest deeper than the maximum allowed depth of {MAX_NESTING}")
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise OperationError("variables must be an object")
    return value


_TOO_DEEP = object()


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether lists and objects nest more than ``limit`` levels (without recursion: the
    compiler's passes over values recurse, so they get values of bounded depth only)."""
    level: list[Any] = [value]
    for _ in range(limit + 1):
        level = [item for v in level if isinstance(v, (list, dict))
                 for item in (v.values() if isinstance(v, dict) else v)]
        if not level:
            return False
    return True


State = tuple[Any, ...]  # (schema versions, current_user, search_path)

# The schema part of the session's state: every version of graphql._schema_version this
# statement sees, as the text of a sorted array. The set rather than its highest member: two
# DDL transactions can commit in the opposite order of their versions (each took a number
# from the sequence while running), and the one committing last, with the lower number,
# leaves the highest version unchanged but the set changed. The event triggers keep the table
# at a row or two, so reading all of it costs about what probing its index for the top costs.
VERSIONS = ("coalesce((select pg_catalog.array_agg(version order by version)"
            " from graphql._schema_version)::text, '{}')")
STATE_SQL = (
    "select current_user::text as role, pg_catalog.current_setting('search_path') as path, "
    f"{VERSIONS} as version"
)
GUARD = (f"current_user::text = $ROLE and pg_catalog.current_setting('search_path') = $PATH"
         f" and {VERSIONS} = $VERSION")


def guarded_sql(expr: str, count: int) -> str:
    """A query's statement (its one expression, ``Step.expr``) answering only in the state
    its plan was made for.

    Parameters ``count + 1 .. count + 3`` are the expected role, search_path and schema
    versions (:data:`VERSIONS`). In that state the result is the statement's (SQL null
    becomes JSON ``null``); in any other it is SQL NULL and the statement's own subquery is
    never evaluated (CASE).
    """
    current = (GUARD.replace("$ROLE", f"${count + 1}").replace("$PATH", f"${count + 2}")
               .replace("$VERSION", f"${count + 3}"))
    # the compiled statement and placeholders only: no request text
    return f"select case when {current} then coalesce(({expr})::json, 'null'::json) end as r"  # noqa: S608


class Runtime(Protocol):
    """What the host provides: the executor, the session's state, and engines per state."""

    executor: Executor
    last: State | None  # the state this session saw last (may be stale by now)

    def state(self) -> State: ...
    def cached(self, state: State) -> Engine | None: ...
    def engine_for(self, state: State | None) -> tuple[State, Engine]: ...


def resolve(rt: Runtime, query: str, variables_text: str | None, operation_name: str | None) -> str:
    """Answer one request.

    Queries take the fast path: they run against the engine of the state this session saw
    last, and their first statement is guarded by that state (:func:`guarded_sql`); if it
    no longer holds, the statement answers nothing, the state is read and the request runs
    again against the right engine (queries have no side effects). Mutations, and requests
    that fail before reaching the database, check the state first.
    """
    key = (query, operation_name, variables_text)
    state = rt.last
    known = rt.cached(state) if state is not None else None
    if known is not None:  # a request answered before in this state: run it as it was
        ready = known.ready.get(key)
        if ready is not None:
            try:
                value = rt.executor.run(ready.prepared, ready.params)
            except DatabaseError:  # the full path below finds out why and answers
                value = None
            if value is not None:
                return ready.head + value + "}}"
    try:
        variables = parse_variables(variables_text)
    except OperationError as exc:
        return error_response(exc.message, with_data=False)
    query = query or ""  # a null query is an empty document: a parse error, not a crash
    fresh = state is None  # then the engine below is built with the state read with it
    for _attempt in range(3):
        try:
            built, engine = rt.engine_for(state)  # a new engine comes with the current state
            if built != state:
                state = rt.last = built
                fresh = True
            plan = engine.plan(query, operation_name, variables)
            bound = [step.bind(variables) if step.sql else None for step in plan.steps]
        except OperationError as exc:
            return error_response(exc.message, with_data=False)
        except GraphQLError as exc:
            if not fresh:  # judged by a schema that may be stale: check, then judge again
                state, changed = _refresh(rt, state)
                fresh = True
                if changed:
                    continue
            return error_response(exc.message, with_data=True)
        if plan.kind == "query" and not fresh and any(step.sql for step in plan.steps):
            answer = _query(plan, bound, rt.executor, state)
            if answer is not None:
                if len(bound) == 1 and bound[0] is not None:  # one statement, and it answered
                    engine.keep(key, plan, bound[0], state)
                return answer
            # stale state, or the guarded statement failed (a stale plan or a real error)
            state, _changed = _refresh(rt, state)
            fresh = True
            continue
        if not fresh:
            state, changed = _refresh(rt, state)
            fresh = True
            if changed:
                continue
        if plan.kind == "mutation":
            return _mutation(plan, bound, rt.executor)
        answer = _query(plan, bound, rt.executor, None)
        assert answer is not None
        return answer
    return error_response("The schema kept changing while resolving the request", with_data=True)


def _refresh(rt: Runtime, state: State | None) -> tuple[State, bool]:
    """The current state, and whether it differs from the one we had."""
    current = rt.state()
    rt.last = current
    return current, current != state


def _prepared(step: Any, executor: Executor) -> Any:
    if step.prepared is None:
        step.prepared = executor.prepare(step.sql, len(step.params))
    return step.prepared


def _guarded(step: Any, executor: Executor) -> Any:
    if step.prepared_checked is None:
        n = len(step.params)
        expr = step.expr if step.expr is not None else f"({step.sql})"
        step.prepared_checked = executor.prepare(guarded_sql(expr, n), n + 3)
    return step.prepared_checked


def _keys(plan: Plan) -> list[str]:
    keys = plan.keys
    if keys is None:
        keys = plan.keys = [json.dumps(s.alias) for s in plan.steps]
    return keys


def _data(keys: list[str], values: list[str]) -> str:
    if len(keys) == 1:
        return "{" + keys[0] + ": " + values[0] + "}"
    return "{" + ", ".join(k + ": " + v for k, v in zip(keys, values, strict=True)) + "}"


def _query(plan: Plan, bound: list[list[str | None] | None], executor: Executor,
           expected: State | None) -> str | None:
    """Run a query's statements and assemble the response text. With ``expected``, the
    first statement is guarded by that state; None means it did not hold (or the guarded
    statement failed): nothing was answered."""
    values: list[str] = []
    errors: list[str] = []
    guard = expected
    for step, params in zip(plan.steps, bound, strict=True):
        if step.static is not None:
            values.append(step.static)
            continue
        assert params is not None
        checking = guard is not None
        try:
            if guard is not None:
                version, role, path = guard
                guard = None
                result = executor.run(_guarded(step, executor), [*params, role, path, version])
                if result is None:
                    return None
            else:
                result = executor.run(_prepared(step, executor), params)
        except DatabaseError as exc:
            if checking:
                return None  # maybe a stale plan: the caller reads the state and retries
            errors.append(exc.message)
            values.append("null")
            continue
        values.append(result if result is not None else "null")
    keys = _keys(plan)
    if not errors:
        return '{"data": ' + _data(keys, values) + "}"
    messages = json.dumps([{"message": m} for m in errors])
    if len(errors) == len(plan.steps):
        return '{"data": null, "errors": ' + messages + "}"
    return '{"data": ' + _data(keys, values) + ', "errors": ' + messages + "}"


def _mutation(plan: Plan, bound: list[list[str | None] | None], executor: Executor) -> str:
    values: list[str] = []
    try:
        with _atomic(executor, len(plan.steps) > 1):
            for step, params in zip(plan.steps, bound, strict=True):
                if step.static is not None:
                    values.append(step.static)
                    continue
                assert params is not None
                result = executor.run(_prepared(step, executor), params)
                values.append(result if result is not None else "null")
    except DatabaseError as exc:
        return error_response(exc.message, with_data=True)
    return '{"data": ' + _data(_keys(plan), values) + "}"


@contextmanager
def _atomic(executor: Executor, needed: bool) -> Iterator[None]:
    """Several mutation fields succeed or fail together (one statement is atomic anyway)."""
    if not needed:
        yield
        return
    with executor.atomic():
        yield
