"""The PL/Python side: entry points called by ``graphql.resolve`` and friends.

Everything here runs inside PostgreSQL, in the backend of the calling session, as the
calling role. Caches live in the session's ``GD`` dictionary:

* ``engines``: one :class:`~jimgql.execute.Engine` (schema + compiled operations) per
  (schema version, current_user, search_path), so a DDL change, another role or another
  search_path never reuses a stale schema or plan;
* each statement's ``plpy.prepare``d plan is kept with the compiled step.

The key is checked on every call without an extra statement for queries: their first
statement is guarded by the state it was planned for (``execute.guarded_sql``). A new schema version
also triggers a check of the installed code's hash, so an upgrade reloads the engine's
modules in sessions that were already running.
"""

from __future__ import annotations

import json
import traceback
from contextlib import contextmanager
from typing import Any

from jimgql import reflect
from jimgql.errors import GraphQLError
from jimgql.execute import STATE_SQL, DatabaseError, Engine, Executor, State, error_response
from jimgql.execute import resolve as run_request
from jimgql.schema.builder import build

MAX_ENGINES = 16
INTERNAL_ERROR = "Internal error while resolving the request"
TOO_DEEP = "The request nests too deeply"
CATALOG_STATE_SQL = f"select s.*, graphql._catalog() as catalog from ({STATE_SQL}) s"  # noqa: S608 - constants


# Tables whose changes can change what a read sees: those the row-level security policies of
# the read tables refer to, and those under views, transitively (recorded in pg_depend).
DEPENDENCIES_SQL = """
with recursive deps(oid) as (
    select unnest($1::oid[])
    union
    select x.ref from deps cross join lateral (
        select d.refobjid as ref
          from pg_catalog.pg_policy p
          join pg_catalog.pg_depend d on d.classid = 'pg_catalog.pg_policy'::regclass
               and d.objid = p.oid and d.refclassid = 'pg_catalog.pg_class'::regclass
         where p.polrelid = deps.oid
        union
        select d.refobjid
          from pg_catalog.pg_rewrite r
          join pg_catalog.pg_depend d on d.classid = 'pg_catalog.pg_rewrite'::regclass
               and d.objid = r.oid and d.refclassid = 'pg_catalog.pg_class'::regclass
         where r.ev_class = deps.oid and d.refobjid <> deps.oid
    ) x
)
select distinct deps.oid::int8 as oid from deps
join pg_catalog.pg_class c on c.oid = deps.oid where c.relkind in ('r', 'p', 'v', 'm', 'f')
"""


class PlpyExecutor:
    """The executor over ``plpy``: prepared plans, text parameters, one jsonb value back."""

    def __init__(self, plpy: Any) -> None:
        self.plpy = plpy

    def prepare(self, sql: str, count: int) -> Any:
        try:
            return self.plpy.prepare(sql, ["text"] * count)
        except self.plpy.SPIError as exc:  # e.g. a stale plan naming a dropped column
            if aborts_request(exc):
                raise
            raise DatabaseError(_message(exc)) from None

    def run(self, prepared: Any, params: list[str | None]) -> str | None:
        """The statement's one value as JSON text (jsonb arrives as its text form)."""
        try:
            row = self.plpy.execute(prepared, params)[0]
        except self.plpy.SPIError as exc:
            if aborts_request(exc):
                raise
            raise DatabaseError(_message(exc)) from None
        for value in row.values():
            return value if value is None or isinstance(value, str) else json.dumps(value)
        return None

    @contextmanager
    def atomic(self) -> Any:
        with self.plpy.subtransaction():
            yield


# Errors that are not the request's fault (a statement or lock timeout, a cancel, a
# deadlock or serialisation failure, a server shutting down or out of resources): they end
# the whole statement with their SQLSTATE instead of becoming a GraphQL error, so the caller
# sees a timeout as a timeout (the proxy answers 504 or 503 and may retry) and nothing of a
# half-answered request is committed as if it had succeeded.
_ABORTING_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
_ABORTING_CLASSES = frozenset({"08", "53", "57"})


def aborts_request(exc: Exception) -> bool:
    state = getattr(exc, "sqlstate", None) or ""
    return state in _ABORTING_SQLSTATES or state[:2] in _ABORTING_CLASSES


def _message(exc: Exception) -> str:
    """The server's error message only: never the statement, a context line or a hint."""
    text = str(exc.args[0]) if exc.args else str(exc)
    return text.splitlines()[0] if text else "Statement failed"


class Session:
    """This backend's engines and state, kept in ``GD`` between calls (the session object
    itself too: see :func:`session`)."""

    def __init__(self, plpy: Any, gd: dict) -> None:
        self.plpy = plpy
        self.gd = gd
        self.executor: Executor = PlpyExecutor(plpy)

    @property
    def last(self) -> tuple | None:
        return self.gd.get("jimgql_state")

    @last.setter
    def last(self, value: tuple | None) -> None:
        self.gd["jimgql_state"] = value

    def state(self) -> State:
        plan = self.gd.get("jimgql_state_plan")
        if plan is None:
            plan = self.gd["jimgql_state_plan"] = self.plpy.prepare(STATE_SQL)
        row = self.plpy.execute(plan)[0]
        return (row["version"], row["role"], row["path"])

    def _engines(self) -> dict[Any, Engine]:
        return self.gd.setdefault("jimgql_engines", {})

    def cached(self, state: State) -> Engine | None:
        return self._engines().get(state)

    def engine_for(self, state: State | None) -> tuple[State, Engine]:
        """The engine of ``state`` when this session has it; otherwise one built from the
        catalog, with the state that catalog belongs to (read by the same statement, so the
        two cannot disagree). ``state`` may be stale, and the schema built now must never be
        filed under it: if the session went back to that state (a DDL rolled back), it would
        find a schema of another state."""
        engines = self._engines()
        engine = engines.get(state)
        if engine is not None:
            assert state is not None
            return state, engine
        self._check_code()
        plan = self.gd.get("jimgql_catalog_plan")
        if plan is None:
            plan = self.gd["jimgql_catalog_plan"] = self.plpy.prepare(CATALOG_STATE_SQL)
        row = self.plpy.execute(plan)[0]
        current = (row["version"], row["role"], row["path"])
        engine = engines.get(current)
        if engine is None:
            engine = Engine(build(reflect.load(row["catalog"])))
            if len(engines) >= MAX_ENGINES:
                engines.pop(next(iter(engines)))
            engines[current] = engine
        return current, engine

    def engine(self, state: State) -> Engine:
        """The engine for the state just read by :meth:`state` (see :meth:`engine_for`)."""
        return self.engine_for(state)[1]

    def _check_code(self) -> None:
        """Installing a new engine runs DDL (a new schema version): check the code hash
        whenever a schema is built, and hand over to newly installed code."""
        code = self.plpy.execute("select hash from graphql._engine")[0]["hash"]
        loaded = self.gd.setdefault("jimgql_code", code)
        if loaded != code:
            raise _Reload()


class _Reload(Exception):
    """The installed code changed since this session loaded it."""


def _reloaded(plpy: Any, gd: dict) -> Any:
    for key in [k for k in gd if str(k).startswith("jimgql_")]:  # GD is shared: only ours
        del gd[key]
    plpy.execute("select graphql._boot(true)")
    return gd["jimgql_host"]


def session(plpy: Any, gd: dict) -> Session:
    """The backend's session object (made once: every field it holds lives in ``GD``)."""
    found = gd.get("jimgql_session")
    if found is None:
        found = gd["jimgql_session"] = Session(plpy, gd)
    return found


def resolve(plpy: Any, gd: dict, query: str, variables: str | None,
            operation_name: str | None, extensions: str | None) -> str:
    try:
        return run_request(session(plpy, gd), query, variables, operation_name)
    except _Reload:
        return _reloaded(plpy, gd).resolve(plpy, gd, query, variables, operation_name, extensions)
    except GraphQLError as exc:
        return error_response(exc.message, with_data=True)
    except plpy.SPIError as exc:
        if aborts_request(exc):
            raise
        return error_response(_message(exc), with_data=True)
    except RecursionError:  # a nesting no limit caught: say so, not "internal error"
        plpy.log("jimgql: recursion limit while resolving a request\n" + traceback.format_exc())
        return error_response(TOO_DEEP, with_data=True)
    except Exception:  # a bug must not leak a traceback or SQL into a response
        plpy.log("jimgql: unexpected error while resolving a request\n" + traceback.format_exc())
        return error_response(INTERNAL_ERROR, with_data=True)


def operation_tables(plpy: Any, gd: dict, query: str, variables: str | None,
                     operation_name: str | None) -> str:
    """Which tables an operation reads and writes (for response caching and invalidation)."""
    from jimgql.execute import parse_variables  # noqa: PLC0415

    current = session(plpy, gd)
    try:
        state, engine = current.engine_for(current.state())
        current.last = state
        plan = engine.plan(query or "", operation_name, parse_variables(variables))
    except _Reload:
        return _reloaded(plpy, gd).operation_tables(plpy, gd, query, variables, operation_name)
    except GraphQLError as exc:
        return json.dumps({"errors": [{"message": exc.message}]})
    except plpy.SPIError as exc:
        if aborts_request(exc):
            raise
        return json.dumps({"errors": [{"message": _message(exc)}]})
    except Exception as exc:  # as in resolve: no traceback, no internals in the answer
        plpy.log("jimgql: unexpected error in operation_tables\n" + traceback.format_exc())
        message = TOO_DEEP if isinstance(exc, RecursionError) else INTERNAL_ERROR
        return json.dumps({"errors": [{"message": message}]})
    oids = sorted(plan.reads | plan.writes)
    names: dict[int, str] = {}
    reads: set[int] = set(plan.reads)
    if oids:
        rows = plpy.execute(plpy.prepare(DEPENDENCIES_SQL, ["int8[]"]), [sorted(plan.reads)])
        reads |= {r["oid"] for r in rows}
        rows = plpy.execute(
            plpy.prepare("select oid::int8 as oid, oid::regclass::text as name from pg_catalog.pg_class "
                         "where oid = any($1::oid[])", ["int8[]"]),
            [sorted(reads | plan.writes)],
        )
        names = {r["oid"]: r["name"] for r in rows}
    plan_reads = reads
    return json.dumps({
        "kind": plan.kind,
        "reads": sorted(names.get(o, str(o)) for o in plan_reads),
        "writes": sorted(names.get(o, str(o)) for o in plan.writes),
    })
