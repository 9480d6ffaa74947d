"""The relay's batches: claim, publish, confirm, mark, with two batches in flight.

Each batch lives in its own transaction on its own connection: the claim (FOR UPDATE
SKIP LOCKED) holds its rows until the broker confirmed every message and the rows are
marked delivered in the same transaction. While the broker works on one batch, the next
is claimed on the other connection (SKIP LOCKED passes over the rows the first holds), so
neither the database nor the broker waits for the other. A batch that fails is rolled
back: its rows stay undelivered and are published again (at-least-once).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
from pika.spec import BasicProperties

from worker import outbox as sql
from worker.amqp import AmqpLink
from worker.confirms import Outgoing, PendingPublish
from worker.db import Database, is_connection_error
from worker.errors import BrokerUnavailable, PublishFailed
from worker.settings import WorkerSettings

log = logging.getLogger("jim.worker.relay")

IN_FLIGHT = 2


@dataclass
class _Batch:
    db: Database
    events: list[sql.PendingEvent]
    publish: PendingPublish


class BatchPipeline:
    def __init__(self, settings: WorkerSettings, link: AmqpLink, stop: threading.Event,
                 on_delivered: Callable[[int], None], on_failure: Callable[[], None]) -> None:
        self._settings = settings
        self._link = link
        self._stop = stop
        self._exchange = f"{settings.worker_amqp_prefix}.events"
        self._on_delivered = on_delivered
        self._on_failure = on_failure
        # synchronous_commit off: a mark lost in a server crash only means the batch is
        # published again (at-least-once allows it), and it saves a WAL flush per batch.
        self._dbs = [Database(settings.conninfo, settings.backoff, stop, name=f"relay-{n}",
                              session={"synchronous_commit": "off"})
                     for n in range(IN_FLIGHT)]

    def pump(self) -> int:
        """Deliver batches until the backlog is empty, a batch fails or a stop is asked;
        returns how many events were delivered. A stop lets the batches in flight finish."""
        size = self._settings.worker_relay_batch_size
        in_flight: deque[_Batch] = deque()
        free = list(self._dbs)
        delivered, more = 0, True
        try:
            while True:
                while more and free and not self._stop.is_set():
                    db = free.pop()
                    batch = self._start(db)
                    if batch is None:
                        free.append(db)
                        more = False
                    else:
                        in_flight.append(batch)
                        more = len(batch.events) == size
                if not in_flight:
                    return delivered
                batch = in_flight.popleft()
                delivered += self._finish(batch)
                free.append(batch.db)
        except (BrokerUnavailable, PublishFailed) as exc:
            self._on_failure()
            log.warning("batch released unconfirmed: %s", exc)
        except psycopg.Error as exc:
            if not is_connection_error(exc, None):
                raise
        finally:
            for batch in in_flight:  # not marked: roll back, they are published again
                _end(batch.db)
        return delivered

    def close(self) -> None:
        for db in self._dbs:
            db.close()

    def _start(self, db: Database) -> _Batch | None:
        conn = db.get()
        try:
            events = sql.claim(conn, self._settings.worker_relay_batch_size)
            if not events:
                conn.rollback()
                return None
        except psycopg.Error as exc:
            _end(db, exc)
            raise
        return _Batch(db, events, self._link.start_publish([self._message(e) for e in events]))

    def _finish(self, batch: _Batch) -> int:
        try:
            batch.publish.wait(self._settings.worker_publish_timeout)
            conn = batch.db.get()
            sql.mark_delivered(conn, [e.id for e in batch.events])
            conn.commit()
        except (BrokerUnavailable, PublishFailed, psycopg.Error) as exc:
            _end(batch.db, exc)
            raise
        self._on_delivered(len(batch.events))
        return len(batch.events)

    def _message(self, event: sql.PendingEvent) -> Outgoing:
        return Outgoing(
            exchange=self._exchange,
            routing_key=event.routing_key,
            body=event.body.encode(),
            properties=BasicProperties(
                message_id=str(event.id),
                priority=event.priority,
                delivery_mode=2,  # persistent
                content_type="application/json",
                type=event.routing_key,
                timestamp=int(time.time()),
            ),
        )


def _end(db: Database, exc: BaseException | None = None) -> None:
    """Roll a batch's transaction back; forget the connection if it is the one that broke."""
    conn = db.get_if_open()
    if conn is None:
        return
    if exc is not None and is_connection_error(exc, conn):
        db.lost(exc)
        return
    try:
        conn.rollback()
    except psycopg.Error as err:
        db.lost(err)
