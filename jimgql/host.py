"""The PL/Python side: entry points called by ``graphql.resolve`` and friends.

Everything here runs inside PostgreSQL, in the backend of the calling session, as the
calling role. Caches live in the session's ``GD`` dictionary:

* ``engines``: one :class:`~jimgql.execute.Engine` (schema + compiled operations) per
  (schema version, current_user, search_path), so a DDL change, another role or another
  search_path never reuses a stale schema or plan;
* each statement's ``plpy.prepare``d plan is kept with the compiled step.

Each call first runs one small prepared query for that key (and the installed code hash,
so an upgrade reloads the engine's modules in sessions that were already running).
"""

from __future__ import annotations

import json
import traceback
from contextlib import contextmanager
from typing import Any

from jimgql import reflect
from jimgql.errors import GraphQLError
from jimgql.execute import DatabaseError, Engine, error_response
from jimgql.execute import resolve as run_request
from jimgql.schema.builder import build

MAX_ENGINES = 16
STATE_SQL = (
    "select current_user::text as role, pg_catalog.current_setting('search_path') as path, "
    "(select max(version) from graphql._schema_version) as version, "
    "(select hash from graphql._engine) as code"
)
INTERNAL_ERROR = "Internal error while resolving the request"


class PlpyExecutor:
    """The executor over ``plpy``: prepared plans, text parameters, one jsonb value back."""

    def __init__(self, plpy: Any) -> None:
        self.plpy = plpy

    def prepare(self, sql: str, count: int) -> Any:
        return self.plpy.prepare(sql, ["text"] * count)

    def run(self, prepared: Any, params: list[str | None]) -> str | None:
        try:
            rows = self.plpy.execute(prepared, params)
        except self.plpy.SPIError as exc:
            raise DatabaseError(_message(exc)) from None
        if not rows:
            return None
        value = next(iter(rows[0].values()))
        return value if value is None or isinstance(value, str) else json.dumps(value)

    @contextmanager
    def atomic(self) -> Any:
        with self.plpy.subtransaction():
            yield


def _message(exc: Exception) -> str:
    """The server's error message only: never the statement, a context line or a hint."""
    text = str(exc.args[0]) if exc.args else str(exc)
    return text.splitlines()[0] if text else "Statement failed"


def _state(plpy: Any, gd: dict) -> dict:
    plan = gd.get("jimgql_state_plan")
    if plan is None:
        plan = gd["jimgql_state_plan"] = plpy.prepare(STATE_SQL)
    return plpy.execute(plan)[0]


def _engine(plpy: Any, gd: dict, state: dict) -> Engine:
    engines = gd.setdefault("jimgql_engines", {})
    key = (state["version"], state["role"], state["path"])
    engine = engines.get(key)
    if engine is None:
        text = plpy.execute("select graphql._catalog() as c")[0]["c"]
        engine = Engine(build(reflect.load(text)))
        if len(engines) >= MAX_ENGINES:
            engines.pop(next(iter(engines)))
        engines[key] = engine
    return engine


def _current(plpy: Any, gd: dict) -> tuple[Any, dict] | None:
    """When another engine version was installed since this session loaded the code,
    reload the modules and hand the call to the new host module."""
    state = _state(plpy, gd)
    if gd.get("jimgql_code") not in (None, state["code"]):
        gd.clear()
        plpy.execute("select graphql._boot(true)")
        return gd["jimgql_host"], state
    gd["jimgql_code"] = state["code"]
    return None, state


def resolve(plpy: Any, gd: dict, query: str, variables: str | None,
            operation_name: str | None, extensions: str | None) -> str:
    try:
        newer, state = _current(plpy, gd)
        if newer is not None:
            return newer.resolve(plpy, gd, query, variables, operation_name, extensions)
        engine = _engine(plpy, gd, state)
        return run_request(engine, PlpyExecutor(plpy), query, variables, operation_name)
    except GraphQLError as exc:
        return error_response(exc.message, with_data=True)
    except plpy.SPIError as exc:
        return error_response(_message(exc), with_data=True)
    except Exception:  # a bug must not leak a traceback or SQL into a response
        plpy.log("jimgql: unexpected error while resolving a request\n" + traceback.format_exc())
        return error_response(INTERNAL_ERROR, with_data=True)


def operation_tables(plpy: Any, gd: dict, query: str, variables: str | None,
                     operation_name: str | None) -> str:
    """Which tables an operation reads and writes (for response caching and invalidation)."""
    from jimgql.execute import parse_variables  # noqa: PLC0415

    newer, state = _current(plpy, gd)
    if newer is not None:
        return newer.operation_tables(plpy, gd, query, variables, operation_name)
    engine = _engine(plpy, gd, state)
    try:
        plan = engine.plan(query, operation_name, parse_variables(variables))
    except GraphQLError as exc:
        return json.dumps({"errors": [{"message": exc.message}]})
    oids = sorted(plan.reads | plan.writes)
    names: dict[int, str] = {}
    if oids:
        rows = plpy.execute(
            plpy.prepare("select oid::int8 as oid, oid::regclass::text as name from pg_catalog.pg_class "
                         "where oid = any($1::oid[])", ["int8[]"]),
            [oids],
        )
        names = {r["oid"]: r["name"] for r in rows}
    return json.dumps({
        "kind": plan.kind,
        "reads": sorted(names.get(o, str(o)) for o in plan.reads),
        "writes": sorted(names.get(o, str(o)) for o in plan.writes),
    })
