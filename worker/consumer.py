"""`jim worker consume`: run the tasks.

Everything arrives on one priority queue (<prefix>.tasks) and is handled on this thread,
while the AMQP link's own thread keeps the connection's heartbeats going however long a
handler takes:

- an *event* (from the relay, no task header) is fanned out: one task message per task
  that wants it, with the task's priority, published with confirms before the event is
  acked (so a crash in between duplicates work but never loses it);
- a *task message* runs its handler in one transaction that first records
  (task, message_id) in events.processed: a redelivered message finds the record and is
  acked without running again;
- a handler failure sends a copy to the next retry tier (a queue whose TTL dead-letters it
  back here after the delay) with the attempt number and the error in its headers; after
  WORKER_MAX_ATTEMPTS attempts the copy goes to the dead-letter queue instead.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from datetime import UTC, datetime

import psycopg
from pika.spec import BasicProperties

from worker import messages as hdr
from worker import metrics
from worker.amqp import AmqpLink, Delivery
from worker.confirms import Outgoing
from worker.db import Database, is_connection_error
from worker.errors import BadMessage, BrokerUnavailable, DatabaseUnavailable, PublishFailed
from worker.messages import Event, error_text
from worker.settings import WorkerSettings
from worker.tasks import Registry, Task
from worker.topology import Topology

log = logging.getLogger("jim.worker.consumer")

RECORD = """
insert into events.processed (task, message_id) values (%s, %s)
on conflict do nothing returning 1
"""
PRUNE_PROCESSED = """
delete from events.processed where ctid in (
  select ctid from events.processed
  where processed_at < clock_timestamp() - make_interval(secs => %s) limit 5000)
"""
PRUNE_INTERVAL = 3600.0


class Stopping(Exception):
    """Raised inside a task's database retries when a shutdown was requested."""


class Consumer:
    def __init__(self, settings: WorkerSettings, registry: Registry, topology: Topology,
                 link: AmqpLink, stop: threading.Event,
                 stats: metrics.ConsumerMetrics | None = None) -> None:
        self._settings = settings
        self._registry = registry
        self._topology = topology
        self._link = link
        self._stop = stop
        self._db = Database(settings.conninfo, settings.backoff, stop, name="consumer",
                            autocommit=True)
        self._next_prune = time.monotonic() + 60.0
        self.metrics = stats or metrics.ConsumerMetrics()

    def run(self) -> None:
        """Handle deliveries until stopped; the current message is finished first.
        Raises BrokerUnavailable / DatabaseUnavailable when a server stays unreachable."""
        try:
            self._db.get()  # a wrong DATABASE_URL fails now, not at the first message
            while not self._stop.is_set():
                self._ensure_broker()
                try:
                    delivery = self._link.deliveries.get(timeout=0.5)
                except queue.Empty:
                    self._housekeeping()
                    continue
                if _is_event(delivery):
                    self._fan_out_available(delivery)
                else:
                    self.handle(delivery)
        finally:
            self._db.close()

    def handle(self, delivery: Delivery) -> None:
        if delivery.generation != self._link.generation:
            return  # came on a lost connection: the broker redelivers it
        if _is_event(delivery):
            self._fan_out([delivery])
        else:
            self._run_task(delivery, str(delivery.headers[hdr.TASK]))

    # -- events -> task messages ---------------------------------------------------------------

    def _fan_out_available(self, first: Delivery) -> None:
        """Fan out this event and the events already waiting behind it (up to the
        prefetch) with one confirm round trip; a task message met on the way runs next."""
        events, held = [first], None
        while len(events) < self._settings.worker_prefetch:
            try:
                delivery = self._link.deliveries.get_nowait()
            except queue.Empty:
                break
            if not _is_event(delivery):
                held = delivery
                break
            events.append(delivery)
        self._fan_out([e for e in events if e.generation == self._link.generation])
        if held is not None:
            self.handle(held)

    def _fan_out(self, events: list[Delivery]) -> None:
        outgoing = [self._task_message(event, task) for event in events
                    for task in self._registry.for_routing_key(event.routing_key)]
        try:
            self._link.publish(outgoing, timeout=self._settings.worker_publish_timeout)
        except (BrokerUnavailable, PublishFailed) as exc:
            log.warning("fan-out of %d event(s) not confirmed (%s); they will be redelivered",
                        len(events), exc)
            for event in events:
                self._link.reject(event, requeue=True)
            return
        for event in events:
            self._link.ack(event)
        self.metrics.fanned_out.inc(len(events))

    def _task_message(self, delivery: Delivery, task: Task) -> Outgoing:
        return Outgoing("", self._topology.tasks_queue, delivery.body, BasicProperties(
            message_id=delivery.message_id,
            priority=task.priority,
            delivery_mode=2,
            content_type="application/json",
            type=delivery.routing_key,
            timestamp=delivery.properties.timestamp,
            headers={hdr.TASK: task.name, hdr.EVENT: delivery.routing_key, hdr.ATTEMPT: 1},
        ))

    # -- task messages ---------------------------------------------------------------------------

    def _run_task(self, delivery: Delivery, name: str) -> None:
        attempt = _attempt(delivery)
        started = time.monotonic()
        try:
            task = self._registry.get(name)
            if not delivery.message_id:
                raise BadMessage("the message has no message_id to de-duplicate on")
            event = Event.from_json(delivery.body)
            outcome = self._execute(task, delivery.message_id, event)
        except (DatabaseUnavailable, Stopping):
            self._link.reject(delivery, requeue=True)
            if self._stop.is_set():
                return
            raise
        except Exception as exc:  # noqa: BLE001 - any handler failure takes the retry path
            log.warning("task %s failed on message %s (attempt %d): %s",
                        name, delivery.message_id, attempt, error_text(exc, 300))
            self._retry_or_bury(delivery, name, attempt, exc)
            return
        self._link.ack(delivery)
        self.metrics.tasks.labels(name, outcome).inc()
        self.metrics.seconds.labels(name).observe(time.monotonic() - started)

    def _execute(self, task: Task, message_id: str, event: Event) -> str:
        """Run the handler and record the message in one transaction; 'done' or
        'duplicate'. A lost connection is retried (bounded); a handler error propagates."""
        for _ in range(self._settings.worker_reconnect_attempts):
            if self._stop.is_set():
                raise Stopping()
            conn = self._db.get()
            try:
                with conn.transaction():
                    if conn.execute(RECORD, (task.name, message_id)).fetchone() is None:
                        return "duplicate"
                    task.handler(conn, event)
                return "done"
            except psycopg.Error as exc:
                if not is_connection_error(exc, conn):
                    raise
                self._db.lost(exc)
                self.metrics.reconnects.labels("postgres").set(self._db.reconnects)
        raise DatabaseUnavailable("PostgreSQL connection kept dropping while running a task")

    def _retry_or_bury(self, delivery: Delivery, name: str, attempt: int, exc: Exception) -> None:
        headers = {**delivery.headers, hdr.TASK: name, hdr.LAST_ERROR: error_text(exc)}
        dead = attempt >= self._settings.worker_max_attempts
        if dead:
            headers[hdr.ATTEMPT] = attempt
            headers[hdr.FAILED_AT] = datetime.now(UTC).isoformat()
            target = self._topology.dead_queue
        else:
            headers[hdr.ATTEMPT] = attempt + 1
            target = self._topology.retry_queue_for(attempt)
        props = BasicProperties(
            message_id=delivery.message_id, priority=delivery.properties.priority,
            delivery_mode=2, content_type=delivery.properties.content_type,
            type=delivery.properties.type, timestamp=delivery.properties.timestamp,
            headers=headers,
        )
        try:
            self._link.publish([Outgoing("", target, delivery.body, props)],
                               timeout=self._settings.worker_publish_timeout)
        except (BrokerUnavailable, PublishFailed) as publish_error:
            log.warning("could not move message %s to %s (%s); it will be redelivered",
                        delivery.message_id, target, publish_error)
            self._link.reject(delivery, requeue=True)
            return
        self._link.ack(delivery)
        if dead:
            self.metrics.tasks.labels(name, "dead").inc()
            self.metrics.dead_lettered.labels(name).inc()
            log.error("task %s gave up on message %s after %d attempts: %s",
                      name, delivery.message_id, attempt, error_text(exc, 300))
        else:
            self.metrics.tasks.labels(name, "retry").inc()
            self.metrics.retries.labels(name).inc()

    # -- plumbing ----------------------------------------------------------------------------------

    def _ensure_broker(self) -> None:
        while not self._stop.is_set():
            try:
                self._link.wait_ready(0.5)
                self.metrics.reconnects.labels("rabbitmq").set(self._link.reconnects)
                return
            except BrokerUnavailable:
                if self._link.gave_up is not None:
                    raise

    def _housekeeping(self) -> None:
        if time.monotonic() < self._next_prune:
            return
        self._next_prune = time.monotonic() + PRUNE_INTERVAL
        retention = self._settings.worker_processed_retention_days * 86_400
        conn = self._db.get()
        try:
            while conn.execute(PRUNE_PROCESSED, (retention,)).rowcount == 5000:
                pass
        except psycopg.Error as exc:
            if not is_connection_error(exc, conn):
                raise
            self._db.lost(exc)


def _is_event(delivery: Delivery) -> bool:
    """An event from the relay (a task message carries its task's name)."""
    return hdr.TASK not in delivery.headers


def _attempt(delivery: Delivery) -> int:
    try:
        return max(1, int(delivery.headers.get(hdr.ATTEMPT, 1)))
    except (TypeError, ValueError):
        return 1
