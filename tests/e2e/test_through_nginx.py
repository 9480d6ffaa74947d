"""Requests through the real front door: nginx (from the repository's template) in front
of the real proxy. What nginx adds is asserted here: request ids, security headers, body
and rate limits, JSON refusals, keep-alive to the proxy, hidden /metrics, /healthz."""

from __future__ import annotations

import os
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg

from tests.deploy.nginx import Nginx, free_port, running_nginx
from tests.e2e.conftest import PROXY_MAX_BODY_BYTES
from tests.proxy.servers import ProxyServer, keycloak_token
from tests.support import ALICE, BOB, act_as

HEX_ID = re.compile(r"^[0-9a-f]{32}$")
QUERY = {"query": "{ __typename }"}


def proxy_log_lines(proxy: ProxyServer, request_id: str) -> list[dict]:
    return [line for line in proxy.logs() if line.get("request_id") == request_id]


def wait_for(predicate, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_healthz_is_nginx_s_own_and_readyz_is_the_proxy_s(front: Nginx, e2e_proxy: ProxyServer) -> None:
    health = httpx.get(f"{front.url}/healthz")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert health.headers["server"] == "nginx"
    ready = httpx.get(f"{front.url}/readyz")
    direct = httpx.get(f"{e2e_proxy.url}/readyz")
    assert ready.status_code == direct.status_code == 200
    assert ready.json() == direct.json()


def test_client_request_id_reaches_the_proxy_and_comes_back(front: Nginx, e2e_proxy: ProxyServer) -> None:
    rid = f"e2e-{uuid.uuid4()}"
    response = httpx.post(f"{front.url}/graphql", json=QUERY, headers={"X-Request-ID": rid})
    assert response.headers["x-request-id"] == rid
    assert response.headers.get_list("x-request-id") == [rid], "exactly one X-Request-ID"
    assert wait_for(lambda: proxy_log_lines(e2e_proxy, rid)), "the proxy did not log the client's id"
    assert wait_for(lambda: f'"request_id":"{rid}"' in front.access_log())


def test_missing_or_unsafe_request_ids_are_replaced_by_nginx_s(front: Nginx, e2e_proxy: ProxyServer) -> None:
    for headers in ({}, {"X-Request-ID": 'bad id "with quotes"'}, {"X-Request-ID": "x" * 200}):
        response = httpx.post(f"{front.url}/graphql", json=QUERY, headers=headers)
        rid = response.headers["x-request-id"]
        assert HEX_ID.match(rid), rid
        # The same generated id is in nginx's log and the proxy's: one id per request, end to end.
        assert wait_for(lambda rid=rid: proxy_log_lines(e2e_proxy, rid))
        assert wait_for(lambda rid=rid: f'"request_id":"{rid}"' in front.access_log())
    assert 'bad id' not in front.access_log()


def test_security_headers_on_proxied_and_refused_responses(front: Nginx) -> None:
    proxied = httpx.post(f"{front.url}/graphql", json=QUERY)
    refused = httpx.request("PUT", f"{front.url}/graphql", content=b"{}")
    assert refused.status_code == 405
    for response in (proxied, refused):
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["content-security-policy"].startswith("default-src 'none'")
        assert headers.get_list("x-frame-options") == ["DENY"]
        assert "strict-transport-security" not in headers  # plain HTTP here
        assert "server" not in headers or headers["server"] == "nginx"  # no version, no uvicorn


def test_graphiql_keeps_the_proxy_s_own_csp_and_its_script_is_gzipped(front: Nginx, e2e_proxy: ProxyServer) -> None:
    direct = httpx.get(f"{e2e_proxy.url}/graphiql")
    through = httpx.get(f"{front.url}/graphiql")
    assert through.status_code == direct.status_code == 200
    assert through.headers.get_list("content-security-policy") == [direct.headers["content-security-policy"]]
    script = httpx.get(f"{front.url}/graphiql/assets/graphiql.min.js", headers={"Accept-Encoding": "gzip"})
    assert script.status_code == 200
    assert script.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in script.headers["vary"]


def test_metrics_are_not_served_through_the_front_door(front: Nginx, e2e_proxy: ProxyServer) -> None:
    assert httpx.get(f"{e2e_proxy.url}/metrics").status_code == 200
    hidden = httpx.get(f"{front.url}/metrics")
    assert hidden.status_code == 404


def test_bodies_over_nginx_s_limit_never_reach_the_proxy(front: Nginx, e2e_proxy: ProxyServer) -> None:
    rid = f"e2e-big-{uuid.uuid4()}"
    big = b'{"query": "' + b"x" * 70_000 + b'"}'
    response = httpx.post(f"{front.url}/graphql", content=big, headers={
        "Content-Type": "application/json", "X-Request-ID": rid})
    assert response.status_code == 413
    assert response.json() == {"errors": [{"message": "request body too large"}]}
    assert response.headers["x-request-id"] == rid
    time.sleep(0.3)
    assert proxy_log_lines(e2e_proxy, rid) == []


def test_bodies_between_the_limits_are_refused_by_the_proxy(front: Nginx, e2e_proxy: ProxyServer) -> None:
    rid = f"e2e-mid-{uuid.uuid4()}"
    body = b'{"query": "' + b"x" * (int(PROXY_MAX_BODY_BYTES) + 1000) + b'"}'
    response = httpx.post(f"{front.url}/graphql", content=body, headers={
        "Content-Type": "application/json", "X-Request-ID": rid})
    assert response.status_code == 413
    assert wait_for(lambda: proxy_log_lines(e2e_proxy, rid)), "the proxy should have refused it itself"


def test_methods_graphql_does_not_use_are_refused_in_json(front: Nginx) -> None:
    for method in ("PUT", "DELETE", "PATCH", "TRACE"):
        response = httpx.request(method, f"{front.url}/graphql")
        assert response.status_code == 405, method
        assert response.json() == {"errors": [{"message": "method not allowed"}]}


def test_rate_limit_answers_429_in_json_then_recovers(e2e_proxy: ProxyServer) -> None:
    upstream = e2e_proxy.url.removeprefix("http://")
    with running_nginx(upstream, JIM_NGINX_RATE="2r/s", JIM_NGINX_BURST="2") as nginx, httpx.Client() as client:
        # Ten requests at once: the rate's token and the burst of 2 pass, the rest are refused
        # (a token or two more may accrue while they arrive on a loaded machine).
        with ThreadPoolExecutor(10) as pool:
            statuses = list(pool.map(lambda _: client.post(f"{nginx.url}/graphql", json=QUERY).status_code,
                                     range(10)))
        passed = [status for status in statuses if status != 429]
        assert 3 <= len(passed) <= 5, statuses
        refused = client.post(f"{nginx.url}/graphql", json=QUERY)
        assert refused.status_code == 429
        assert refused.json() == {"errors": [{"message": "too many requests"}]}
        assert HEX_ID.match(refused.headers["x-request-id"])
        # /healthz is not rate limited (orchestrators poll it).
        assert client.get(f"{nginx.url}/healthz").status_code == 200
        time.sleep(1.6)
        assert client.post(f"{nginx.url}/graphql", json=QUERY).status_code != 429
        assert "limiting requests" in nginx.error_log()


def _established_to(port: int) -> set[tuple[str, int]]:
    """Client ends (ip, port) of ESTABLISHED IPv4 connections to 127.0.0.1:port."""
    ends = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, state = fields[1], fields[2], fields[3]
        if state == "01" and int(remote.split(":")[1], 16) == port:
            ends.add((local.split(":")[0], int(local.split(":")[1], 16)))
    return ends


def test_nginx_keeps_connections_to_the_proxy_alive(e2e_proxy: ProxyServer) -> None:
    port = int(e2e_proxy.url.rsplit(":", 1)[1])
    upstream = e2e_proxy.url.removeprefix("http://")
    with running_nginx(upstream) as nginx:
        before = _established_to(port)
        for _ in range(15):
            assert httpx.post(f"{nginx.url}/graphql", json=QUERY).status_code != 502
        first = _established_to(port) - before
        for _ in range(15):
            httpx.post(f"{nginx.url}/graphql", json=QUERY)
        second = _established_to(port) - before
    # Sequential requests reuse idle upstream connections instead of opening one each: at
    # most one per nginx worker process (worker_processes auto, i.e. one per core), and the
    # connections of the first round are still in use in the second.
    assert first, "no idle keep-alive connection from nginx to the proxy"
    assert first <= second
    assert len(second) <= max(2, os.cpu_count() or 1), second


def test_a_stopped_proxy_is_a_json_502(front: Nginx) -> None:
    closed = free_port(18200, 18220)
    with running_nginx(f"127.0.0.1:{closed}") as nginx:
        response = httpx.post(f"{nginx.url}/graphql", json=QUERY)
    assert response.status_code == 502
    assert response.json() == {"errors": [{"message": "the API is unavailable"}]}
    assert HEX_ID.match(response.headers["x-request-id"])


# --- GraphQL through the front door ---------------------------------------------------------

WORKOUT_IDS = "{ workoutCollection(first: 100) { edges { node { id } } } }"


def sql_workout_ids(database_url: str, actor) -> set[str]:
    with psycopg.connect(database_url) as conn:
        act_as(conn, actor)
        ids = {str(row[0]) for row in conn.execute("select id from app.workout")}
        conn.rollback()
    return ids


def graphql_workout_ids(front: Nginx, token: str | None) -> set[str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(f"{front.url}/graphql", json={"query": WORKOUT_IDS}, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return {str(edge["node"]["id"]) for edge in body["data"]["workoutCollection"]["edges"]}


def test_tokens_pass_through_and_rls_decides_what_each_member_reads(front: Nginx, database_url: str) -> None:
    alice, bob = keycloak_token("alice"), keycloak_token("bob")
    alice_sees = graphql_workout_ids(front, alice)
    assert alice_sees and alice_sees == sql_workout_ids(database_url, ALICE)
    bob_sees = graphql_workout_ids(front, bob)
    assert bob_sees == sql_workout_ids(database_url, BOB)
    assert alice_sees != bob_sees  # the token, passed through nginx, decided the role and claims
    # Without a token the request runs as anon, which is not granted workouts at all.
    anon = httpx.post(f"{front.url}/graphql", json={"query": WORKOUT_IDS}, timeout=30).json()
    assert not anon.get("data") and "workoutCollection" in anon["errors"][0]["message"]


def test_a_forged_token_is_refused_through_nginx(front: Nginx) -> None:
    token = keycloak_token("alice")
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    response = httpx.post(f"{front.url}/graphql", json={"query": WORKOUT_IDS},
                          headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401
    assert "data" not in response.json() or not response.json()["data"]


def test_json_answers_are_gzipped_for_clients_that_ask(front: Nginx) -> None:
    query = {"query": "{ exerciseCollection(first: 40) { edges { node { id name } } } }"}
    plain = httpx.post(f"{front.url}/graphql", json=query, headers={"Accept-Encoding": "identity"})
    zipped = httpx.post(f"{front.url}/graphql", json=query, headers={"Accept-Encoding": "gzip"})
    assert plain.status_code == zipped.status_code == 200
    assert len(plain.content) > 1024  # above gzip_min_length
    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["content-type"].startswith("application/json")
    assert "Accept-Encoding" in zipped.headers["vary"]
    assert zipped.json() == plain.json()  # httpx decodes the gzip body
    assert int(zipped.headers.get("content-length", 0)) < len(plain.content) or "content-length" not in zipped.headers
