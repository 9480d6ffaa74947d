"""app.workout_entry under RLS: readable exactly when its workout is; writable only inside
one's own workouts."""

from __future__ import annotations

from tests.sql.rls import acting, assert_allowed, assert_denied, ids, rowcount
from tests.support import ADMIN, ALICE, ALICE_ID, ANON, BOB, BOB_ID, CAROL, WORKER


def entries_of_workouts(db, workout_ids: set) -> set:
    return ids(db, "select id from app.workout_entry where workout_id = any(%s)", (list(workout_ids),))


def one_workout(db, owner: str, visibility: str) -> int:
    return db.execute("select min(id) from app.workout where owner_id = %s and visibility = %s",
                      (owner, visibility)).fetchone()[0]


def squat_id(db) -> int:
    return db.execute("select id from app.exercise where name = 'Back Squat' and owner_id is null").fetchone()[0]


def test_entries_follow_their_workouts_visibility(db):
    for actor in (ALICE, BOB, CAROL, ADMIN, WORKER):
        with acting(db, actor):
            visible_workouts = ids(db, "select id from app.workout")
            seen = ids(db, "select id from app.workout_entry")
        assert seen == entries_of_workouts(db, visible_workouts), actor.name
        assert seen, actor.name


def test_anon_reads_no_entries(db):
    with acting(db, ANON):
        assert_denied(db, "select * from app.workout_entry")


def test_member_logs_entries_in_own_workouts_only(db):
    own = one_workout(db, ALICE_ID, "private")
    bobs_public = one_workout(db, BOB_ID, "public")
    squat = squat_id(db)
    with acting(db, ALICE):
        assert_allowed(db, "insert into app.workout_entry (workout_id, exercise_id, position, metrics) values (%s, %s, 99, '{\"reps\": 5, \"weight_kg\": 80}')",
                       (own, squat))
        assert_denied(db, "insert into app.workout_entry (workout_id, exercise_id, position, metrics) values (%s, %s, 99, '{\"reps\": 5}')",
                      (bobs_public, squat))
        assert rowcount(db, "update app.workout_entry set metrics = '{}' where workout_id = %s", (bobs_public,)) == 0
        assert rowcount(db, "delete from app.workout_entry where workout_id = %s", (bobs_public,)) == 0
        assert rowcount(db, "delete from app.workout_entry where workout_id = %s", (own,)) > 0


def test_coach_cannot_log_into_athletes_workout(db):
    alices_coach = one_workout(db, ALICE_ID, "coach")
    with acting(db, CAROL):
        assert_denied(db, "insert into app.workout_entry (workout_id, exercise_id, position) values (%s, %s, 99)",
                      (alices_coach, squat_id(db)))
        assert rowcount(db, "update app.workout_entry set position = position + 100 where workout_id = %s", (alices_coach,)) == 0


def test_worker_and_admin(db):
    own = one_workout(db, BOB_ID, "private")
    with acting(db, WORKER):
        assert_denied(db, "delete from app.workout_entry")
    with acting(db, ADMIN):
        assert rowcount(db, "update app.workout_entry set performed_at = performed_at where workout_id = %s", (own,)) > 0
