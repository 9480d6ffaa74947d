"""Limits applied before the database is touched: depth, fields, aliases (the body size is
in test_http.py), and the per-user / per-IP rate limit with 429 and Retry-After."""

from __future__ import annotations

import psycopg
import pytest

from tests.proxy.servers import running_proxy, running_redis


@pytest.fixture(scope="module")
def limited(database_url, keycloak):
    with running_redis() as redis_server, running_proxy(
        database_url, REDIS_URL=redis_server.url, MAX_DEPTH="4", MAX_FIELDS="6", MAX_ALIASES="2",
        RATE_LIMIT_REQUESTS="5", RATE_LIMIT_ANON_REQUESTS="3", RATE_LIMIT_WINDOW_SECONDS="60",
    ) as server:
        yield server


@pytest.mark.parametrize(("query", "code"), [
    ("{ a { b { c { d { e } } } } }", "DEPTH_LIMIT_EXCEEDED"),
    ("{ a b c d e f g }", "FIELD_LIMIT_EXCEEDED"),
    ("{ x: a y: a z: a }", "ALIAS_LIMIT_EXCEEDED"),
    ("{ ...F } fragment F on Query { a { b { c { d { e } } } } }", "DEPTH_LIMIT_EXCEEDED"),
])
def test_shape_limits(limited, tokens, query, code) -> None:
    response = limited.post(query, token=tokens["carol"])
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == code
    assert "limit" in error["message"]


def test_within_limits_runs(limited, tokens) -> None:
    assert limited.post("{ __typename }", token=tokens["admin"]).status_code == 200


def test_rate_limit_per_user(limited, tokens) -> None:
    statuses = [limited.post("{ __typename }", token=tokens["alice"]).status_code for _ in range(5)]
    assert statuses == [200] * 5
    refused = limited.post("{ __typename }", token=tokens["alice"])
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    # another user has their own budget
    assert limited.post("{ __typename }", token=tokens["bob"]).status_code == 200


def test_rate_limit_per_ip_for_anonymous(limited) -> None:
    statuses = [limited.post("{ __typename }").status_code for _ in range(4)]
    assert statuses[:3] == [200] * 3 and statuses[3] == 429
    assert limited.metric("jim_proxy_rate_limited_total") >= 1


@pytest.fixture
def slow_probe(database_url):
    """A query field that takes as long as asked (dropped after the test), so that a
    statement timeout lands in the statement for certain, not by the luck of a fast query."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("""
            create or replace function app.slow_probe(seconds float8) returns int
            language sql stable as $$ select 1 from pg_sleep(seconds) $$;
            grant execute on function app.slow_probe(float8) to anon, authenticated
        """)
        try:
            yield "query Probe($s: Float!) { slowProbe(seconds: $s) }"
        finally:
            conn.execute("drop function app.slow_probe(float8)")


def test_per_role_statement_timeout(database_url, keycloak, tokens, slow_probe) -> None:
    with running_redis() as redis_server, running_proxy(
        database_url, REDIS_URL=redis_server.url, CACHE_ENABLED="false",
        ROLE_STATEMENT_TIMEOUTS="anon=200ms,authenticated=10s,admin=30s",
    ) as server:
        anon = server.post(slow_probe, variables={"s": 1.0})
        assert anon.status_code == 504, anon.text
        assert anon.json()["errors"][0]["extensions"]["code"] == "STATEMENT_TIMEOUT"
        assert "canceling" not in anon.text  # no SQL error text leaks
        member = server.post(slow_probe, variables={"s": 0.4}, token=tokens["alice"])
        assert member.status_code == 200, member.text
        assert member.json() == {"data": {"slowProbe": 1}}
