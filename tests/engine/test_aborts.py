"""Errors that are not the request's fault end the statement with their SQLSTATE.

A statement timeout, a lock timeout or a deadlock landing inside graphql.resolve must not
come back as a GraphQL error inside a successful statement (the caller would see HTTP 200
and partial data, and a transaction that "succeeded"); a constraint or RLS error still does.
"""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors

from tests.engine.support import resolve

SLOW_FUNCTION = """
create function public.slow_value() returns int language sql stable
as $$ select 1 from pg_sleep(0.3) $$
"""


def warm(conn: psycopg.Connection) -> None:
    """Build this session's engine first, so that the timeout lands in the statement under
    test and not in the schema's reflection (which takes longer than the test's timeout)."""
    assert "errors" not in resolve(conn, "{ accountCollection(first: 1) { edges { node { id } } } }")


def test_statement_timeout_propagates_on_the_first_and_the_repeated_path(engine_conn: psycopg.Connection):
    engine_conn.execute(SLOW_FUNCTION)
    query = "{ slowValue accountCollection(first: 1) { edges { node { id } } } }"
    answered = resolve(engine_conn, query)  # no timeout: answered (and its plan kept)
    assert answered["data"]["slowValue"] == 1 and "errors" not in answered
    engine_conn.execute("savepoint before_timeout")
    engine_conn.execute("set local statement_timeout = '50ms'")
    with pytest.raises(errors.QueryCanceled):
        resolve(engine_conn, query)  # the kept plan's fast path
    engine_conn.execute("rollback to savepoint before_timeout")
    engine_conn.execute("set local statement_timeout = '50ms'")
    with pytest.raises(errors.QueryCanceled):
        resolve(engine_conn, "{ second: slowValue }")  # a new document: the full path


def test_statement_timeout_propagates_from_a_mutation(engine_conn: psycopg.Connection):
    engine_conn.execute("""
        create function public.slow_add(email text) returns int language sql volatile
        as $$ insert into public.account (email) select email from pg_sleep(0.3) returning id $$
    """)
    warm(engine_conn)
    engine_conn.execute("set local statement_timeout = '50ms'")
    with pytest.raises(errors.QueryCanceled):
        resolve(engine_conn, 'mutation { a: slowAdd(email: "a@x") b: slowAdd(email: "b@x") }')


def test_lock_timeout_propagates(engine_url: str):
    with psycopg.connect(engine_url) as holder, psycopg.connect(engine_url) as writer:
        holder.execute("select id from public.account where id = 1 for update")
        warm(writer)
        writer.execute("set local lock_timeout = '50ms'")
        with pytest.raises(errors.LockNotAvailable):
            resolve(writer, 'mutation { updateAccountCollection(set: {status: "x"}, '
                            'filter: {id: {eq: 1}}) { affectedCount } }')
        writer.rollback()
        holder.rollback()


def test_the_request_s_own_errors_are_still_graphql_errors(engine_conn: psycopg.Connection):
    """A failing root field (here a division by zero) is reported beside its siblings."""
    engine_conn.execute("create function public.broken_value() returns int language sql stable "
                        "as $$ select 1 / (select count(*)::int - count(*)::int from public.account) $$")
    result = resolve(engine_conn, "{ brokenValue accountCollection(first: 1) { edges { node { id } } } }")
    assert result["errors"] == [{"message": "division by zero"}]
    assert result["data"]["brokenValue"] is None
    assert len(result["data"]["accountCollection"]["edges"]) == 1
