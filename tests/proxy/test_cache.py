"""The response cache with the real Redis, proxy and database: hit, miss and bypass;
per-user isolation; invalidation from every write path; stampede protection; TTLs."""

from __future__ import annotations

import concurrent.futures
import threading
import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from tests.proxy.servers import ProxyServer, running_proxy, running_redis
from tests.support import ALICE_ID

WORKOUTS = "query Workouts { workoutCollection(first: 30, orderBy: [{id: DescNullsLast}]) { edges { node { id title ownerId } } } }"
CATALOG = "query Catalog { exerciseCollection(first: 5, orderBy: [{id: AscNullsLast}]) { edges { node { id name } } } }"
RECORDS = "query Records { personalRecordCollection(first: 30) { edges { node { metric value } } } }"
INSERT = ("mutation($title: String!) { insertIntoWorkoutCollection(objects: [{title: $title}]) "
          "{ records { id } } }")


def titles(response) -> set[str]:
    return {e["node"]["title"] for e in response.json()["data"]["workoutCollection"]["edges"]}


def until(predicate, seconds: float = 1.0) -> float:
    """Poll until predicate() is true; return the time it took (fails after `seconds`)."""
    started = time.monotonic()
    while True:
        if predicate():
            return time.monotonic() - started
        if time.monotonic() - started > seconds:
            raise AssertionError(f"not true within {seconds}s")
        time.sleep(0.02)


@pytest.fixture
def prefix(database_url: str) -> Iterator[str]:
    value = f"cache-test-{uuid.uuid4().hex[:8]}-"
    yield value
    with psycopg.connect(database_url) as conn:
        conn.execute("delete from app.workout where title like %s", (value + "%",))


def bump_exercise(database_url: str) -> None:
    """A committed no-op write: the statement trigger fires, the proxy bumps the version."""
    with psycopg.connect(database_url) as conn:
        conn.execute("update app.exercise set name = name where false")


def test_lookups_survive_redis_forgetting_the_script(proxy: ProxyServer, tokens, database_url,
                                                     redis_server) -> None:
    """The lookup runs its Lua script by SHA; a Redis without it (SCRIPT FLUSH, a restart)
    gets it loaded again instead of failing the cache."""
    bump_exercise(database_url)
    until(lambda: proxy.post(CATALOG, token=tokens["alice"]).headers["x-cache"] == "MISS")
    redis_server.client().script_flush()
    assert proxy.post(CATALOG, token=tokens["alice"]).headers["x-cache"] == "HIT"
    redis_server.client().script_flush()
    bump_exercise(database_url)
    until(lambda: proxy.post(CATALOG, token=tokens["alice"]).headers["x-cache"] == "MISS")
    assert proxy.post(CATALOG, token=tokens["alice"]).headers["x-cache"] == "HIT"
    assert proxy.metric("jim_proxy_cache_errors_total", operation="lookup") == 0


def test_miss_then_hit_then_bypass(proxy: ProxyServer, tokens, database_url) -> None:
    bump_exercise(database_url)
    until(lambda: proxy.post(CATALOG, token=tokens["alice"]).headers["x-cache"] == "MISS")
    first = proxy.post(CATALOG, token=tokens["alice"])
    assert first.headers["x-cache"] == "HIT"
    second = proxy.post(CATALOG, token=tokens["alice"], headers={"Cache-Control": "no-cache"})
    assert second.headers["x-cache"] == "BYPASS"
    assert first.json() == second.json()
    assert proxy.post(CATALOG, token=tokens["alice"], headers={"X-Cache-Bypass": "1"}).headers["x-cache"] == "BYPASS"


def test_mutations_and_errors_are_never_cached(proxy, tokens, prefix) -> None:
    response = proxy.post(INSERT, {"title": prefix + "m"}, token=tokens["alice"])
    assert response.headers["x-cache"] == "BYPASS"
    broken = "query Broken { workoutCollection { edges { node { noSuchField } } } }"
    for _ in range(2):
        answer = proxy.post(broken, token=tokens["alice"])
        assert "errors" in answer.json()
        assert answer.headers["x-cache"] != "HIT"


def test_users_never_receive_each_others_results(proxy, tokens, prefix) -> None:
    proxy.post(INSERT, {"title": prefix + "alice-private"}, token=tokens["alice"])
    alice = proxy.post(WORKOUTS, token=tokens["alice"])
    assert prefix + "alice-private" in titles(alice)
    bob = proxy.post(WORKOUTS, token=tokens["bob"])
    assert bob.headers["x-cache"] == "MISS"
    assert prefix + "alice-private" not in titles(bob)
    assert proxy.post(WORKOUTS, token=tokens["bob"]).headers["x-cache"] == "HIT"
    assert prefix + "alice-private" in titles(proxy.post(WORKOUTS, token=tokens["alice"]))


def test_coach_view_never_leaks_to_bob(proxy, tokens, prefix) -> None:
    shared = ("mutation($t: String!) { insertIntoWorkoutCollection(objects: [{title: $t, visibility: coach}]) "
              "{ records { id } } }")
    proxy.post(shared, {"t": prefix + "for-coach"}, token=tokens["alice"])
    carol = proxy.post(WORKOUTS, token=tokens["carol"])
    assert prefix + "for-coach" in titles(carol)
    for _ in range(2):
        assert prefix + "for-coach" not in titles(proxy.post(WORKOUTS, token=tokens["bob"]))


def test_anonymous_results_are_shared(proxy: ProxyServer, database_url) -> None:
    bump_exercise(database_url)
    until(lambda: proxy.post(CATALOG).headers["x-cache"] == "MISS")
    assert proxy.post(CATALOG).headers["x-cache"] == "HIT"


def test_read_your_writes_through_the_proxy(proxy, tokens, prefix) -> None:
    proxy.post(WORKOUTS, token=tokens["alice"])
    assert proxy.post(WORKOUTS, token=tokens["alice"]).headers["x-cache"] == "HIT"
    proxy.post(INSERT, {"title": prefix + "ryw"}, token=tokens["alice"])
    after = proxy.post(WORKOUTS, token=tokens["alice"])  # at once: no waiting allowed
    assert after.headers["x-cache"] == "MISS"
    assert prefix + "ryw" in titles(after)


def test_a_write_in_psql_shows_within_one_second(proxy, tokens, prefix, database_url) -> None:
    proxy.post(INSERT, {"title": prefix + "dba"}, token=tokens["alice"])
    proxy.post(WORKOUTS, token=tokens["alice"])
    assert proxy.post(WORKOUTS, token=tokens["alice"]).headers["x-cache"] == "HIT"
    with psycopg.connect(database_url) as conn:  # as the DBA (the database owner)
        conn.execute("update app.workout set title = %s where title = %s", (prefix + "dba-renamed", prefix + "dba"))
    took = until(lambda: prefix + "dba-renamed" in titles(proxy.post(WORKOUTS, token=tokens["alice"])))
    assert took < 1.0


def test_a_worker_write_shows_within_one_second(proxy, tokens, database_url) -> None:
    proxy.post(RECORDS, token=tokens["alice"])
    assert proxy.post(RECORDS, token=tokens["alice"]).headers["x-cache"] == "HIT"
    worker_url = database_url.replace("jim:jim@", "worker:worker@", 1)
    metric_value = 10_000 + uuid.uuid4().int % 1000
    with psycopg.connect(worker_url) as conn:  # the worker's own login role, as its tasks use
        exercise = conn.execute("select id from app.exercise where owner_id is null order by id limit 1").fetchone()[0]
        conn.execute(
            "insert into app.personal_record (member_id, exercise_id, metric, value, achieved_at)"
            " values (%s, %s, 'calories', %s, now())"
            " on conflict (member_id, exercise_id, metric) do update set value = excluded.value",
            (ALICE_ID, exercise, metric_value),
        )
    try:
        def visible() -> bool:
            edges = proxy.post(RECORDS, token=tokens["alice"]).json()["data"]["personalRecordCollection"]["edges"]
            return any(float(e["node"]["value"]) == metric_value for e in edges)
        assert until(visible) < 1.0
    finally:
        with psycopg.connect(database_url) as conn:
            conn.execute("delete from app.personal_record where member_id = %s and metric = 'calories'", (ALICE_ID,))


def test_rolled_back_writes_do_not_invalidate(proxy, tokens, database_url) -> None:
    proxy.post(CATALOG, token=tokens["bob"])
    assert proxy.post(CATALOG, token=tokens["bob"]).headers["x-cache"] == "HIT"
    with psycopg.connect(database_url) as conn:
        conn.execute("update app.exercise set name = name where owner_id is null")
        conn.rollback()
    time.sleep(0.3)
    assert proxy.post(CATALOG, token=tokens["bob"]).headers["x-cache"] == "HIT"


def test_identical_concurrent_misses_compute_once(database_url, keycloak, redis_server, tokens) -> None:
    with running_proxy(database_url, REDIS_URL=redis_server.url, PROXY_WORKERS="2",
                       RATE_LIMIT_REQUESTS="0", DB_POOL_MAX_SIZE="12") as server:
        server.post(CATALOG, token=tokens["carol"])  # warm: operation tables known
        bump_exercise(database_url)
        until(lambda: server.post(CATALOG, token=tokens["carol"], headers={"X-Cache-Bypass": "1"}) is not None)
        time.sleep(0.3)  # the listener bumped the version
        release = threading.Event()

        def hold_lock() -> None:
            with psycopg.connect(database_url) as conn:
                conn.execute("lock table app.exercise in access exclusive mode")
                release.wait(10)

        holder = threading.Thread(target=hold_lock)
        holder.start()
        time.sleep(0.3)
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            futures = [pool.submit(server.post, CATALOG, token=tokens["carol"]) for _ in range(8)]
            time.sleep(0.8)  # every request is in: one computes (blocked on the lock), 7 wait
            release.set()
            responses = [f.result() for f in futures]
        holder.join()
    assert all(r.status_code == 200 for r in responses)
    assert len({r.text for r in responses}) == 1
    states = sorted(r.headers["x-cache"] for r in responses)
    assert states.count("MISS") == 1, states
    assert states.count("HIT") == 7, states


def test_ttls_bound_entries(database_url, keycloak, tokens) -> None:
    with running_redis() as redis_server, running_proxy(
        database_url, REDIS_URL=redis_server.url, CACHE_TTL_SECONDS="30",
        CACHE_TTL_BY_OPERATION="Catalog=1,Workouts=0", RATE_LIMIT_REQUESTS="0",
    ) as server:
        client = redis_server.client()
        bump_exercise(database_url)
        time.sleep(0.3)
        assert server.post(CATALOG, token=tokens["alice"]).headers["x-cache"] == "MISS"
        entries = list(client.scan_iter(match="jim:c:*"))
        assert len(entries) == 1 and 0 < client.pttl(entries[0]) <= 1000
        assert server.post(CATALOG, token=tokens["alice"]).headers["x-cache"] == "HIT"
        until(lambda: client.exists(entries[0]) == 0, seconds=3)
        assert server.post(CATALOG, token=tokens["alice"]).headers["x-cache"] == "MISS"
        # TTL 0: never cached
        assert server.post(WORKOUTS, token=tokens["alice"]).headers["x-cache"] == "BYPASS"
        # no per-operation TTL: the default bounds the entry
        before = set(client.scan_iter(match="jim:c:*"))
        server.post("{ exerciseCollection(first: 1) { edges { node { id } } } }", token=tokens["alice"])
        added = set(client.scan_iter(match="jim:c:*")) - before
        assert len(added) == 1 and 0 < client.ttl(added.pop()) <= 30
