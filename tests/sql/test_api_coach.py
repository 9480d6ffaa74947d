"""A coach's view of an athlete's week (app.athlete_week) through graphql.resolve: what an
accepted coach, a coach with a pending request, another member and anon each get."""

from __future__ import annotations

import psycopg
import pytest

from tests.engine.support import data, error
from tests.support import ALICE, ALICE_ID, ANON, BOB, BOB_ID, CAROL, Actor, act_as

WEEK = """query Week($athlete: UUID!, $start: Date) {
  athleteWeek(athleteId: $athlete, weekStart: $start, first: 50) {
    edges { node { ownerId title visibility startedAt
      workoutEntryCollection(first: 50) { edges { node { metrics exercise { name } } } } } } } }"""


def visible_this_week(db: psycopg.Connection, athlete: str) -> list[tuple[str, str]]:
    """The database's own answer for the current role: the athlete's workouts this week."""
    rows = db.execute(
        "select title, visibility::text from app.workout where owner_id = %s "
        "and started_at >= date_trunc('week', now()) and started_at < date_trunc('week', now()) + interval '7 days' "
        "order by id",
        (athlete,),
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


def week(db: psycopg.Connection, athlete: str, start: str | None = None) -> list[dict]:
    return [e["node"] for e in data(db, WEEK, {"athlete": athlete, "start": start})["athleteWeek"]["edges"]]


@pytest.mark.parametrize(("actor", "athlete", "allowed"), [
    (CAROL, ALICE_ID, {"coach", "public"}),  # accepted coach
    (CAROL, BOB_ID, {"public"}),  # pending request: nothing more than any member
    (BOB, ALICE_ID, {"public"}),  # another member
    (ALICE, ALICE_ID, {"private", "coach", "public"}),  # the athlete herself
], ids=["coach-accepted", "coach-pending", "other-member", "self"])
def test_week_is_what_row_level_security_allows(db: psycopg.Connection, actor: Actor, athlete: str, allowed: set):
    act_as(db, actor)
    got = week(db, athlete)
    assert [(w["title"], w["visibility"]) for w in got] == visible_this_week(db, athlete)
    assert {w["visibility"] for w in got} <= allowed
    assert all(w["ownerId"] == athlete for w in got)


def test_accepted_coach_sees_the_coach_shared_workouts_and_their_entries(db: psycopg.Connection):
    act_as(db, ALICE)
    shared = db.execute(
        "select count(*) from app.workout where owner_id = %s and visibility = 'coach' "
        "and started_at >= date_trunc('week', now())", (ALICE_ID,)).fetchone()[0]
    act_as(db, CAROL)
    got = week(db, ALICE_ID)
    assert len([w for w in got if w["visibility"] == "coach"]) == shared
    assert all(w["workoutEntryCollection"]["edges"] for w in got)


def test_an_earlier_week(db: psycopg.Connection):
    act_as(db, CAROL)
    start = db.execute("select (date_trunc('week', now()) - interval '7 days')::date::text").fetchone()[0]
    got = week(db, ALICE_ID, start)
    assert got and all(start <= w["startedAt"][:10] for w in got)


def test_anon_cannot_ask(db: psycopg.Connection):
    act_as(db, ANON)
    assert error(db, WEEK, {"athlete": ALICE_ID}) == 'Unknown field "athleteWeek" on type Query'


def test_coach_cannot_write_to_an_athletes_workout(db: psycopg.Connection):
    act_as(db, CAROL)
    assert week(db, ALICE_ID)  # visible ...
    result = data(db, "mutation($a: UUID!) { updateWorkoutCollection(set: {title: \"coached\"}, "
                      "filter: {ownerId: {eq: $a}}, atMost: 100) { affectedCount } }", {"a": ALICE_ID})
    assert result == {"updateWorkoutCollection": {"affectedCount": 0}}  # ... but not writable
    assert db.execute("select count(*) from app.workout where owner_id = %s and title = 'coached'",
                      (ALICE_ID,)).fetchone()[0] == 0
