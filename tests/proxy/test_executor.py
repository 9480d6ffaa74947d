"""The request transaction itself, against the real database (no HTTP): the one-statement
form runs graphql.resolve as the request's role with its claims, answers exactly like the
two-statement pipeline, leaves nothing behind, and keeps the per-role statement timeouts."""

from __future__ import annotations

import asyncio
import json

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from proxy.executor import (
    CONTEXT_SQL,
    RESOLVE_AS_ROLE_SQL,
    RESOLVE_SQL,
    Executor,
    can_resolve_directly,
)
from proxy.settings import ProxySettings
from tests.support import ALICE_ID as ALICE
from tests.support import BOB_ID as BOB
from tests.support import CAROL_ID as CAROL

MEMBERS = "{ memberCollection(orderBy: [{username: AscNullsLast}]) { edges { node { username } } } }"
ROLES = frozenset({"anon", "authenticated", "admin"})


def claims(user: str | None) -> str:
    return json.dumps({"sub": user, "role": "authenticated"} if user else {"role": "anon"})


@pytest.fixture
def authenticator_url(database_url: str) -> str:
    return ProxySettings.model_validate({"database_url": database_url}).authenticator_url


def usernames(body: str) -> list[str]:
    return [e["node"]["username"] for e in json.loads(body)["data"]["memberCollection"]["edges"]]


def test_one_statement_resolves_as_the_role_with_its_claims(authenticator_url: str) -> None:
    with psycopg.connect(authenticator_url, autocommit=True) as conn:
        assert can_resolve_directly(conn)
        answers: dict[str, tuple] = {}
        for name, role, user in (("anon", "anon", None), ("alice", "authenticated", ALICE),
                                 ("bob", "authenticated", BOB), ("carol", "authenticated", CAROL)):
            one = conn.execute(RESOLVE_AS_ROLE_SQL, (role, claims(user), MEMBERS, "{}", None, None)).fetchone()
            with conn.pipeline():
                conn.execute(CONTEXT_SQL, (role, claims(user), "5000ms"))
                cur = conn.execute(RESOLVE_SQL, (MEMBERS, "{}", None, None))
            two = cur.fetchone()
            assert one is not None and one == two, name  # the same answer as the two-statement form
            answers[name] = one
            # SET LOCAL semantics: the next statement is authenticator again, without claims
            after = conn.execute("select current_user, coalesce(current_setting('request.jwt.claims', true), '')").fetchone()
            assert after == ("authenticator", ""), name
    assert answers["anon"][1] is True  # anon may not read members at all
    assert usernames(answers["alice"][0]) == ["alice", "carol"]  # herself and her coach
    assert usernames(answers["bob"][0]) == ["bob", "carol"]  # carol asked to coach bob
    assert "alice" in usernames(answers["carol"][0])


def test_detects_a_login_role_that_may_not_call_resolve(database_url: str) -> None:
    """pg_graphql installations may grant graphql.resolve to the API roles only: then the
    proxy must use the pipeline (checked here in a transaction that is rolled back)."""
    with psycopg.connect(database_url) as conn:
        conn.execute("revoke execute on function graphql.resolve(text, jsonb, text, jsonb) from public")
        conn.execute("set local role authenticator")
        assert can_resolve_directly(conn) is False
        conn.rollback()


def run_executor(url: str, timeouts: dict[str, int], steps, *, one_statement: bool = True,
                 roles: frozenset[str] = ROLES):
    """Run `steps(executor, pool)` against a pool of ONE connection, so every request reuses it."""
    async def main():
        pool = AsyncConnectionPool(url, min_size=1, max_size=1, open=False, kwargs={"autocommit": True})
        await pool.open(wait=True)
        try:
            return await steps(Executor(pool, roles, timeouts, one_statement=one_statement), pool)
        finally:
            await pool.close()
    return asyncio.run(main())


async def session_timeout(pool: AsyncConnectionPool) -> str:
    async with pool.connection() as conn:
        row = await (await conn.execute("show statement_timeout")).fetchone()
        assert row is not None
        return row[0]


def test_statement_timeout_follows_the_role_on_a_reused_connection(authenticator_url: str) -> None:
    async def steps(executor: Executor, pool: AsyncConnectionPool) -> None:
        alice = claims(ALICE)
        ok = await executor.resolve("authenticated", alice, MEMBERS, None, None, None)
        assert not ok.has_errors and await session_timeout(pool) == "4s"
        # another role on the same connection: its timeout is armed for what runs next
        admin = await executor.resolve("admin", json.dumps({"sub": ALICE, "role": "admin"}), MEMBERS,
                                       None, None, None)
        assert not admin.has_errors and await session_timeout(pool) == "300ms"
        async with pool.connection() as conn:
            with pytest.raises(psycopg.errors.QueryCanceled):
                await conn.execute("select pg_sleep(2)")
        again = await executor.resolve("authenticated", alice, MEMBERS, None, None, None)
        assert again.body == ok.body and await session_timeout(pool) == "4s"
        # a request that fails rolls its timeout change back: the connection keeps the last
        # committed one, and the executor sets it again for the next request
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # authenticator is no worker
            await executor.resolve("worker", claims(ALICE), MEMBERS, None, None, None)
        assert await session_timeout(pool) == "4s"
        admin = await executor.resolve("admin", json.dumps({"sub": ALICE, "role": "admin"}), MEMBERS,
                                       None, None, None)
        assert not admin.has_errors and await session_timeout(pool) == "300ms"

    run_executor(authenticator_url, {"authenticated": 4000, "admin": 300, "worker": 7}, steps,
                 roles=frozenset({"authenticated", "admin", "worker"}))


def test_pipeline_fallback_answers_the_same(authenticator_url: str) -> None:
    async def steps(executor: Executor, pool: AsyncConnectionPool) -> list[str]:
        bodies = []
        for user in (ALICE, BOB):
            outcome = await executor.resolve("authenticated", claims(user), MEMBERS, {}, None, None)
            bodies.append(outcome.body)
        anon = await executor.resolve("anon", claims(None), MEMBERS, None, None, None)
        bodies.append(anon.body)
        return bodies

    timeouts = {"anon": 3000, "authenticated": 4000, "admin": 4000}
    one = run_executor(authenticator_url, timeouts, steps)
    two = run_executor(authenticator_url, timeouts, steps, one_statement=False)
    assert one == two
    assert [usernames(b) for b in one[:2]] == [["alice", "carol"], ["bob", "carol"]]
    assert "errors" in json.loads(one[2])
