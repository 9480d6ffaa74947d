"""app.me() and Member.recentWorkouts through graphql.resolve, per role."""

from __future__ import annotations

import psycopg
import pytest

from tests.engine.support import data, error
from tests.support import ADMIN, ALICE, ALICE_ID, ANON, BOB, BOB_ID, CAROL, Actor, act_as

ME = """{ me { id username displayName profile
  recentWorkouts(first: 3, orderBy: [{startedAt: DescNullsLast}]) { edges { node { ownerId startedAt title } } }
  workoutCollection(first: 100) { totalCount: __typename edges { node { ownerId } } } } }"""


@pytest.mark.parametrize(("actor", "member_id", "username"), [(ALICE, ALICE_ID, "alice"), (BOB, BOB_ID, "bob")],
                         ids=["alice", "bob"])
def test_me_is_the_signed_in_member_with_their_recent_workouts(
    db: psycopg.Connection, actor: Actor, member_id: str, username: str
):
    act_as(db, actor)
    me = data(db, ME)["me"]
    assert (me["id"], me["username"]) == (member_id, username)
    recent = [e["node"] for e in me["recentWorkouts"]["edges"]]
    assert recent and all(w["ownerId"] == member_id for w in recent)
    assert [w["startedAt"] for w in recent] == sorted((w["startedAt"] for w in recent), reverse=True)
    assert {e["node"]["ownerId"] for e in me["workoutCollection"]["edges"]} == {member_id}


def test_recent_workouts_are_the_last_thirty_days(db: psycopg.Connection):
    act_as(db, ALICE)
    expected = db.execute(
        "select count(*) from app.workout where owner_id = %s and started_at >= now() - interval '30 days'",
        (ALICE_ID,),
    ).fetchone()[0]
    me = data(db, "{ me { recentWorkouts(first: 100) { edges { node { id } } } } }")["me"]
    assert len(me["recentWorkouts"]["edges"]) == expected


def test_me_is_null_for_a_role_without_a_member(db: psycopg.Connection):
    act_as(db, ADMIN)  # admin's id has a member row: me resolves; then drop the claims
    assert data(db, "{ me { username } }")["me"]["username"] == "admin"
    db.execute("select set_config('request.jwt.claims', '', true)")
    assert data(db, "{ me { username } }") == {"me": None}


def test_anon_has_no_me(db: psycopg.Connection):
    act_as(db, ANON)
    assert error(db, "{ me { id } }") == 'Unknown field "me" on type Query'


def test_carol_sees_only_herself_as_me(db: psycopg.Connection):
    act_as(db, CAROL)
    assert data(db, "{ me { username } }") == {"me": {"username": "carol"}}
