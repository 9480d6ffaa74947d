"""The outbox in SQL: events.track() attaches a trigger that writes one small event per
row change in the changing transaction, and a NOTIFY that arrives only at commit; the
events schema is the worker's alone."""

from __future__ import annotations

import psycopg
import pytest

from tests.sql.rls import acting, assert_allowed, assert_denied
from tests.support import ADMIN, ALICE, ALICE_ID, ANON, BOB, CAROL, WORKER, act_as

NEW_EVENTS = "select table_name, op, priority, row_key, data, old_data, changed from events.outbox where id > %s order by id"


def last_id(conn: psycopg.Connection) -> int:
    return conn.execute("select coalesce(max(id), 0) from events.outbox").fetchone()[0]


def test_tracked_tables_write_events_naming_row_op_and_changed_columns(db):
    start = last_id(db)
    wid = db.execute("insert into app.workout (owner_id, title) values (%s, 'Intervals') returning id",
                     (ALICE_ID,)).fetchone()[0]
    db.execute("update app.workout set title = 'Intervals' where id = %s", (wid,))  # no change: no event
    db.execute("update app.workout set notes = 'hard', visibility = 'public' where id = %s", (wid,))
    db.execute("update app.workout set started_at = started_at - interval '1 day' where id = %s", (wid,))
    db.execute("delete from app.workout where id = %s", (wid,))
    events = db.execute(NEW_EVENTS, (start,)).fetchall()
    assert [(t, op, p) for t, op, p, *_ in events] == [
        ("workout", "insert", 3), ("workout", "update", 3), ("workout", "update", 3), ("workout", "delete", 3)]
    insert, notes, moved, delete = events
    assert insert[3] == {"id": wid} and insert[4]["owner_id"] == ALICE_ID and insert[6] is None
    assert notes[6] == ["notes", "visibility"] and notes[5] is None  # payload columns unchanged
    assert moved[6] == ["started_at"] and set(moved[5]) == {"started_at"}
    assert moved[5]["started_at"] != moved[4]["started_at"]
    assert delete[3] == {"id": wid} and delete[4]["owner_id"] == ALICE_ID


def test_members_changes_are_captured_though_they_cannot_read_the_outbox(db):
    start = last_id(db)
    act_as(db, ALICE)  # for the rest of the test's (rolled back) transaction
    wid = db.execute("insert into app.workout (title) values ('Mine') returning id").fetchone()[0]
    db.execute("insert into app.workout_entry (workout_id, exercise_id, position, metrics)"
               " values (%s, (select id from app.exercise where name = 'Plank'), 0, '{\"duration_s\": 60}')",
               (wid,))
    assert_denied(db, "select * from events.outbox")
    db.execute("reset role")
    events = db.execute(NEW_EVENTS, (start,)).fetchall()
    assert [(t, op, p) for t, op, p, *_ in events] == [("workout", "insert", 3), ("workout_entry", "insert", 7)]
    assert events[1][4] == {"workout_id": wid, "exercise_id": events[1][4]["exercise_id"]}
    # Small: the event names the row, it does not copy it.
    assert db.execute("select max(pg_column_size(data) + pg_column_size(row_key)) from events.outbox"
                      " where id > %s", (start,)).fetchone()[0] < 200


def test_notify_wakes_listeners_only_at_commit_once_per_transaction(database_url, member):
    with psycopg.connect(database_url, autocommit=True) as listener, psycopg.connect(database_url) as writer:
        listener.execute("listen events_outbox")
        writer.execute("insert into app.workout (owner_id, title) select %s, 'n' from generate_series(1, 5)",
                       (member,))
        assert list(listener.notifies(timeout=0.3)) == []  # not before commit
        writer.commit()
        received = list(listener.notifies(timeout=1.0))
        assert [(n.channel, n.payload) for n in received] == [("events_outbox", "")]
        writer.execute("insert into app.workout (owner_id, title) values (%s, 'gone')", (member,))
        writer.rollback()
        assert list(listener.notifies(timeout=0.3)) == []  # a rolled-back change wakes nobody


@pytest.mark.parametrize(("call", "message"), [
    ("select events.track('app.coaching', array['upsert'])", 'unknown operation "upsert"'),
    ("select events.track('app.coaching', array[]::text[])", "at least one operation"),
    ("select events.track('app.coaching', priority => 10)", "priority must be between 0 and 9"),
    ("select events.track('app.coaching', payload_columns => array['nope'])", 'no column "nope"'),
    ("select events.track('app.no_such_table')", 'relation "app.no_such_table" does not exist'),
])
def test_track_refuses_bad_arguments_clearly(db, call, message):
    with pytest.raises(psycopg.Error) as caught, db.transaction():
        db.execute(call)
    assert message in str(caught.value)


def test_track_is_declarative_and_untrack_detaches(db):
    with db.transaction(force_rollback=True):
        db.execute("select events.track('app.coaching', array['insert', 'delete'], 5, array['status'])")
        db.execute("select events.track('app.coaching', array['delete'], 6)")  # replaces the settings
        assert db.execute("select operations, priority, key_columns, payload_columns from events.tracked"
                          " where table_name = 'coaching'").fetchone() == (["delete"], 6, ["coach_id", "athlete_id"], [])
        start = last_id(db)
        db.execute("update app.coaching set status = 'accepted' where status = 'pending'")
        db.execute("delete from app.coaching where status = 'accepted'")
        events = db.execute(NEW_EVENTS, (start,)).fetchall()
        assert {(t, op, p) for t, op, p, *_ in events} == {("coaching", "delete", 6)}
        assert set(events[0][3]) == {"coach_id", "athlete_id"}
        db.execute("select events.untrack('app.coaching')")
        start = last_id(db)
        db.execute("delete from app.coaching")
        assert db.execute(NEW_EVENTS, (start,)).fetchall() == []


@pytest.mark.parametrize("actor", [ANON, ALICE, BOB, CAROL, ADMIN], ids=lambda a: a.name)
def test_web_roles_get_nothing_of_the_events_schema(db, actor):
    with acting(db, actor):
        for query in ("select * from events.outbox", "select * from events.processed",
                      "select * from events.tracked", "select events.track('app.coaching')",
                      "select app_private.refresh_personal_records(gen_random_uuid(), 1)"):
            assert_denied(db, query)


def test_worker_relays_and_records_but_cannot_forge_events(db):
    with acting(db, WORKER):
        assert_allowed(db, "select id from events.outbox limit 1")
        assert_allowed(db, "update events.outbox set delivered_at = now() where id = -1")
        assert_allowed(db, "insert into events.processed (task, message_id) values ('t', 'm')")
        assert_allowed(db, "select app_private.refresh_weekly_summary(%s, '2026-01-05')", (ALICE_ID,))
        assert_denied(db, "insert into events.outbox (schema_name, table_name, op, priority, row_key)"
                          " values ('app', 'x', 'insert', 1, '{}')")
        assert_denied(db, "update events.outbox set data = '{}' where id = -1")
        assert_denied(db, "select events.track('app.coaching')")
