"""Starting a workout and logging entries through graphql.resolve: the member's flow, read
back, and what is refused (other people's workouts, bad metrics, anon)."""

from __future__ import annotations

import psycopg

from tests.engine.support import data, error, resolve
from tests.support import ALICE, ALICE_ID, ANON, BOB, act_as

START = """mutation Start($title: String!, $visibility: String, $tags: [String]) {
  startWorkout(title: $title, visibility: $visibility, tags: $tags) { id ownerId title visibility tags endedAt owner { username } } }"""
LOG = """mutation Log($w: BigInt!, $e: BigInt!, $m: JSON) {
  logEntry(workoutId: $w, exerciseId: $e, metrics: $m) { id position metrics exercise { name } workout { title } } }"""
READ = """query Read($w: BigInt!) { workoutByPk(id: $w) { title
  workoutEntryCollection(orderBy: [{position: AscNullsLast}]) { edges { node { position metrics exercise { name } } } } } }"""


def exercise_id(db: psycopg.Connection, name: str) -> str:
    return str(db.execute("select id from app.exercise where name = %s and owner_id is null", (name,)).fetchone()[0])


def test_start_log_and_read_back(db: psycopg.Connection):
    act_as(db, ALICE)
    started = data(db, START, {"title": "Evening lift", "visibility": "coach", "tags": ["pm"]})["startWorkout"]
    assert started["ownerId"] == ALICE_ID and started["owner"] == {"username": "alice"}
    assert (started["title"], started["visibility"], started["tags"], started["endedAt"]) == (
        "Evening lift", "coach", ["pm"], None)
    squat = exercise_id(db, "Back Squat")
    first = data(db, LOG, {"w": started["id"], "e": squat, "m": '{"reps": 5, "weight_kg": 100}'})["logEntry"]
    second = data(db, LOG, {"w": started["id"], "e": squat, "m": '{"reps": 5, "weight_kg": 102.5, "rpe": 8}'})["logEntry"]
    assert (first["position"], second["position"]) == (0, 1)
    assert first["exercise"] == {"name": "Back Squat"} and first["workout"] == {"title": "Evening lift"}
    read = data(db, READ, {"w": started["id"]})["workoutByPk"]
    assert [e["node"]["position"] for e in read["workoutEntryCollection"]["edges"]] == [0, 1]
    assert read["workoutEntryCollection"]["edges"][1]["node"]["metrics"] == '{"rpe": 8, "reps": 5, "weight_kg": 102.5}'


def test_defaults_make_a_private_workout(db: psycopg.Connection):
    act_as(db, ALICE)
    started = data(db, START, {"title": "Quick one"})["startWorkout"]
    assert (started["visibility"], started["tags"]) == ("private", [])


def test_cannot_log_into_someone_elses_workout(db: psycopg.Connection):
    act_as(db, ALICE)
    workout = data(db, START, {"title": "Alice only"})["startWorkout"]["id"]
    act_as(db, BOB)
    message = error(db, LOG, {"w": workout, "e": exercise_id(db, "Back Squat"), "m": '{"reps": 1}'})
    assert message == 'new row violates row-level security policy for table "workout_entry"'


def test_metrics_must_fit_the_exercise(db: psycopg.Connection):
    act_as(db, ALICE)
    workout = data(db, START, {"title": "Checks"})["startWorkout"]["id"]
    squat = exercise_id(db, "Back Squat")
    assert error(db, LOG, {"w": workout, "e": squat, "m": '{"distance_m": 5}'}) == (
        'metric "distance_m" does not apply to exercise "Back Squat" (allowed: reps, weight_kg, rpe)')
    assert error(db, LOG, {"w": workout, "e": squat, "m": '{"reps": -1}'}) == (
        'metric "reps" must not be negative, got -1')


def test_a_failed_log_leaves_no_entry(db: psycopg.Connection):
    act_as(db, ALICE)
    workout = data(db, START, {"title": "Atomic"})["startWorkout"]["id"]
    resolve(db, LOG, {"w": workout, "e": exercise_id(db, "Back Squat"), "m": '{"distance_m": 5}'})
    assert data(db, READ, {"w": workout})["workoutByPk"]["workoutEntryCollection"]["edges"] == []


def test_invalid_visibility_is_refused_by_the_database(db: psycopg.Connection):
    act_as(db, ALICE)
    assert error(db, START, {"title": "x", "visibility": "everyone"}) == (
        'invalid input value for enum workout_visibility: "everyone"')


def test_anon_cannot_start_or_log(db: psycopg.Connection):
    act_as(db, ANON)
    assert error(db, START, {"title": "x"}) == "Unknown type Mutation"
    assert error(db, LOG, {"w": "1", "e": "1"}) == "Unknown type Mutation"
