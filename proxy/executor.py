"""Running one GraphQL operation in PostgreSQL as the request's role.

Per request, ONE implicit transaction in ONE round trip; in the common case ONE statement:

    select r::text, r ? 'errors' from (
      select graphql.resolve(c.query, c.variables, c.operation_name, c.extensions) as r
      from (select set_config('role', $1, true),                -- = SET LOCAL ROLE
                   set_config('request.jwt.claims', $2, true),
                   $3::text as query, $4::jsonb as variables, ... offset 0) as c
      offset 0) as t

Why the role and claims are in effect when graphql.resolve starts — by construction, not
by observation: resolve's arguments are columns of the row `c`, arguments are evaluated
before a function is called, and the row `c` exists only once its whole select list, both
set_config calls included, has been evaluated. `offset 0` keeps each subquery a plan node of
its own (PostgreSQL never pulls a subquery with OFFSET up into its parent), and the planner
never drops an output column that calls a volatile function (set_config is volatile), even
though nothing reads it. `t` exists so that resolve, read twice, runs once.

Statement timeout, per role: PostgreSQL arms statement_timeout when a statement starts, so
a timeout set inside the statement would only apply to the next one. Each pooled connection
therefore carries the *session* statement_timeout of the role it last served. A connection
whose timeout already fits the request's role (the common case) gets the one statement
alone; otherwise `set_config('statement_timeout', …, false)` goes first, in the same
pipeline and so the same implicit transaction. An aborted transaction rolls that setting
back, so after any error the connection's timeout counts as unknown and is set again.
SET LOCAL semantics end with the transaction: the next request finds `authenticator` with
no claims, whatever happened.

The one statement needs `authenticator` itself to be allowed to call graphql.resolve (the
function is looked up and its EXECUTE privilege checked before the statement runs, i.e.
before the role switch): jim's engine is executable by PUBLIC, a pg_graphql installation
may not be. This is checked at start; without it every request uses the two-statement
pipeline (role, claims and a LOCAL timeout first, then resolve), which is as correct and
costs the proxy about a third more CPU per request.

The role travels as a bound parameter (set_config is SET LOCAL ROLE's function form) and is
checked against the allow-list before, so no request text is ever spliced into SQL. The
result comes back as JSON text and is forwarded (and cached) without being re-encoded.
"""

from __future__ import annotations

import json
import select
import weakref
from dataclasses import dataclass

import psycopg
from psycopg import sql
from psycopg_pool import AsyncConnectionPool

# The two-statement form: the fallback, and what member provisioning and the table lookup
# (rare calls) use.
CONTEXT_SQL = sql.SQL(
    "select set_config('role', %s, true), set_config('request.jwt.claims', %s, true),"
    " set_config('statement_timeout', %s, true)"
)
RESOLVE_SQL = sql.SQL(
    "select r::text, r ? 'errors' from graphql.resolve(%s, %s::jsonb, %s, %s::jsonb) as r"
)
# The one-statement form (see the module docstring for why the order is guaranteed).
RESOLVE_AS_ROLE_SQL = sql.SQL(
    "select r::text, r ? 'errors' from ("
    "select graphql.resolve(c.query, c.variables, c.operation_name, c.extensions) as r from ("
    "select set_config('role', %s, true) as role, set_config('request.jwt.claims', %s, true) as claims,"
    " %s::text as query, %s::jsonb as variables, %s::text as operation_name, %s::jsonb as extensions"
    " offset 0) as c offset 0) as t"
)
SESSION_TIMEOUT_SQL = sql.SQL("select set_config('statement_timeout', %s, false)")
# Whether `authenticator` may call graphql.resolve itself (the one-statement form).
CAN_RESOLVE_DIRECTLY_SQL = sql.SQL(
    "select case when p is null then false"
    " else has_schema_privilege('graphql', 'usage') and has_function_privilege(p, 'execute') end"
    " from (select to_regprocedure('graphql.resolve(text, jsonb, text, jsonb)') as p) as s"
)
# Member provisioning: the member inserts their own row, as their own role (RLS allows
# id = auth.uid() only); a username taken by someone else or already present is a no-op.
_PROVISION = sql.SQL(
    "insert into app.member (id, username, display_name)"
    " select auth.uid(), %s, %s where auth.uid() is not null"
    " on conflict do nothing"
)


def can_resolve_directly(conn: psycopg.Connection) -> bool:
    """Whether the connected login role may call graphql.resolve before switching roles."""
    row = conn.execute(CAN_RESOLVE_DIRECTLY_SQL).fetchone()
    return bool(row and row[0])


@dataclass(frozen=True)
class Outcome:
    body: str  # the response JSON, as PostgreSQL produced it
    has_errors: bool


def _closed_by_server(conn: psycopg.AsyncConnection) -> bool:
    """Whether the server ended this idle connection (a terminated backend, a restart, an
    idle_session_timeout): an idle connection has nothing to read, so a readable socket means
    the server's farewell (an error, then EOF) is waiting. One non-blocking poll, no round trip."""
    if conn.closed:
        return True
    try:
        readable, _, _ = select.select([conn.fileno()], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


class Executor:
    def __init__(self, pool: AsyncConnectionPool, roles: frozenset[str], timeouts_ms: dict[str, int],
                 *, one_statement: bool = True) -> None:
        self.pool = pool  # autocommit connections (see the module docstring)
        self._roles = roles
        self._timeouts = {role: f"{timeouts_ms.get(role, 5000)}ms" for role in roles}
        self.one_statement = one_statement
        # connection -> the session statement_timeout it is known to have
        self._session_timeout: weakref.WeakKeyDictionary[psycopg.AsyncConnection, str] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def timeouts(self) -> dict[str, str]:
        return dict(self._timeouts)

    async def resolve(
        self,
        role: str,
        claims_text: str,
        query: str | None,
        variables: dict | None,
        operation_name: str | None,
        extensions: dict | None,
        *,
        retry_on_broken_connection: bool = False,
    ) -> Outcome:
        """Run the operation. A connection found dead (PostgreSQL restarted since the pool
        opened it) is discarded with every other dead one, and a *query* is retried once on a
        fresh connection; a mutation is not, since it may have committed before the loss."""
        if role not in self._roles:  # unreachable through RoleMapper; a second lock on the door
            raise ValueError("role outside the allow-list")
        params = (
            query,
            json.dumps(variables, separators=(",", ":")) if variables else "{}",
            operation_name,
            json.dumps(extensions, separators=(",", ":")) if extensions is not None else None,
        )
        try:
            return await self._run(role, claims_text, params)
        except psycopg.OperationalError as exc:
            if not (retry_on_broken_connection and getattr(exc, "_jim_broken", False)):
                raise
            await self.pool.check()
            return await self._run(role, claims_text, params)

    async def _run(self, role: str, claims_text: str, params: tuple) -> Outcome:
        timeout = self._timeouts[role]
        # getconn/putconn rather than `async with pool.connection()`: the same pool contract
        # (putconn resets or replaces a connection left in a bad state) without a
        # context-manager generator and a no-op commit per request.
        conn = await self._live_connection()
        try:
            if not self.one_statement:
                async with conn.pipeline():
                    await conn.execute(CONTEXT_SQL, (role, claims_text, timeout))
                    cur = await conn.execute(RESOLVE_SQL, params)
            elif self._session_timeout.get(conn) == timeout:
                cur = await conn.execute(RESOLVE_AS_ROLE_SQL, (role, claims_text, *params))
            else:
                async with conn.pipeline():
                    await conn.execute(SESSION_TIMEOUT_SQL, (timeout,))
                    cur = await conn.execute(RESOLVE_AS_ROLE_SQL, (role, claims_text, *params))
                self._session_timeout[conn] = timeout
            row = await cur.fetchone()
        except psycopg.Error as exc:
            self._session_timeout.pop(conn, None)  # maybe rolled back: set it again next time
            if isinstance(exc, psycopg.OperationalError):
                exc._jim_broken = conn.broken  # type: ignore[attr-defined]
            raise
        finally:
            await self.pool.putconn(conn)
        assert row is not None
        return Outcome(row[0], bool(row[1]))

    async def _live_connection(self) -> psycopg.AsyncConnection:
        """A pooled connection the server has not closed meanwhile. Without this check the
        first request on each connection the server ended fails — for a mutation with a 503,
        since it cannot be retried blindly once sent. A closed one is handed back (the pool
        replaces it) and the next is taken; after max_size of them the pool is checked."""
        for _ in range(self.pool.max_size):
            conn = await self.pool.getconn()
            if not _closed_by_server(conn):
                return conn
            await conn.close()
            await self.pool.putconn(conn)
        await self.pool.check()
        return await self.pool.getconn()

    async def provision_member(self, role: str, claims_text: str, username: str, display: str) -> bool:
        """Insert the caller's member row from the token (True when a row was added)."""
        async with self.pool.connection() as conn:
            async with conn.pipeline():
                await conn.execute(CONTEXT_SQL, (role, claims_text, self._timeouts[role]))
                cur = await conn.execute(_PROVISION, (username, display))
            return cur.rowcount > 0

    async def ping(self) -> None:
        async with self.pool.connection(timeout=2.0) as conn:
            await conn.execute("select 1")
