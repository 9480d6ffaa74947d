"""The database rejects entry metrics that do not fit the exercise, naming the key."""

from __future__ import annotations

import json

import pytest

from tests.sql.rls import acting, assert_allowed, assert_denied
from tests.support import ALICE, ALICE_ID

INSERT = ("insert into app.workout_entry (workout_id, exercise_id, position, metrics)"
          " values ((select min(id) from app.workout where owner_id = %s),"
          " (select id from app.exercise where name = %s and owner_id is null), 500, %s)")


@pytest.mark.parametrize(
    ("exercise", "metrics", "sqlstate", "message"),
    [
        ("Back Squat", {"reps": 5, "distance_m": 100}, "JIM01", 'metric "distance_m" does not apply to exercise "Back Squat"'),
        ("Running", {"weight_kg": 10}, "JIM01", 'metric "weight_kg" does not apply to exercise "Running"'),
        ("Back Squat", {"reps": "five"}, "JIM02", 'metric "reps" must be a number'),
        ("Back Squat", {"weight_kg": None}, "JIM02", 'metric "weight_kg" must be a number'),
        ("Back Squat", {"weight_kg": [100]}, "JIM02", 'metric "weight_kg" must be a number'),
        ("Running", {"distance_m": -5}, "JIM02", 'metric "distance_m" must not be negative'),
        ("Plank", {"duration_s": -0.5}, "JIM02", 'metric "duration_s" must not be negative'),
    ],
)
def test_bad_metrics_are_rejected_with_the_key(db, exercise, metrics, sqlstate, message):
    with acting(db, ALICE):
        error = assert_denied(db, INSERT, (ALICE_ID, exercise, json.dumps(metrics)), sqlstate=sqlstate)
    assert message in str(error)


def test_metrics_must_be_an_object(db):
    with acting(db, ALICE):
        error = assert_denied(db, INSERT, (ALICE_ID, "Back Squat", "[5]"), sqlstate="JIM02")
    assert "metrics must be a JSON object, got array" in str(error)


def test_good_metrics_are_accepted_zero_included(db):
    with acting(db, ALICE):
        assert_allowed(db, INSERT, (ALICE_ID, "Back Squat", json.dumps({"reps": 0, "weight_kg": 102.5, "rpe": 8})))
        assert_allowed(db, INSERT, (ALICE_ID, "Running", json.dumps({"distance_m": 5000, "duration_s": 1500.5})))
        assert_allowed(db, INSERT, (ALICE_ID, "Running", json.dumps({})))


def test_updates_are_checked_too(db):
    with acting(db, ALICE):
        entry = db.execute(
            "select e.id from app.workout_entry e join app.exercise x on x.id = e.exercise_id"
            " where x.name = 'Back Squat' and x.owner_id is null limit 1").fetchone()[0]
        error = assert_denied(db, "update app.workout_entry set metrics = metrics || '{\"avg_hr\": 150}' where id = %s",
                              (entry,), sqlstate="JIM01")
        assert '"avg_hr"' in str(error)


def test_an_invisible_exercise_cannot_be_logged(db):
    bobs_private = db.execute("select id from app.exercise where name = 'Hill Sprints'").fetchone()[0]
    with acting(db, ALICE):
        assert_denied(
            db,
            "insert into app.workout_entry (workout_id, exercise_id, position) values"
            " ((select min(id) from app.workout where owner_id = %s), %s, 500)",
            (ALICE_ID, bobs_private), sqlstate="JIM03")
