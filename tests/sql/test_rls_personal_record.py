"""app.personal_record under RLS: the worker writes; the member and accepted coaches read."""

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
from tests.support import ADMIN, ALICE, ALICE_ID, ANON, BOB_ID, CAROL, CAROL_ID, WORKER

INSERT = ("insert into app.personal_record (member_id, exercise_id, metric, value, achieved_at)"
          " values (%s, (select id from app.exercise where name = 'Deadlift' and owner_id is null), 'weight_kg', %s, now())")


@pytest.fixture
def records(db):
    """One record each for alice and bob, written by the worker (kept until the test ends)."""
    from tests.support import act_as
    with db.transaction():
        act_as(db, WORKER)
        db.execute(INSERT, (ALICE_ID, 120))
        db.execute(INSERT, (BOB_ID, 180))
        db.execute("reset role")
    return {ALICE_ID: 120, BOB_ID: 180}


def members_seen(db) -> set:
    return {str(x) for x in ids(db, "select member_id from app.personal_record")}


def test_members_and_accepted_coaches_read_records(db, records):
    assert_seen_by_member_and_accepted_coach(db, members_seen)


def test_anon_reads_nothing(db, records):
    with acting(db, ANON):
        assert_denied(db, "select * from app.personal_record")


def test_members_cannot_write_records(db, records):
    with acting(db, ALICE):
        assert_denied(db, INSERT, (ALICE_ID, 500))
        assert_denied(db, "update app.personal_record set value = 500")
        assert_denied(db, "delete from app.personal_record")
    with acting(db, CAROL):
        assert_denied(db, "update app.personal_record set value = 1 where member_id = %s", (ALICE_ID,))


def test_worker_and_admin_write_records(db, records):
    with acting(db, WORKER):
        assert rowcount(db, "update app.personal_record set value = value + 1") >= 2
    with acting(db, ADMIN):
        assert rowcount(db, "delete from app.personal_record where member_id = %s", (BOB_ID,)) == 1
        assert_allowed(db, INSERT, (CAROL_ID, 1))
