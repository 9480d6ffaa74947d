"""The relay loses nothing: every committed event reaches RabbitMQ when the relay is
SIGKILLed in the middle of a batch, when RabbitMQ restarts and when PostgreSQL restarts.
Real processes, real servers; duplicates are allowed (at-least-once), losses are not."""

from __future__ import annotations

import re
import threading
import time

import psycopg
import pytest

from tests.worker.support import (
    Broker,
    Proc,
    add_workouts,
    outbox_ids,
    restart_postgres,
    restart_rabbitmq,
    undelivered,
    wait_until,
)

pytestmark = pytest.mark.usefixtures("quiet_outbox")


def wait_delivered(conn: psycopg.Connection, ids: list[int], *relays: Proc, timeout: float = 90) -> None:
    """Until every event is marked delivered; on failure, show what the relays logged."""
    try:
        wait_until(lambda: undelivered(conn, ids) == 0, timeout, "every event delivered")
    except AssertionError as exc:
        logs = "\n".join(f"--- {r.name} (alive={r.alive}):\n{r.output()[-6000:]}" for r in relays)
        raise AssertionError(f"{exc}; {undelivered(conn, ids)} of {len(ids)} undelivered\n{logs}") from None


def received_ids(broker: Broker, queue: str) -> list[int]:
    return [int(m.properties.message_id) for m in broker.drain(queue)]


def test_relay_publishes_events_with_routing_key_priority_and_message_id(
        broker, prefix, workers, owner_conn, member):
    capture = broker.capture(prefix)
    workers.start("relay")
    workout_id = add_workouts(owner_conn, member, 1)[0]
    [event_id] = outbox_ids(owner_conn, "workout", [workout_id])
    wait_until(lambda: broker.depth(capture) >= 1, 20, "the event on the capture queue")
    [message] = [m for m in broker.drain(capture) if m.properties.message_id == str(event_id)]
    assert message.routing_key == "app.workout.insert"
    assert message.properties.priority == 3
    assert message.properties.delivery_mode == 2
    assert message.json["key"] == {"id": workout_id}
    assert message.json["data"]["owner_id"] == member
    assert wait_until(lambda: undelivered(owner_conn, [event_id]) == 0, 10, "the event marked delivered")


def test_nothing_lost_when_the_relay_is_killed_mid_batch(broker, prefix, workers, owner_conn, member):
    capture = broker.capture(prefix)
    ids = outbox_ids(owner_conn, "workout", add_workouts(owner_conn, member, 6000))
    relay = workers.start("relay", WORKER_RELAY_BATCH_SIZE=2000)
    # Kill as soon as the first messages of the first batch reach the broker.
    wait_until(lambda: broker.depth(capture) >= 1, 30, "the first published message", interval=0.002)
    relay.popen.kill()
    relay.popen.wait(10)
    published_before_kill = broker.depth(capture)
    marked_before_kill = len(ids) - undelivered(owner_conn, ids)
    # Mid-batch: messages of a batch reached the broker that the database never marked.
    assert published_before_kill > marked_before_kill, (published_before_kill, marked_before_kill)

    second = workers.start("relay", WORKER_RELAY_BATCH_SIZE=2000)
    wait_delivered(owner_conn, ids, second)
    received = received_ids(broker, capture)
    assert set(ids) <= set(received)
    assert len(received) > len(set(received))  # the killed batch was published again


def produce(database_url: str, member: str, stop: threading.Event, committed: list[int]) -> None:
    """Commit a few workouts every 20 ms, riding out server restarts; records what committed."""
    conn: psycopg.Connection | None = None
    while not stop.is_set():
        try:
            if conn is None or conn.closed:
                conn = psycopg.connect(database_url, autocommit=True, connect_timeout=3)
            committed.extend(add_workouts(conn, member, 10, "produced"))
        except psycopg.OperationalError:
            conn = None
            time.sleep(0.2)
        time.sleep(0.02)
    if conn is not None:
        conn.close()


def run_with_producer(database_url: str, member: str, fault, seconds: float = 6.0) -> list[int]:
    stop, committed = threading.Event(), []
    producer = threading.Thread(target=produce, args=(database_url, member, stop, committed))
    producer.start()
    try:
        time.sleep(1.5)
        fault()
        time.sleep(seconds)
    finally:
        stop.set()
        producer.join(30)
    return committed


def test_nothing_lost_when_rabbitmq_restarts(broker, prefix, workers, database_url, owner_conn, member):
    capture = broker.capture(prefix)
    relay = workers.start("relay")
    committed = run_with_producer(database_url, member, restart_rabbitmq)
    ids = outbox_ids(owner_conn, "workout", committed)
    assert len(ids) == len(committed) > 100
    wait_delivered(owner_conn, ids, relay)
    assert relay.alive, relay.output()
    assert "reconnecting" in relay.output()
    broker.reset()
    assert set(ids) <= set(received_ids(broker, capture))


def test_nothing_lost_when_postgres_restarts(broker, prefix, workers, database_url, member):
    capture = broker.capture(prefix)
    relay = workers.start("relay")
    committed = run_with_producer(database_url, member, restart_postgres)
    with psycopg.connect(database_url, autocommit=True) as conn:
        ids = outbox_ids(conn, "workout", committed)
        assert len(ids) == len(committed) > 100
        wait_delivered(conn, ids, relay)
    assert relay.alive, relay.output()
    assert "PostgreSQL connection lost" in relay.output() or "cannot connect" in relay.output()
    assert set(ids) <= set(received_ids(broker, capture))


def test_sigterm_finishes_the_batch_and_exits_cleanly(broker, prefix, workers, owner_conn, member):
    capture = broker.capture(prefix)
    ids = outbox_ids(owner_conn, "workout", add_workouts(owner_conn, member, 3000))
    relay = workers.start("relay", WORKER_RELAY_BATCH_SIZE=1000)
    wait_until(lambda: broker.depth(capture) >= 1, 30, "the first published message", interval=0.002)
    assert relay.terminate() == 0, relay.output()
    # Whatever it published before stopping, it also marked: nothing is left half-done.
    assert broker.depth(capture) == len(ids) - undelivered(owner_conn, ids)
    assert "relay stopped" in relay.output()


def test_two_relays_share_the_backlog_without_duplicates(broker, prefix, workers, owner_conn, member):
    capture = broker.capture(prefix)
    relays = [workers.start("relay", WORKER_RELAY_BATCH_SIZE=200) for _ in range(2)]
    for relay in relays:
        relay.wait_for("connected to RabbitMQ")
    time.sleep(1.0)  # both listening: the commit's NOTIFY wakes both
    ids = outbox_ids(owner_conn, "workout", add_workouts(owner_conn, member, 6000))
    wait_delivered(owner_conn, ids, *relays)
    counts = []
    for relay in relays:
        assert relay.terminate() == 0, relay.output()
        counts.append(int(re.search(r"relay stopped after publishing (\d+)", relay.output()).group(1)))
    assert all(count > 0 for count in counts), counts  # both took batches (SKIP LOCKED)
    received = received_ids(broker, capture)
    assert sorted(received) == sorted(set(received)) and set(ids) <= set(received)
