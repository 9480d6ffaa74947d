"""Per-connection caches never serve a stale schema or plan: a schema change (in this or
another session), another role or another search_path each get their own schema; plans are
reused across variable values and recompiled when a variable shapes the SQL."""

from __future__ import annotations

import json

import psycopg
import pytest


def resolve(conn: psycopg.Connection, query: str, variables: dict | None = None) -> dict:
    row = conn.execute("select graphql.resolve(%s, %s::jsonb)", (query, json.dumps(variables or {}))).fetchone()
    assert row is not None
    return row[0]


def query_fields(conn: psycopg.Connection) -> list[str]:
    result = resolve(conn, '{ __type(name: "Query") { fields { name } } }')
    return [f["name"] for f in result["data"]["__type"]["fields"]]


def test_ddl_in_the_same_transaction_and_its_rollback(engine_conn: psycopg.Connection):
    assert "gadgetCollection" not in query_fields(engine_conn)
    engine_conn.execute("savepoint s")
    engine_conn.execute("create table public.gadget (id int primary key, name text)")
    engine_conn.execute("insert into public.gadget values (1, 'g')")
    assert "gadgetCollection" in query_fields(engine_conn)
    assert resolve(engine_conn, "{ gadgetCollection { edges { node { name } } } }") == {
        "data": {"gadgetCollection": {"edges": [{"node": {"name": "g"}}]}}}
    engine_conn.execute("alter table public.gadget rename column name to label")
    assert resolve(engine_conn, "{ gadgetCollection { edges { node { label } } } }")["data"]
    engine_conn.execute("rollback to savepoint s")
    assert "gadgetCollection" not in query_fields(engine_conn)


def test_ddl_committed_by_another_session_is_seen(engine_url: str):
    with psycopg.connect(engine_url, autocommit=True) as reader, \
            psycopg.connect(engine_url, autocommit=True) as writer:
        writer.execute("drop table if exists public.cache_probe")
        try:
            assert "cacheProbeCollection" not in query_fields(reader)
            writer.execute("create table public.cache_probe (id int primary key)")
            assert "cacheProbeCollection" in query_fields(reader)
            writer.execute("drop table public.cache_probe")
            assert "cacheProbeCollection" not in query_fields(reader)
        finally:
            writer.execute("drop table if exists public.cache_probe")


def test_another_role_gets_its_own_schema(engine_conn: psycopg.Connection):
    assert "blogPostCollection" in query_fields(engine_conn)
    engine_conn.execute("set local role jimgql_reader")
    fields = query_fields(engine_conn)
    assert "blogPostCollection" not in fields and "accountCollection" in fields
    engine_conn.execute("reset role")
    assert "blogPostCollection" in query_fields(engine_conn)


def test_another_search_path_gets_its_own_schema(engine_conn: psycopg.Connection):
    query = "{ secretCollection { edges { node { token } } } }"
    assert resolve(engine_conn, query)["errors"][0]["message"] == 'Unknown field "secretCollection" on type Query'
    engine_conn.execute("set local search_path = public, other")
    assert resolve(engine_conn, query) == {"data": {"secretCollection": {"edges": [{"node": {"token": "s1"}}]}}}
    engine_conn.execute("set local search_path = public")
    assert "errors" in resolve(engine_conn, query)


@pytest.mark.parametrize("email", ["bat@x.com", "cat@x.com", "nobody@x.com"])
def test_one_plan_many_variable_values(engine_conn: psycopg.Connection, email: str):
    query = "query Q($e: String!) { accountCollection(filter: {email: {eq: $e}}) { edges { node { email } } } }"
    for _ in range(2):
        edges = resolve(engine_conn, query, {"e": email})["data"]["accountCollection"]["edges"]
        assert edges == ([{"node": {"email": email}}] if email != "nobody@x.com" else [])


def test_structural_variables_recompile(engine_conn: psycopg.Connection):
    query = "query Q($f: AccountFilter, $o: [AccountOrderBy!]) { accountCollection(filter: $f, orderBy: $o) { edges { node { id } } } }"
    ids = lambda r: [e["node"]["id"] for e in r["data"]["accountCollection"]["edges"]]  # noqa: E731
    assert ids(resolve(engine_conn, query, {"f": {"id": {"lt": 3}}})) == [1, 2]
    assert ids(resolve(engine_conn, query, {"f": {"id": {"gt": 3}}, "o": [{"id": "DescNullsLast"}]})) == [5, 4]
    assert ids(resolve(engine_conn, query, {"f": {"id": {"lt": 3}}})) == [1, 2]
    assert ids(resolve(engine_conn, query, {})) == [1, 2, 3, 4, 5]


def test_operation_tables(engine_conn: psycopg.Connection):
    row = engine_conn.execute(
        "select graphql.operation_tables(%s)",
        ("{ blogCollection { edges { node { owner { email } blogPostCollection { totalCount: __typename } } } } }",),
    ).fetchone()
    assert row[0] == {"kind": "query", "reads": ["account", "blog", "blog_post"], "writes": []}
    row = engine_conn.execute(
        "select graphql.operation_tables(%s)",
        ('mutation { updateBlogCollection(set: {name: "x"}, atMost: 0) { records { owner { id } } } }',),
    ).fetchone()
    assert row[0] == {"kind": "mutation", "reads": ["account", "blog"], "writes": ["blog"]}


def test_cached_plan_is_not_reused_after_a_role_switch(engine_conn: psycopg.Connection):
    query = "{ blogPostCollection(first: 1) { edges { node { title } } } }"
    assert "data" in resolve(engine_conn, query) and "errors" not in resolve(engine_conn, query)
    engine_conn.execute("set local role jimgql_reader")  # no grant on blog_post
    assert resolve(engine_conn, query) == {
        "data": None, "errors": [{"message": 'Unknown field "blogPostCollection" on type Query'}]}
    # and a query the new role may run is answered from the new role's schema
    assert resolve(engine_conn, "{ accountCollection(first: 1) { edges { node { email } } } }")["data"]


def test_cached_plan_is_not_reused_after_a_search_path_switch(engine_conn: psycopg.Connection):
    engine_conn.execute("set local search_path = public, other")
    query = "{ secretCollection { edges { node { token } } } }"
    assert resolve(engine_conn, query)["data"]
    engine_conn.execute("set local search_path = public")
    assert resolve(engine_conn, query)["errors"][0]["message"] == 'Unknown field "secretCollection" on type Query'


def test_cached_plan_after_a_column_is_dropped_elsewhere(engine_url: str):
    with psycopg.connect(engine_url, autocommit=True) as reader, \
            psycopg.connect(engine_url, autocommit=True) as writer:
        writer.execute("drop table if exists public.cache_probe2")
        writer.execute("create table public.cache_probe2 (id int primary key, doomed text)")
        try:
            query = "{ cacheProbe2Collection { edges { node { id doomed } } } }"
            assert resolve(reader, query) == {"data": {"cacheProbe2Collection": {"edges": []}}}
            writer.execute("alter table public.cache_probe2 drop column doomed")
            assert resolve(reader, query) == {"data": None, "errors": [
                {"message": "Unknown field 'doomed' on type 'CacheProbe2'"}]}
        finally:
            writer.execute("drop table if exists public.cache_probe2")
