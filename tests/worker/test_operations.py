"""Running the worker: heartbeats survive a slow handler, the lag is reported while the
broker is away, delivered events are pruned, and SIGTERM stops the consumer cleanly."""

from __future__ import annotations

import time

import httpx
import psycopg
import pytest

from tests.worker.support import (
    add_workouts,
    free_port,
    metric,
    outbox_ids,
    publish_event,
    undelivered,
    wait_until,
)

pytestmark = pytest.mark.usefixtures("quiet_outbox")


def test_heartbeats_flow_while_a_slow_handler_runs(broker, prefix, workers, database_url, owner_conn, member):
    port = free_port()
    consumer = workers.start("consume", WORKER_HEARTBEAT_SECONDS=2, WORKER_CONSUMER_METRICS_PORT=port)
    consumer.wait_for("connected to RabbitMQ")
    [event_id] = outbox_ids(owner_conn, "workout", add_workouts(owner_conn, member, 1))
    with psycopg.connect(database_url) as blocker:
        # The weekly summary task waits on this lock for 4 heartbeat timeouts.
        blocker.execute("lock table app.weekly_summary in exclusive mode")
        publish_event(broker, prefix, owner_conn, event_id)
        time.sleep(8)
        assert owner_conn.execute("select count(*) from events.processed where message_id = %s",
                                  (str(event_id),)).fetchone()[0] == 0  # still blocked
    wait_until(lambda: metric(port, "jim_tasks_total", task="weekly_summary", outcome="done") == 1,
               20, "the slow task done")
    assert metric(port, "jim_worker_reconnects", target="rabbitmq") == 0
    assert "connection closed" not in consumer.output()
    assert metric(port, "jim_tasks_total", task="weekly_summary", outcome="duplicate") == 0
    assert consumer.terminate() == 0
    assert "consumer stopped" in consumer.output()


def test_lag_is_reported_while_the_broker_is_unreachable(workers, owner_conn, member):
    port = free_port()
    [event_id] = outbox_ids(owner_conn, "workout", add_workouts(owner_conn, member, 1))
    owner_conn.execute("update events.outbox set created_at = now() - interval '100 seconds' where id = %s",
                       (event_id,))
    try:
        relay = workers.start("relay", RABBITMQ_URL="amqp://guest:guest@127.0.0.1:1/%2F",
                              WORKER_RELAY_METRICS_PORT=port)
        wait_until(lambda: _answers(port) and metric(port, "jim_outbox_lag_seconds") >= 100, 20,
                   "the lag gauge")
        assert relay.alive and "reconnecting" in relay.output()
        assert undelivered(owner_conn, [event_id]) == 1
        assert relay.terminate() == 0
    finally:
        owner_conn.execute("update events.outbox set delivered_at = now() where id = %s", (event_id,))


def _answers(port: int) -> bool:
    try:
        metric(port, "jim_outbox_lag_seconds")
        return True
    except httpx.HTTPError:
        return False


def test_delivered_events_are_pruned_after_their_retention(broker, prefix, workers, owner_conn, member):
    capture = broker.capture(prefix)
    port = free_port()
    ids = outbox_ids(owner_conn, "workout", add_workouts(owner_conn, member, 50))
    workers.start("relay", WORKER_OUTBOX_RETENTION_SECONDS=1, WORKER_PRUNE_INTERVAL_SECONDS=0.5,
                  WORKER_RELAY_METRICS_PORT=port)
    wait_until(lambda: owner_conn.execute("select count(*) from events.outbox where id = any(%s)",
                                          (ids,)).fetchone()[0] == 0, 30, "the delivered events pruned")
    assert metric(port, "jim_outbox_pruned_total") >= 50
    assert metric(port, "jim_outbox_published_total") >= 50
    assert {int(m.properties.message_id) for m in broker.drain(capture)} >= set(ids)
