"""app.workout under RLS: owner, accepted coaches (coach/public visibility), everyone
signed in (public), admin; never anon."""

from __future__ import annotations

from tests.sql.rls import acting, assert_allowed, assert_denied, ids, rowcount
from tests.support import ADMIN, ALICE, ALICE_ID, ANON, BOB, BOB_ID, CAROL, CAROL_ID, WORKER


def workouts(db, owner: str, *visibilities: str) -> set:
    return ids(db, "select id from app.workout where owner_id = %s and visibility::text = any(%s)",
               (owner, list(visibilities)))


ALL = ("private", "coach", "public")


def test_demo_data_has_every_visibility(db):
    for owner in (ALICE_ID, BOB_ID, CAROL_ID):
        for visibility in ALL:
            assert workouts(db, owner, visibility), (owner, visibility)


def test_anon_reads_no_workouts(db):
    with acting(db, ANON):
        assert_denied(db, "select * from app.workout")
        assert_denied(db, "insert into app.workout (title) values ('x')")


def test_member_reads_own_and_public_workouts(db):
    expected = workouts(db, ALICE_ID, *ALL) | workouts(db, BOB_ID, "public") | workouts(db, CAROL_ID, "public")
    with acting(db, ALICE):
        assert ids(db, "select id from app.workout") == expected
        # explicitly: none of bob's private or coach-only workouts
        assert not ids(db, "select id from app.workout where owner_id = %s and visibility <> 'public'", (BOB_ID,))


def test_accepted_coach_reads_athletes_coach_workouts_not_private_ones(db):
    expected = (workouts(db, CAROL_ID, *ALL) | workouts(db, ALICE_ID, "coach", "public")
                | workouts(db, BOB_ID, "public"))
    with acting(db, CAROL):
        seen = ids(db, "select id from app.workout")
        assert seen == expected
        assert not seen & workouts(db, ALICE_ID, "private")
        # bob has not accepted carol yet: his coach-only workouts stay hidden
        assert not seen & workouts(db, BOB_ID, "coach")


def test_member_writes_only_own_workouts(db):
    bobs_public = min(workouts(db, BOB_ID, "public"))
    with acting(db, ALICE):
        rows = assert_allowed(db, "insert into app.workout (title, tags) values ('Morning run', '{run}') returning owner_id::text")
        assert rows == [(ALICE_ID,)]
        assert_denied(db, "insert into app.workout (title, owner_id) values ('x', %s)", (BOB_ID,))
        # bob's public workout is readable, but not writable
        assert rowcount(db, "update app.workout set title = 'mine now' where id = %s", (bobs_public,)) == 0
        assert rowcount(db, "delete from app.workout where id = %s", (bobs_public,)) == 0
        assert rowcount(db, "update app.workout set notes = 'ok' where owner_id = %s", (ALICE_ID,)) > 0


def test_coach_cannot_write_athletes_workouts(db):
    alices_coach = min(workouts(db, ALICE_ID, "coach"))
    with acting(db, CAROL):
        assert rowcount(db, "update app.workout set title = 'x' where id = %s", (alices_coach,)) == 0
        assert rowcount(db, "delete from app.workout where id = %s", (alices_coach,)) == 0


def test_workout_checks_reject_bad_values(db):
    with acting(db, BOB):
        assert_denied(db, "insert into app.workout (title, data) values ('x', '\"text\"')", sqlstate="23514")
        assert_denied(db, "insert into app.workout (title, started_at, ended_at) values ('x', now(), now() - interval '1 hour')",
                      sqlstate="23514")
        assert_denied(db, "insert into app.workout (title) values ('')", sqlstate="23514")


def test_admin_reads_and_writes_all_workouts(db):
    everything = ids(db, "select id from app.workout")
    with acting(db, ADMIN):
        assert ids(db, "select id from app.workout") == everything
        assert rowcount(db, "update app.workout set notes = 'reviewed' where owner_id = %s", (BOB_ID,)) > 0
        assert_allowed(db, "insert into app.workout (owner_id, title) values (%s, 'Assigned')", (BOB_ID,))


def test_worker_reads_all_workouts_writes_none(db):
    everything = ids(db, "select id from app.workout")
    with acting(db, WORKER):
        assert ids(db, "select id from app.workout") == everything
        assert_denied(db, "update app.workout set notes = 'x'")
