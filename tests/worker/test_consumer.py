"""The task consumer against the real RabbitMQ and PostgreSQL: duplicates are harmless, a
poison message lands in the dead-letter queue after N tries with its error (and the
dead-letters command lists, shows and replays it), and priorities hold under a backlog."""

from __future__ import annotations

import json
import re

import psycopg
import pytest

from tests.worker.support import free_port, metric, outbox_ids, publish_event, wait_until

pytestmark = pytest.mark.usefixtures("quiet_outbox")

LOG_SET = """
insert into app.workout_entry (workout_id, exercise_id, position, metrics)
values (%s, (select id from app.exercise where name = 'Back Squat' and owner_id is null),
        (select count(*) from app.workout_entry where workout_id = %s), %s)
returning id
"""
SQUAT_RECORD = """
select value from app.personal_record
where member_id = %s and metric = 'weight_kg'
  and exercise_id = (select id from app.exercise where name = 'Back Squat' and owner_id is null)
"""
READY = "connected to RabbitMQ"


def log_set(conn: psycopg.Connection, member: str, weight: float, workout_id: int | None = None) -> tuple[int, int]:
    """Log a set of back squats; returns (workout id, outbox id of the entry's event)."""
    if workout_id is None:
        workout_id = conn.execute("insert into app.workout (owner_id, title) values (%s, 'squats') returning id",
                                  (member,)).fetchone()[0]
    entry_id = conn.execute(
        LOG_SET, (workout_id, workout_id, json.dumps({"reps": 5, "weight_kg": weight}))).fetchone()[0]
    [event_id] = outbox_ids(conn, "workout_entry", [entry_id])
    return workout_id, event_id


def squat_record(conn: psycopg.Connection, member: str) -> float | None:
    row = conn.execute(SQUAT_RECORD, (member,)).fetchone()
    return float(row[0]) if row else None


def processed(conn: psycopg.Connection, message_id: int) -> dict[str, int]:
    rows = conn.execute("select task, count(*) from events.processed where message_id = %s group by task",
                        (str(message_id),)).fetchall()
    return {task: count for task, count in rows}


def test_duplicates_are_harmless(broker, prefix, workers, owner_conn, member):
    port = free_port()
    workers.start("consume", WORKER_CONSUMER_METRICS_PORT=port).wait_for(READY)
    _, first = log_set(owner_conn, member, 100)
    for _ in range(2):  # the same event twice, as a relay retry would send it
        publish_event(broker, prefix, owner_conn, first)
    both = {"personal_records": 1, "weekly_summary": 1}
    wait_until(lambda: metric(port, "jim_tasks_total", task="weekly_summary", outcome="duplicate") == 1,
               30, "the duplicate skipped")
    assert processed(owner_conn, first) == both
    assert metric(port, "jim_tasks_total", task="personal_records", outcome="done") == 1
    assert metric(port, "jim_tasks_total", task="personal_records", outcome="duplicate") == 1
    assert squat_record(owner_conn, member) == 100

    workout_id, better = log_set(owner_conn, member, 120)
    publish_event(broker, prefix, owner_conn, better)
    wait_until(lambda: squat_record(owner_conn, member) == 120, 30, "the better record")

    # A late copy of the first event is skipped; even with its processed record gone, the
    # handler recomputes from the data and keeps the better record.
    publish_event(broker, prefix, owner_conn, first)
    wait_until(lambda: metric(port, "jim_tasks_total", task="personal_records", outcome="duplicate") == 2,
               30, "the late duplicate skipped")
    owner_conn.execute("delete from events.processed where message_id = %s", (str(first),))
    publish_event(broker, prefix, owner_conn, first)
    wait_until(lambda: processed(owner_conn, first) == both, 30, "the event processed again")
    assert squat_record(owner_conn, member) == 120
    summary = owner_conn.execute("select workouts, entries, volume_kg from app.weekly_summary"
                                 " where member_id = %s", (member,)).fetchall()
    assert summary == [(2, 2, 5 * 100 + 5 * 120)]
    assert broker.depth(f"{prefix}.tasks.dead") == 0


def test_poison_message_is_dead_lettered_with_its_error(broker, prefix, workers, owner_conn):
    port = free_port()
    consumer = workers.start("consume", WORKER_CONSUMER_METRICS_PORT=port)
    consumer.wait_for(READY)
    dead, tasks = f"{prefix}.tasks.dead", f"{prefix}.tasks"
    # Not an event at all, and an event whose row id the database rejects.
    broker.publish(tasks, b'{"id": 1, "schema": "app"}', message_id="poison-1",
                   headers={"x-jim-task": "personal_records"})
    bad_entry = {"id": 2, "schema": "app", "table": "workout_entry", "op": "insert", "key": {"id": 1},
                 "data": {"workout_id": "not-a-number", "exercise_id": 1}, "old": None,
                 "changed": None, "at": "2026-01-01T00:00:00+00:00"}
    broker.publish(tasks, json.dumps(bad_entry).encode(), message_id="poison-2",
                   headers={"x-jim-task": "weekly_summary"})
    wait_until(lambda: broker.depth(dead) == 2, 30, "both messages dead-lettered")
    wait_until(lambda: metric(port, "jim_dead_letter_depth") == 2, 15, "the dead-letter depth gauge")
    assert metric(port, "jim_task_retries_total", task="personal_records") == 2  # 3 tries
    assert metric(port, "jim_task_dead_lettered_total", task="weekly_summary") == 1

    listing = workers.run("dead-letters", "list", DATABASE_URL="")  # RabbitMQ only: no database needed
    assert listing.returncode == 0, listing.stderr
    assert re.search(r"poison-1\s+personal_records\s+3 .*BadMessage: event field 'table' is missing",
                     listing.stdout), listing.stdout
    assert re.search(r"poison-2\s+weekly_summary\s+3 .*InvalidTextRepresentation", listing.stdout), listing.stdout

    shown = workers.run("dead-letters", "show", "poison-2")
    assert shown.returncode == 0, shown.stderr
    letter = json.loads(shown.stdout)
    assert letter["attempts"] == 3 and letter["task"] == "weekly_summary"
    assert "not-a-number" in letter["error"] and letter["body"] == bad_entry
    assert workers.run("dead-letters", "show", "no-such-id").returncode == 1
    assert broker.depth(dead) == 2  # looking removes nothing

    replay = workers.run("dead-letters", "replay", "poison-1")
    assert replay.returncode == 0 and "replayed 1" in replay.stdout, replay.stderr
    # Replayed from attempt 1: three more tries, then back in the dead letters.
    wait_until(lambda: metric(port, "jim_task_retries_total", task="personal_records") == 4,
               30, "the replayed message retried")
    wait_until(lambda: broker.depth(dead) == 2 and broker.depth(tasks) == 0, 30, "dead again")
    assert consumer.alive


def test_priorities_hold_under_a_backlog(broker, prefix, workers, owner_conn, member):
    workout_id, _ = log_set(owner_conn, member, 50)
    for weight in range(51, 71):
        log_set(owner_conn, member, weight, workout_id)
    entry_events = outbox_ids(owner_conn, "workout_entry", [r[0] for r in owner_conn.execute(
        "select id from app.workout_entry where workout_id = %s", (workout_id,))])
    assert len(entry_events) == 21
    # The backlog: every event waits in the tasks queue before any consumer runs.
    drained = workers.run("relay", "--drain")
    assert drained.returncode == 0, drained.stderr
    assert broker.depth(f"{prefix}.tasks") == 22  # 21 entries and the workout

    consumer = workers.start("consume", WORKER_PREFETCH=1)
    ids = [str(i) for i in entry_events]
    wait_until(lambda: owner_conn.execute(
        "select count(*) from events.processed where message_id = any(%s)", (ids,)).fetchone()[0] == 42,
        60, "every entry processed by both tasks")
    order = owner_conn.execute(
        "select task from events.processed where message_id = any(%s) order by processed_at", (ids,)).fetchall()
    tasks_in_order = [t for (t,) in order]
    # Personal records (priority 8) ran before any weekly summary (priority 2), though
    # each event's two task messages were published together.
    assert tasks_in_order == ["personal_records"] * 21 + ["weekly_summary"] * 21
    assert squat_record(owner_conn, member) == 70
    assert consumer.alive


def test_dead_letter_commands_fail_clearly_and_keep_the_letters(broker, prefix, workers):
    dead = f"{prefix}.tasks.dead"
    broker.channel.queue_declare(dead, durable=True)
    broker.publish(dead, b"{}", message_id="kept-1", headers={"x-jim-task": "personal_records"})
    # No tasks queue yet (no worker ever ran with this prefix): the replay refuses.
    replay = workers.run("dead-letters", "replay", "--all")
    assert replay.returncode == 1
    assert "the tasks queue does not exist yet" in replay.stderr and "Traceback" not in replay.stderr
    assert broker.depth(dead) == 1
    unreachable = workers.run("dead-letters", "list", RABBITMQ_URL="amqp://guest:guest@127.0.0.1:1/%2F")
    assert unreachable.returncode == 1
    assert "RabbitMQ" in unreachable.stderr and "Traceback" not in unreachable.stderr
    listing = workers.run("dead-letters", "list", "--json")
    assert [json.loads(line)["message_id"] for line in listing.stdout.splitlines()] == ["kept-1"]
