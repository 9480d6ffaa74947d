"""Running one GraphQL operation in PostgreSQL as the request's role.

Per request, ONE transaction sent in ONE round trip (psycopg's pipeline mode):

    BEGIN
    SET LOCAL ROLE <role>                        -- from the allow-list, quoted as an identifier
    SELECT set_config('request.jwt.claims', $1, true), set_config('statement_timeout', $2, true)
    SELECT r::text, r ? 'errors' FROM graphql.resolve($3, $4, $5, $6) r
    COMMIT

The timeout is set by its own statement because PostgreSQL arms statement_timeout when a
statement starts: set inside the resolve statement it would only apply to the next one.
The result comes back as JSON text and is forwarded (and cached) without being re-encoded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from psycopg import sql
from psycopg_pool import AsyncConnectionPool

_CONTEXT = sql.SQL(
    "select set_config('request.jwt.claims', %s, true), set_config('statement_timeout', %s, true)"
)
_RESOLVE = sql.SQL(
    "select r::text, r ? 'errors' from graphql.resolve(%s, %s::jsonb, %s, %s::jsonb) as r"
)
# Member provisioning: the member inserts their own row, as their own role (RLS allows
# id = auth.uid() only); a username taken by someone else or already present is a no-op.
_PROVISION = sql.SQL(
    "insert into app.member (id, username, display_name)"
    " select auth.uid(), %s, %s where auth.uid() is not null"
    " on conflict do nothing"
)


@dataclass(frozen=True)
class Outcome:
    body: str  # the response JSON, as PostgreSQL produced it
    has_errors: bool


class Executor:
    def __init__(self, pool: AsyncConnectionPool, roles: frozenset[str], timeouts_ms: dict[str, int]) -> None:
        self.pool = pool
        # Statements composed once: a role name only ever reaches SQL as a quoted identifier.
        self._set_role = {
            role: sql.SQL("set local role {}").format(sql.Identifier(role)) for role in roles
        }
        self._timeouts = {role: f"{timeouts_ms.get(role, 5000)}ms" for role in roles}

    async def resolve(
        self,
        role: str,
        claims: dict | None,
        query: str | None,
        variables: dict | None,
        operation_name: str | None,
        extensions: dict | None,
    ) -> Outcome:
        set_role = self._set_role[role]  # KeyError: not on the allow-list, never executed
        claims_text = json.dumps(claims, separators=(",", ":")) if claims is not None else ""
        params = (
            query,
            json.dumps(variables or {}, separators=(",", ":")),
            operation_name,
            json.dumps(extensions, separators=(",", ":")) if extensions is not None else None,
        )
        async with self.pool.connection() as conn:
            async with conn.pipeline():
                async with conn.transaction():
                    await conn.execute(set_role)
                    await conn.execute(_CONTEXT, (claims_text, self._timeouts[role]))
                    cur = await conn.execute(_RESOLVE, params)
                row = await cur.fetchone()
        assert row is not None
        return Outcome(row[0], bool(row[1]))

    async def provision_member(self, role: str, claims: dict) -> bool:
        """Insert the caller's member row from the token (True when a row was added)."""
        username = str(claims.get("preferred_username") or "").lower()
        display = str(claims.get("name") or username)[:80] or username
        async with self.pool.connection() as conn:
            async with conn.transaction():
                await conn.execute(self._set_role[role])
                await conn.execute(
                    _CONTEXT, (json.dumps(claims, separators=(",", ":")), self._timeouts[role])
                )
                cur = await conn.execute(_PROVISION, (username, display))
                return cur.rowcount > 0

    async def ping(self) -> None:
        async with self.pool.connection(timeout=2.0) as conn:
            await conn.execute("select 1")

