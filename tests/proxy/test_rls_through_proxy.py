"""alice, bob, carol, admin and anon each get exactly what RLS allows through /graphql,
reads and writes. The proxy adds no rule of its own: for every actor, the rows a
collection returns through the proxy are exactly the rows the same role and claims see in
SQL (tests/support.py act_as), and the denied writes are denied by the database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest

from tests.proxy.servers import ProxyServer
from tests.support import ADMIN, ALICE, ALICE_ID, ANON, BOB, BOB_ID, CAROL, Actor, act_as

TITLE_PREFIX = "proxy-test-"


def sql_ids(database_url: str, actor: Actor, table: str) -> set[str]:
    with psycopg.connect(database_url) as conn:
        act_as(conn, actor)
        rows = conn.execute(f"select id::text from app.{table}").fetchall()  # noqa: S608 - fixed names
        conn.rollback()
    return {r[0] for r in rows}


def graphql_ids(proxy: ProxyServer, token: str | None, collection: str) -> set[str]:
    """Every id of a collection, following the cursor pagination."""
    ids: set[str] = set()
    after = None
    for _ in range(100):
        response = proxy.post(
            f"query($after: Cursor) {{ {collection}(first: 30, after: $after) "
            "{ edges { node { id } } pageInfo { hasNextPage endCursor } } }",
            {"after": after}, token=token,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        page = body["data"][collection]
        ids |= {str(edge["node"]["id"]) for edge in page["edges"]}
        if not page["pageInfo"]["hasNextPage"]:
            return ids
        after = page["pageInfo"]["endCursor"]
    raise AssertionError("pagination did not end")


ACTORS = {"alice": ALICE, "bob": BOB, "carol": CAROL, "admin": ADMIN}


@pytest.mark.parametrize("user", list(ACTORS))
@pytest.mark.parametrize(("table", "collection"), [
    ("member", "memberCollection"), ("workout", "workoutCollection"), ("exercise", "exerciseCollection"),
])
def test_reads_match_rls_exactly(proxy, tokens, database_url, user, table, collection) -> None:
    expected = sql_ids(database_url, ACTORS[user], table)
    assert expected, f"{user} should see some {table} rows"
    assert graphql_ids(proxy, tokens[user], collection) == expected


def test_anon_reads_the_public_catalog_only(proxy, database_url) -> None:
    expected = sql_ids(database_url, ANON, "exercise")
    assert expected == graphql_ids(proxy, None, "exerciseCollection")
    all_exercises = sql_ids(database_url, ADMIN, "exercise")
    assert expected < all_exercises  # members' private exercises are hidden


def test_anon_cannot_read_members(proxy) -> None:
    body = proxy.post("{ memberCollection { edges { node { id } } } }").json()
    assert "errors" in body and not (body.get("data") or {}).get("memberCollection")


def test_private_workouts_stay_private(proxy, tokens, database_url) -> None:
    bobs = sql_ids(database_url, BOB, "workout") - sql_ids(database_url, ALICE, "workout")
    assert bobs, "bob has workouts alice may not see"
    assert not bobs & graphql_ids(proxy, tokens["alice"], "workoutCollection")


def test_coach_sees_shared_workouts_of_accepted_athletes_only(proxy, tokens, database_url) -> None:
    carol_sees = graphql_ids(proxy, tokens["carol"], "workoutCollection")
    bob_sees = graphql_ids(proxy, tokens["bob"], "workoutCollection")
    alice_shared = {i for i in sql_ids(database_url, ALICE, "workout")} - sql_ids(database_url, BOB, "workout")
    assert alice_shared & carol_sees, "carol (accepted coach) sees alice's coach-visible workouts"
    assert not alice_shared & bob_sees


@pytest.fixture
def cleanup(database_url: str) -> Iterator[str]:
    prefix = f"{TITLE_PREFIX}{uuid.uuid4().hex[:8]}-"
    yield prefix
    with psycopg.connect(database_url) as conn:
        conn.execute("delete from app.workout where title like %s", (prefix + "%",))


INSERT = ("mutation($title: String!) { insertIntoWorkoutCollection(objects: [{title: $title}]) "
          "{ affectedCount records { id ownerId title } } }")
UPDATE = ("mutation($id: BigInt!, $title: String!) { updateWorkoutCollection(set: {title: $title}, "
          "filter: {id: {eq: $id}}, atMost: 1) { affectedCount } }")


def owner_and_title(database_url: str, workout_id: str) -> tuple[str, str] | None:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("select owner_id::text, title from app.workout where id = %s",
                           (int(workout_id),)).fetchone()
    return (row[0], row[1]) if row else None


def test_writes_are_decided_by_the_database(proxy, tokens, database_url, cleanup) -> None:
    created = proxy.post(INSERT, {"title": cleanup + "alice"}, token=tokens["alice"]).json()
    assert "errors" not in created, created
    record = created["data"]["insertIntoWorkoutCollection"]["records"][0]
    assert record["ownerId"] == ALICE_ID
    workout_id = str(record["id"])

    # bob (another member) and carol (alice's coach) cannot change it: 0 rows affected.
    for user in ("bob", "carol"):
        body = proxy.post(UPDATE, {"id": workout_id, "title": cleanup + user}, token=tokens[user]).json()
        assert body.get("data", {}) is None or body["data"]["updateWorkoutCollection"]["affectedCount"] == 0, body
    assert owner_and_title(database_url, workout_id) == (ALICE_ID, cleanup + "alice")

    # the owner and admin can.
    body = proxy.post(UPDATE, {"id": workout_id, "title": cleanup + "alice2"}, token=tokens["alice"]).json()
    assert body["data"]["updateWorkoutCollection"]["affectedCount"] == 1, body
    body = proxy.post(UPDATE, {"id": workout_id, "title": cleanup + "admin"}, token=tokens["admin"]).json()
    assert body["data"]["updateWorkoutCollection"]["affectedCount"] == 1, body
    assert owner_and_title(database_url, workout_id) == (ALICE_ID, cleanup + "admin")


def test_anon_cannot_write(proxy, database_url, cleanup) -> None:
    body = proxy.post(INSERT, {"title": cleanup + "anon"}).json()
    assert "errors" in body
    with psycopg.connect(database_url) as conn:
        assert conn.execute("select count(*) from app.workout where title like %s",
                            (cleanup + "%",)).fetchone()[0] == 0


def test_a_member_cannot_insert_for_someone_else(proxy, tokens, database_url, cleanup) -> None:
    # ownerId is not insertable by members (column grant); the row would default to bob anyway.
    body = proxy.post(
        "mutation($t: String!, $o: UUID!) { insertIntoWorkoutCollection(objects: [{title: $t, ownerId: $o}]) "
        "{ affectedCount } }", {"t": cleanup + "forged", "o": ALICE_ID}, token=tokens["bob"],
    ).json()
    assert "errors" in body
    with psycopg.connect(database_url) as conn:
        owners = conn.execute("select owner_id::text from app.workout where title like %s",
                              (cleanup + "%",)).fetchall()
    assert all(o[0] == BOB_ID for o in owners)
