"""Redis killed in the middle of the test and restarted, or too slow: every answer stays
correct (uncached, X-Cache: BYPASS), never a 5xx, the failure is logged and counted, and
caching resumes when Redis is back — without serving anything stale."""

from __future__ import annotations

import subprocess
import time
import uuid

import psycopg

from tests.proxy.servers import running_proxy, running_redis

WORKOUTS = "query W { workoutCollection(first: 30, orderBy: [{id: DescNullsLast}]) { edges { node { title } } } }"


def titles(response) -> set[str]:
    return {e["node"]["title"] for e in response.json()["data"]["workoutCollection"]["edges"]}


def test_redis_killed_and_restarted(database_url, keycloak, tokens) -> None:
    title = f"outage-{uuid.uuid4().hex[:8]}"
    with running_redis() as redis_server, running_proxy(
        database_url, REDIS_URL=redis_server.url, REDIS_RETRY_SECONDS="0.2", RATE_LIMIT_REQUESTS="0",
    ) as server:
        try:
            server.post(WORKOUTS, token=tokens["alice"])
            assert server.post(WORKOUTS, token=tokens["alice"]).headers["x-cache"] == "HIT"

            redis_server.kill()
            during = [server.post(WORKOUTS, token=tokens["alice"]) for _ in range(5)]
            assert all(r.status_code == 200 for r in during)
            assert all(r.headers["x-cache"] == "BYPASS" for r in during)
            # A write while Redis is away (its invalidation cannot be recorded) ...
            with psycopg.connect(database_url) as conn:
                conn.execute("insert into app.workout (owner_id, title) values (%s, %s)",
                             ("a11ce000-0000-4000-8000-000000000001", title))
            assert title in titles(server.post(WORKOUTS, token=tokens["alice"]))
            assert server.metric("jim_proxy_cache_errors_total", operation="lookup") >= 1
            assert any(e.get("msg", "").startswith("redis unavailable") for e in server.logs())

            redis_server.start()  # same port, empty
            time.sleep(0.5)
            after = server.post(WORKOUTS, token=tokens["alice"])
            assert after.status_code == 200 and title in titles(after)
            # ... and caching resumes.
            deadline = time.monotonic() + 5
            while server.post(WORKOUTS, token=tokens["alice"]).headers["x-cache"] != "HIT":
                assert time.monotonic() < deadline, "caching did not resume"
                time.sleep(0.1)
            assert title in titles(server.post(WORKOUTS, token=tokens["alice"]))
        finally:
            with psycopg.connect(database_url) as conn:
                conn.execute("delete from app.workout where title = %s", (title,))


def test_slow_redis_is_bypassed_quickly(database_url, keycloak, tokens) -> None:
    with running_redis() as redis_server, running_proxy(
        database_url, REDIS_URL=redis_server.url, REDIS_TIMEOUT_MS="100", RATE_LIMIT_REQUESTS="0",
    ) as server:
        server.post(WORKOUTS, token=tokens["bob"])
        assert server.post(WORKOUTS, token=tokens["bob"]).headers["x-cache"] == "HIT"
        subprocess.run(["redis-cli", "-p", str(redis_server.port), "client", "pause", "2000", "ALL"],
                       check=True, capture_output=True)
        started = time.monotonic()
        response = server.post(WORKOUTS, token=tokens["bob"])
        assert response.status_code == 200
        assert response.headers["x-cache"] == "BYPASS"
        assert time.monotonic() - started < 1.0
        assert "workoutCollection" in response.json()["data"]


def test_readyz_reports_redis(database_url, keycloak) -> None:
    import httpx

    with running_redis() as redis_server, running_proxy(database_url, REDIS_URL=redis_server.url) as server:
        assert httpx.get(f"{server.url}/readyz", timeout=5).json()["checks"]["redis"] is True
        redis_server.kill()
        time.sleep(0.2)
        ready = httpx.get(f"{server.url}/readyz", timeout=5)
        # still ready (answers are correct, uncached), reported as degraded
        assert ready.status_code == 200, ready.text
        assert ready.json()["status"] == "degraded" and ready.json()["checks"]["redis"] is False
        assert server.post("{ __typename }").status_code == 200


def test_redis_restored_from_an_older_snapshot_serves_nothing_stale(database_url, keycloak, tokens) -> None:
    """Redis restarts between two requests with an older copy of its data (as from an RDB
    snapshot): the versions in it predate a write, so its entries must not be served."""
    title = f"snapshot-{uuid.uuid4().hex[:8]}"
    with running_redis() as redis_server, running_proxy(
        database_url, REDIS_URL=redis_server.url, REDIS_RETRY_SECONDS="0.2", RATE_LIMIT_REQUESTS="0",
    ) as server:
        try:
            with psycopg.connect(database_url) as conn:
                conn.execute("insert into app.workout (owner_id, title) values (%s, %s)",
                             ("a11ce000-0000-4000-8000-000000000001", title))
            time.sleep(0.3)
            assert title in titles(server.post(WORKOUTS, token=tokens["alice"]))
            assert server.post(WORKOUTS, token=tokens["alice"]).headers["x-cache"] == "HIT"
            client = redis_server.client()
            snapshot = {key: client.dump(key) for key in client.keys("jim:*")}

            with psycopg.connect(database_url) as conn:
                conn.execute("update app.workout set title = %s where title = %s", (title + "-new", title))
            time.sleep(0.5)
            assert title + "-new" in titles(server.post(WORKOUTS, token=tokens["alice"]))

            redis_server.kill()
            redis_server.start()
            client = redis_server.client()
            for key, value in snapshot.items():
                client.restore(key, 0, value, replace=True)
            for _ in range(10):
                answer = server.post(WORKOUTS, token=tokens["alice"])
                assert answer.status_code == 200
                seen = titles(answer)
                assert title not in seen and title + "-new" in seen, answer.headers["x-cache"]
                time.sleep(0.1)
        finally:
            with psycopg.connect(database_url) as conn:
                conn.execute("delete from app.workout where title like %s", (title + "%",))
