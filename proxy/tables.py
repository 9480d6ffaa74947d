"""Which tables an operation reads and writes, for cache keys and invalidation.

The engine answers through ``graphql.operation_tables(query, variables, operationName)``
(regclass names as the caller's search_path prints them; normalised here to
``schema.table``, the form the invalidation triggers NOTIFY). The answer depends on the
operation, the role's view of the schema and the values of the few variables that shape the
engine's plan (a directive's condition, a node id: ``Operation.plan_variables``), so it is
remembered per (normalised operation, operationName, role, those values) in the process; a
schema change starts a new cache epoch and clears it. Without the function (an older engine, or pg_graphql itself) every tracked
table counts as read and written: always correct, merely invalidated more often.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import psycopg
from psycopg import sql
from psycopg_pool import AsyncConnectionPool

from proxy.executor import CONTEXT_SQL

log = logging.getLogger("jim.proxy.tables")

_OPERATION_TABLES = sql.SQL("""
select t.v ? 'errors',
  (select coalesce(jsonb_agg(n.nspname || '.' || c.relname order by 1), '[]')
     from jsonb_array_elements_text(t.v -> 'reads') as r(name)
     join pg_catalog.pg_class c on c.oid = r.name::regclass
     join pg_catalog.pg_namespace n on n.oid = c.relnamespace),
  (select coalesce(jsonb_agg(n.nspname || '.' || c.relname order by 1), '[]')
     from jsonb_array_elements_text(t.v -> 'writes') as w(name)
     join pg_catalog.pg_class c on c.oid = w.name::regclass
     join pg_catalog.pg_namespace n on n.oid = c.relnamespace)
from (select graphql.operation_tables(%s, %s::jsonb, %s) as v) as t
""")


@dataclass(frozen=True)
class Tables:
    reads: tuple[str, ...]
    writes: tuple[str, ...]


class TableResolver:
    MAX_REMEMBERED = 4096

    def __init__(self, pool: AsyncConnectionPool, timeouts: dict[str, str]) -> None:
        self._pool = pool
        self._timeouts = timeouts
        self._known: dict[tuple[str, str | None, str, str], Tables] = {}
        self._tracked: tuple[str, ...] | None = None
        self._engine_has_function: bool | None = None

    def clear(self) -> None:
        self._known.clear()
        self._tracked = None

    async def tracked(self) -> tuple[str, ...]:
        if self._tracked is None:
            async with self._pool.connection() as conn:
                row = await (await conn.execute("select jim_cache.tracked_tables()")).fetchone()
            self._tracked = tuple(sorted(row[0] if row else []))
        return self._tracked

    def known(self, normalized: str, operation_name: str | None, role: str, variant: str) -> Tables | None:
        """The operation's tables if this process already knows them (no database call).
        ``variant``: Operation.plan_variant(variables)."""
        return self._known.get((normalized, operation_name, role, variant))

    async def for_operation(self, normalized: str, operation_name: str | None, role: str, variant: str,
                            claims_text: str, query: str, variables: dict | None) -> Tables | None:
        """The operation's tables, or None when the engine rejects it (not cacheable)."""
        key = (normalized, operation_name, role, variant)
        known = self._known.get(key)
        if known is not None:
            return known
        tables = await self._ask_engine(role, claims_text, query, variables, operation_name)
        if tables is None:
            return None
        if len(self._known) >= self.MAX_REMEMBERED:
            self._known.clear()
        self._known[key] = tables
        return tables

    async def _ask_engine(self, role: str, claims_text: str, query: str, variables: dict | None,
                          operation_name: str | None) -> Tables | None:
        if self._engine_has_function is None:
            async with self._pool.connection() as conn:
                row = await (await conn.execute(
                    "select to_regprocedure('graphql.operation_tables(text, jsonb, text)') is not null"
                )).fetchone()
            self._engine_has_function = bool(row and row[0])
            if not self._engine_has_function:
                log.warning("graphql.operation_tables is missing: every tracked table counts as read")
        if not self._engine_has_function:
            everything = await self.tracked()
            return Tables(everything, everything)
        params = (query, json.dumps(variables or {}), operation_name)
        context = (role, claims_text, self._timeouts.get(role, "5000ms"))
        for attempt in (1, 2):
            try:
                async with self._pool.connection() as conn:
                    async with conn.pipeline():
                        await conn.execute(CONTEXT_SQL, context)
                        cur = await conn.execute(_OPERATION_TABLES, params)
                    row = await cur.fetchone()
                break
            except psycopg.OperationalError:
                if attempt == 2 or not conn.broken:
                    raise
                await self._pool.check()  # PostgreSQL restarted: drop the dead connections, retry
        if row is None or row[0]:
            return None
        return Tables(tuple(row[1]), tuple(row[2]))
