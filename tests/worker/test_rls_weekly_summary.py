"""app.weekly_summary under RLS: the worker (and admin) write; the member and their
accepted coaches read; anon sees nothing."""

from __future__ import annotations

import pytest

from tests.sql.rls import (
    acting,
    assert_allowed,
    assert_denied,
    assert_seen_by_member_and_accepted_coach,
    ids,
    rowcount,
)
from tests.support import ADMIN, ALICE, ALICE_ID, ANON, BOB, BOB_ID, CAROL, CAROL_ID, WORKER, act_as

WEEK = "2026-01-05"  # a Monday
INSERT = ("insert into app.weekly_summary (member_id, week_start, workouts, entries, volume_kg)"
          " values (%s, %s, %s, 3, 1000)")


@pytest.fixture
def summaries(db):
    """A summary each for alice and bob, written by the worker (rolled back after the test)."""
    with db.transaction():
        act_as(db, WORKER)
        db.execute(INSERT, (ALICE_ID, WEEK, 2))
        db.execute(INSERT, (BOB_ID, WEEK, 4))
        db.execute("reset role")


def members_seen(db) -> set:
    return {str(x) for x in ids(db, "select member_id from app.weekly_summary where week_start = %s", (WEEK,))}


def test_members_and_accepted_coaches_read_summaries(db, summaries):
    assert_seen_by_member_and_accepted_coach(db, members_seen)


def test_anon_reads_nothing(db, summaries):
    with acting(db, ANON):
        assert_denied(db, "select * from app.weekly_summary")
        assert_denied(db, INSERT, (ALICE_ID, "2026-01-12", 1))


def test_members_and_coaches_cannot_write_summaries(db, summaries):
    for actor in (ALICE, BOB, CAROL):
        with acting(db, actor):
            assert_denied(db, INSERT, (actor.claims["sub"], "2026-01-12", 1))
            assert_denied(db, "update app.weekly_summary set workouts = 99")
            assert_denied(db, "delete from app.weekly_summary")


def test_worker_and_admin_write_summaries(db, summaries):
    with acting(db, WORKER):
        assert rowcount(db, "update app.weekly_summary set workouts = workouts + 1 where week_start = %s",
                        (WEEK,)) >= 2
        assert rowcount(db, INSERT, (CAROL_ID, "2026-01-12", 1)) == 1
    with acting(db, ADMIN):
        assert rowcount(db, "delete from app.weekly_summary where member_id = %s and week_start = %s",
                        (BOB_ID, WEEK)) == 1
        assert rowcount(db, INSERT, (CAROL_ID, "2026-01-19", 1)) == 1


def test_week_start_must_be_a_monday(db):
    with acting(db, WORKER):
        assert_denied(db, INSERT, (ALICE_ID, "2026-01-06", 1), sqlstate="23514")


def test_the_worker_recomputes_a_week_from_the_data(db):
    """refresh_weekly_summary as the worker: totals from alice's workouts that week."""
    week = db.execute("select app_private.week_start(max(started_at)) from app.workout"
                      " where owner_id = %s", (ALICE_ID,)).fetchone()[0]
    expected = db.execute(
        "select count(distinct w.id), count(e.id) from app.workout w left join app.workout_entry e"
        " on e.workout_id = w.id where w.owner_id = %s and app_private.week_start(w.started_at) = %s",
        (ALICE_ID, week)).fetchone()
    with acting(db, WORKER):
        db.execute("select app_private.refresh_weekly_summary(%s, %s)", (ALICE_ID, week))
        row = assert_allowed(db, "select workouts, entries from app.weekly_summary"
                                 " where member_id = %s and week_start = %s", (ALICE_ID, week))
    assert row == [expected]
