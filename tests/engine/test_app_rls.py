"""The sample ``app`` schema through graphql.resolve as alice, bob, carol and anon: exactly
what row-level security and grants allow, checked against the database's own answer for
the same role."""

from __future__ import annotations

import json

import psycopg
import pytest

from tests.support import ALICE, ALICE_ID, ANON, BOB, BOB_ID, CAROL, CAROL_ID, Actor, act_as

WORKOUTS = """{ workoutCollection(first: 100) { edges { node { id ownerId visibility
  workoutEntryCollection(first: 100) { edges { node { id } } } } } } }"""


def resolve(conn: psycopg.Connection, query: str, variables: dict | None = None) -> dict:
    row = conn.execute("select graphql.resolve(%s, %s::jsonb)", (query, json.dumps(variables or {}))).fetchone()
    assert row is not None
    return row[0]


def sql_ids(conn: psycopg.Connection, query: str) -> set:
    return {r[0] for r in conn.execute(query).fetchall()}  # type: ignore[arg-type]  # fixed test SQL


def test_demo_query_works(db: psycopg.Connection):
    act_as(db, ANON)
    result = resolve(db, "{ exerciseCollection(first: 3) { edges { node { name } } } }")
    assert len(result["data"]["exerciseCollection"]["edges"]) == 3


def test_anon_sees_only_the_public_catalog(db: psycopg.Connection):
    act_as(db, ANON)
    result = resolve(db, "{ exerciseCollection(first: 100) { edges { node { name ownerId } } } }")
    owners = {e["node"]["ownerId"] for e in result["data"]["exerciseCollection"]["edges"]}
    assert owners == {None}
    denied = resolve(db, "{ workoutCollection { edges { node { id } } } }")
    assert denied == {"data": None, "errors": [{"message": 'Unknown field "workoutCollection" on type Query'}]}
    assert "errors" in resolve(db, "mutation { insertIntoWorkoutCollection(objects: [{title: \"x\"}]) { affectedCount } }")


@pytest.mark.parametrize("actor", [ALICE, BOB, CAROL], ids=lambda a: a.name)
def test_workouts_are_exactly_what_rls_allows(db: psycopg.Connection, actor: Actor):
    act_as(db, actor)
    data = resolve(db, WORKOUTS)["data"]["workoutCollection"]["edges"]
    seen = {int(e["node"]["id"]) for e in data}
    assert seen == sql_ids(db, "select id from app.workout")
    entries = {int(x["node"]["id"]) for e in data for x in e["node"]["workoutEntryCollection"]["edges"]}
    assert entries == sql_ids(db, "select id from app.workout_entry")
    me = actor.claims["sub"]
    for e in data:
        node = e["node"]
        assert node["ownerId"] == me or node["visibility"] in ("PUBLIC", "public") or (
            actor is CAROL and node["ownerId"] == ALICE_ID and node["visibility"] == "coach")


def test_coach_sees_an_accepted_athletes_coach_workouts_only(db: psycopg.Connection):
    act_as(db, CAROL)
    data = resolve(db, WORKOUTS)["data"]["workoutCollection"]["edges"]
    coach_shared = {(e["node"]["ownerId"]) for e in data if e["node"]["visibility"] == "coach"}
    assert ALICE_ID in coach_shared and BOB_ID not in coach_shared


@pytest.mark.parametrize(("actor", "expected"), [
    (ALICE, {ALICE_ID, CAROL_ID}), (BOB, {BOB_ID, CAROL_ID}), (CAROL, {ALICE_ID, BOB_ID, CAROL_ID}),
], ids=["alice", "bob", "carol"])
def test_members_visible_through_links(db: psycopg.Connection, actor: Actor, expected: set):
    act_as(db, actor)
    result = resolve(db, "{ memberCollection { edges { node { id username } } } }")
    assert {e["node"]["id"] for e in result["data"]["memberCollection"]["edges"]} == expected


def test_update_of_anothers_workout_changes_nothing(db: psycopg.Connection):
    act_as(db, ALICE)
    bobs = db.execute("select min(id) from app.workout where owner_id = %s", (BOB_ID,)).fetchone()[0]
    if bobs is None:  # bob's workouts are private to him: alice cannot even see one
        bobs = 0
    result = resolve(db, 'mutation($id: BigInt!) { updateWorkoutCollection(set: {title: "mine"}, filter: {id: {eq: $id}}) { affectedCount } }',
                     {"id": str(bobs)})
    assert result == {"data": {"updateWorkoutCollection": {"affectedCount": 0}}}


def test_rls_denies_a_write_with_its_message(db: psycopg.Connection):
    act_as(db, ALICE)  # not a coach: the coaching insert policy refuses
    result = resolve(db, 'mutation($a: UUID!) { insertIntoCoachingCollection(objects: [{athleteId: $a}]) { affectedCount } }',
                     {"a": BOB_ID})
    assert result == {"data": None, "errors": [
        {"message": 'new row violates row-level security policy for table "coaching"'}]}


def test_member_writes_own_workout(db: psycopg.Connection):
    act_as(db, ALICE)
    result = resolve(db, 'mutation { insertIntoWorkoutCollection(objects: [{title: "Test session", tags: ["t"]}]) '
                         "{ affectedCount records { title ownerId tags visibility owner { username } } } }")
    assert result == {"data": {"insertIntoWorkoutCollection": {"affectedCount": 1, "records": [
        {"title": "Test session", "ownerId": ALICE_ID, "tags": ["t"], "visibility": "private",
         "owner": {"username": "alice"}}]}}}


def test_operation_tables_include_what_policies_read(db: psycopg.Connection):
    act_as(db, ALICE)
    row = db.execute("select graphql.operation_tables(%s)", (WORKOUTS,)).fetchone()
    # workout and workout_entry policies look at app.coaching: a new coaching link changes
    # what this query returns, so a response cache must treat coaching as read too
    assert row[0] == {"kind": "query", "reads": ["coaching", "workout", "workout_entry"], "writes": []}
