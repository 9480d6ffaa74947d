"""The HTTP surface: GraphQL-over-HTTP conventions, operability endpoints, request ids,
CORS, the body limit and GraphiQL — against a real proxy process."""

from __future__ import annotations

import json
import time
import uuid

import httpx
import pytest

from tests.proxy.servers import ProxyServer

QUERY = "{ __typename }"


def post_raw(proxy: ProxyServer, content: bytes | str, content_type: str = "application/json",
             **headers: str) -> httpx.Response:
    return httpx.post(proxy.graphql_url, content=content,
                      headers={"Content-Type": content_type, **headers}, timeout=10)


def test_post_json_answers_200_json(proxy: ProxyServer) -> None:
    response = proxy.post(QUERY)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"data": {"__typename": "Query"}}


def test_graphql_response_media_type_on_request(proxy: ProxyServer) -> None:
    response = proxy.post(QUERY, headers={"Accept": "application/graphql-response+json"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/graphql-response+json")


def test_get_runs_queries(proxy: ProxyServer) -> None:
    response = httpx.get(proxy.graphql_url, params={"query": QUERY}, timeout=10)
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("document", [
    "mutation { deleteFromMemberCollection(atMost: 10) { affectedCount } }",
    "query A { __typename } mutation B { __typename }",
])
def test_get_refuses_mutations_with_405(proxy: ProxyServer, document: str) -> None:
    response = httpx.get(proxy.graphql_url, params={"query": document, "operationName": "B"}
                         if "B" in document else {"query": document}, timeout=10)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


def test_head_is_get_without_a_body(proxy: ProxyServer) -> None:
    response = httpx.head(proxy.graphql_url, params={"query": QUERY}, timeout=10)
    assert response.status_code == 200 and response.content == b""
    assert response.headers["content-type"].startswith("application/json")
    assert len(response.headers.get_list("x-request-id")) == 1
    # HEAD is a GET: it may not run a mutation either
    refused = httpx.head(proxy.graphql_url, timeout=10,
                         params={"query": "mutation { deleteFromMemberCollection(atMost: 10) { affectedCount } }"})
    assert refused.status_code == 405 and refused.headers["allow"] == "POST"


def test_other_methods_are_405(proxy: ProxyServer) -> None:
    assert httpx.put(proxy.graphql_url, json={"query": QUERY}, timeout=10).status_code == 405


def test_a_body_in_several_chunks(proxy: ProxyServer) -> None:
    body = json.dumps({"query": QUERY, "variables": {"pad": "x" * 5000}}).encode()

    def chunks():
        for i in range(0, len(body), 1000):
            yield body[i:i + 1000]

    response = httpx.post(proxy.graphql_url, content=chunks(), timeout=10,
                          headers={"Content-Type": "application/json"})
    assert response.status_code == 200 and response.json() == {"data": {"__typename": "Query"}}
    # without a Content-Length, the limit is applied while the body arrives
    big = json.dumps({"query": QUERY, "variables": {"pad": "x" * 30_000}}).encode()
    refused = httpx.post(proxy.graphql_url, content=iter([big[:15_000], big[15_000:]]), timeout=10,
                         headers={"Content-Type": "application/json"})
    assert refused.status_code == 413
    assert refused.json()["errors"][0]["extensions"]["code"] == "BODY_TOO_LARGE"


@pytest.mark.parametrize(("content", "content_type", "status", "code"), [
    (b'{"query": "{ __typename }"}', "text/plain", 415, "UNSUPPORTED_MEDIA_TYPE"),
    (b"{not json", "application/json", 400, "INVALID_JSON"),
    (b"[1, 2]", "application/json", 400, "BAD_REQUEST"),
    (b"{}", "application/json", 400, "BAD_REQUEST"),
    (b'{"query": 42}', "application/json", 400, "BAD_REQUEST"),
    (b'{"query": "{ __typename }", "variables": [1]}', "application/json", 400, "BAD_REQUEST"),
    (b'{"query": "{ __typename }", "operationName": 3}', "application/json", 400, "BAD_REQUEST"),
])
def test_malformed_requests_get_4xx_and_a_graphql_error(proxy, content, content_type, status, code) -> None:
    response = post_raw(proxy, content, content_type)
    assert response.status_code == status
    assert response.json()["errors"][0]["extensions"]["code"] == code


def test_get_with_bad_variables_json_is_400(proxy: ProxyServer) -> None:
    response = httpx.get(proxy.graphql_url, params={"query": QUERY, "variables": "{oops"}, timeout=10)
    assert response.status_code == 400


def test_unacceptable_accept_is_406(proxy: ProxyServer) -> None:
    response = proxy.post(QUERY, headers={"Accept": "text/html"})
    assert response.status_code == 406


def test_body_limit_is_413_before_anything_runs(proxy: ProxyServer) -> None:
    big = json.dumps({"query": QUERY, "variables": {"pad": "x" * 30_000}})
    response = post_raw(proxy, big)
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "BODY_TOO_LARGE"


def test_request_id_is_echoed_or_generated(proxy: ProxyServer) -> None:
    mine = f"test-{uuid.uuid4().hex}"
    assert proxy.post(QUERY, headers={"X-Request-ID": mine}).headers["x-request-id"] == mine
    generated = proxy.post(QUERY, headers={"X-Request-ID": "bad id with spaces"}).headers["x-request-id"]
    assert generated != "bad id with spaces" and len(generated) == 32
    entries = [e for e in proxy.logs() if e.get("request_id") == mine]
    assert entries and entries[-1]["path"] == "/graphql" and entries[-1]["status"] == 200


def test_logs_are_json_lines(proxy: ProxyServer) -> None:
    proxy.post(QUERY)
    entries = proxy.logs()
    access = [e for e in entries if e.get("msg") == "request"]
    assert access, "no access log lines"
    assert {"ts", "level", "request_id", "method", "path", "status", "duration_ms"} <= access[-1].keys()


def test_healthz_and_readyz(proxy: ProxyServer) -> None:
    assert httpx.get(f"{proxy.url}/healthz", timeout=5).json() == {"status": "alive"}
    ready = httpx.get(f"{proxy.url}/readyz", timeout=5)
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] is True
    assert ready.json()["checks"]["keycloak_keys"] is True


def test_metrics_count_requests_latency_and_pool(proxy: ProxyServer) -> None:
    proxy.post(QUERY)
    text = httpx.get(f"{proxy.url}/metrics", timeout=5).text
    assert 'jim_proxy_requests_total{operation="query",outcome="ok"}' in text
    assert "jim_proxy_request_duration_seconds_bucket" in text
    assert "jim_proxy_db_pool_connections" in text


def test_cors_allows_configured_origins_only(proxy: ProxyServer) -> None:
    preflight = {"Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization,content-type"}
    ok = httpx.options(proxy.graphql_url, headers={"Origin": "http://localhost:19006", **preflight}, timeout=5)
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == "http://localhost:19006"
    denied = httpx.options(proxy.graphql_url, headers={"Origin": "http://evil.invalid", **preflight}, timeout=5)
    assert "access-control-allow-origin" not in denied.headers


def test_graphiql_page_and_assets_are_served_locally(proxy: ProxyServer) -> None:
    page = httpx.get(f"{proxy.url}/graphiql", timeout=5)
    assert page.status_code == 200
    assert "https://" not in page.text.split("<script id=\"jim-config\"")[0]  # no CDN
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for asset in ("graphiql.min.js", "graphiql.min.css", "react.production.min.js",
                  "react-dom.production.min.js"):
        response = httpx.get(f"{proxy.url}/graphiql/assets/{asset}", timeout=10)
        assert response.status_code == 200, asset
        assert len(response.content) > 1000
    assert httpx.get(f"{proxy.url}/graphiql/assets/..%2Fetc%2Fpasswd", timeout=5).status_code == 404


def test_anonymous_can_be_refused(database_url: str, keycloak: str) -> None:
    from tests.proxy.servers import running_proxy

    with running_proxy(database_url, ALLOW_ANONYMOUS="false", GRAPHIQL="false") as strict:
        response = strict.post(QUERY)
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert httpx.get(f"{strict.url}/graphiql", timeout=5).status_code == 404


def terminate_pool_connections(conn, proxy: ProxyServer) -> int:
    """Kill every pooled database connection of this proxy (its application_name names its port)."""
    port = proxy.url.rsplit(":", 1)[1]
    return conn.execute(
        "select count(*) filter (where pg_terminate_backend(pid)) from pg_stat_activity"
        " where application_name = %s", (f"jim-proxy:{port}",),
    ).fetchone()[0]


def test_queries_survive_dead_database_connections(proxy: ProxyServer, tokens, database_url) -> None:
    """As after a PostgreSQL restart: every pooled connection of this proxy is killed."""
    import psycopg

    assert proxy.post(QUERY, token=tokens["alice"]).status_code == 200
    with psycopg.connect(database_url, autocommit=True) as conn:
        assert terminate_pool_connections(conn, proxy) >= 1
    for _ in range(3):
        response = proxy.post("{ exerciseCollection(first: 1) { edges { node { id } } } }",
                              token=tokens["alice"], headers={"X-Cache-Bypass": "1"})
        assert response.status_code == 200, response.text


def test_mutations_survive_connections_the_server_closed(proxy: ProxyServer, tokens, database_url) -> None:
    """Connections killed while idle in the pool are noticed before a mutation is sent on
    them: every mutation is answered and written exactly once."""
    import psycopg

    title = f"after-terminate-{uuid.uuid4().hex[:8]}"
    mutation = "mutation($t: String!) { startWorkout(title: $t) { id } }"
    assert proxy.post(mutation, {"t": title}, token=tokens["alice"]).status_code == 200
    with psycopg.connect(database_url, autocommit=True) as conn:
        assert terminate_pool_connections(conn, proxy) >= 1
        time.sleep(0.2)  # the backends are gone once pg_terminate_backend's signal lands
        statuses = [proxy.post(mutation, {"t": title}, token=tokens["alice"]).status_code for _ in range(6)]
        assert statuses == [200] * 6
        written = conn.execute("select count(*) from app.workout where title = %s", (title,)).fetchone()[0]
        conn.execute("delete from app.workout where title = %s", (title,))
    assert written == 7


def test_cors_headers_on_the_actual_response(proxy: ProxyServer) -> None:
    response = proxy.post(QUERY, headers={"Origin": "http://localhost:19006"})
    assert response.headers["access-control-allow-origin"] == "http://localhost:19006"
    assert "x-cache" in response.headers["access-control-expose-headers"].lower()
    assert "access-control-allow-origin" not in proxy.post(QUERY, headers={"Origin": "http://evil.invalid"}).headers
