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


def test_the_same_request_repeated_follows_schema_changes(engine_conn: psycopg.Connection):
    """A request answered before runs again as it was (one guarded statement) only while the
    role, search_path and schema are those it was answered in: a rename makes the very same
    text an error, and rolling the rename back brings the first answer back."""
    query = "query Q($id: Int!) { accountByPk(id: $id) { email } }"
    first = resolve(engine_conn, query, {"id": 1})
    assert first["data"]["accountByPk"]["email"]
    for _ in range(3):
        assert resolve(engine_conn, query, {"id": 1}) == first
    engine_conn.execute("savepoint s")
    engine_conn.execute("alter table public.account rename column email to mail")
    assert resolve(engine_conn, query, {"id": 1}) == {
        "data": None, "errors": [{"message": "Unknown field 'email' on type 'Account'"}]}
    engine_conn.execute("rollback to savepoint s")
    assert resolve(engine_conn, query, {"id": 1}) == first
    engine_conn.execute("set local role jimgql_reader")  # may read account (id, email)
    assert resolve(engine_conn, query, {"id": 1}) == first
    engine_conn.execute("reset role")
    engine_conn.execute("revoke select on public.account from jimgql_reader")
    engine_conn.execute("set local role jimgql_reader")
    assert resolve(engine_conn, query, {"id": 1})["errors"][0]["message"] == (
        'Unknown field "accountByPk" on type Query')


def test_the_same_document_with_other_variables(engine_conn: psycopg.Connection):
    query = "query Q($id: Int!) { accountByPk(id: $id) { id } }"
    for _ in range(3):
        for i in (1, 2, 3):
            assert resolve(engine_conn, query, {"id": i}) == {"data": {"accountByPk": {"id": i}}}
    assert resolve(engine_conn, query, {"id": "x"})["errors"] == [{"message": "Invalid input for Int type"}]
    assert resolve(engine_conn, query, {"id": 999}) == {"data": {"accountByPk": None}}


def versions(conn: psycopg.Connection) -> list[int]:
    return [r[0] for r in conn.execute("select version from graphql._schema_version order by 1")]


def test_ddl_keeps_the_version_table_small(engine_conn: psycopg.Connection):
    def current() -> int:
        row = engine_conn.execute("select graphql.get_schema_version()").fetchone()
        assert row is not None
        return row[0]

    before = current()
    for i in range(5):
        engine_conn.execute(f"comment on table public.blog is 'note {i}'")
    assert versions(engine_conn) == [current()]
    assert current() >= before + 5


def test_versions_committed_out_of_order_are_seen(engine_url: str):
    """Two DDL transactions commit in the opposite order of their version numbers: the one
    committing last leaves the highest version as it was, and a session that cached the
    schema in between must still see its change (the cache key is the set of versions)."""
    def connect(**kw: object) -> psycopg.Connection:
        conn = psycopg.connect(engine_url, **kw)  # type: ignore[arg-type]
        conn.execute("set statement_timeout = '20s'")  # DDL must never wait on DDL here
        return conn

    with connect(autocommit=True) as reader, connect() as first, connect() as second:
        reader.execute("drop table if exists public.race_first, public.race_second")
        try:
            first.execute("create table public.race_first (id int primary key)")  # lower version
            second.execute("create table public.race_second (id int primary key)")
            second.commit()
            for _ in range(2):
                assert resolve(reader, "{ raceSecondCollection { edges { node { id } } } }") == {
                    "data": {"raceSecondCollection": {"edges": []}}}
            first.commit()
            assert resolve(reader, "{ raceFirstCollection { edges { node { id } } } }") == {
                "data": {"raceFirstCollection": {"edges": []}}}
        finally:
            first.rollback()
            second.rollback()
            reader.execute("drop table if exists public.race_first, public.race_second")


def test_ddl_under_repeatable_read_beside_other_ddl(engine_url: str):
    """Pruning older versions never makes DDL in a REPEATABLE READ transaction fail because
    another transaction pruned (or added) versions after its snapshot was taken."""
    with psycopg.connect(engine_url, autocommit=True) as other, psycopg.connect(engine_url) as rr:
        other.execute("drop table if exists public.rr_probe, public.rr_other")
        try:
            rr.execute("set transaction isolation level repeatable read")
            rr.execute("select 1")  # the snapshot
            other.execute("create table public.rr_other (id int primary key)")
            rr.execute("create table public.rr_probe (id int primary key)")
            rr.execute("comment on table public.rr_probe is 'twice'")
            mine = [v for v in versions(rr) if v > versions(other)[-1]]
            assert len(mine) == 1  # its own earlier version was dropped
            rr.commit()
            assert resolve(other, "{ rrProbeCollection { edges { node { id } } } }") == {
                "data": {"rrProbeCollection": {"edges": []}}}
        finally:
            rr.rollback()
            other.execute("drop table if exists public.rr_probe, public.rr_other")
