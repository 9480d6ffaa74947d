"""`jim worker relay`: committed outbox rows -> RabbitMQ, at least once.

A batch: in one transaction, claim undelivered events (FOR UPDATE SKIP LOCKED, so several
relays share the work), publish them all persistently to the events exchange, wait until
the broker confirmed every one, mark them delivered, commit (worker/batches.py, which
keeps two batches in flight). If anything fails before the commit (the broker or the
database goes away, the process is killed), the transaction rolls back, the rows stay
undelivered and are published again later: a message may arrive twice, never zero times.

Between rounds the relay waits for a NOTIFY (sent at commit by the capture trigger) or
the sweep interval, whichever comes first; the sweep also catches wake-ups sent while it
was disconnected. On SIGTERM it finishes (or releases) the current batch and exits.
"""

from __future__ import annotations

import logging
import threading
import time

import psycopg

from worker import metrics
from worker import outbox as sql
from worker.amqp import AmqpLink
from worker.batches import BatchPipeline
from worker.db import Database, is_connection_error
from worker.errors import BrokerUnavailable
from worker.settings import WorkerSettings

log = logging.getLogger("jim.worker.relay")

LAG_INTERVAL = 1.0  # seconds between updates of the lag gauge
WAIT_SLICE = 0.5  # longest uninterrupted wait, so SIGTERM is noticed quickly


class Relay:
    def __init__(self, settings: WorkerSettings, link: AmqpLink, stop: threading.Event,
                 stats: metrics.RelayMetrics | None = None) -> None:
        self._settings = settings
        self._link = link
        self._stop = stop
        self._db = Database(settings.conninfo, settings.backoff, stop, name="relay", autocommit=True)
        self._listener = Database(settings.conninfo, settings.backoff, stop, name="relay-listen",
                                  autocommit=True)
        self._listening = False
        self.metrics = stats or metrics.RelayMetrics()
        self._next_lag = 0.0
        self._next_prune = time.monotonic() + settings.worker_prune_interval_seconds
        self.published = 0
        self._batches = BatchPipeline(settings, link, stop, self._delivered, self.metrics.failures.inc)

    def run(self) -> None:
        """Relay until stopped. Raises DatabaseUnavailable / BrokerUnavailable when a
        server stays unreachable beyond the bounded reconnect attempts."""
        try:
            while not self._stop.is_set():
                self._ensure_broker()
                self._ensure_listening()
                count = self._batches.pump()
                self._housekeeping()
                if count < self._settings.worker_relay_batch_size:
                    self._wait_for_wakeup(self._settings.worker_relay_sweep_seconds)
        finally:
            self._db.close()
            self._listener.close()
            self._batches.close()

    def drain(self) -> int:
        """Publish until no undelivered event is left; returns how many (for --drain)."""
        self._ensure_broker()
        total = 0
        try:
            while not self._stop.is_set():
                count = self._batches.pump()
                total += count
                if count == 0:
                    break
        finally:
            self._batches.close()
        return total

    def _delivered(self, count: int) -> None:
        self.published += count
        self.metrics.count_published(count)

    # -- waiting -----------------------------------------------------------------------------

    def _ensure_broker(self) -> None:
        """Wait for the broker link; raises its BrokerUnavailable once it gave up."""
        while not self._stop.is_set():
            try:
                self._link.wait_ready(WAIT_SLICE)
                self.metrics.reconnects.labels("rabbitmq").set(self._link.reconnects)
                return
            except BrokerUnavailable:
                if self._link.gave_up is not None:
                    raise
                self._housekeeping()  # the lag matters most while the broker is away

    def _ensure_listening(self) -> None:
        if self._listening:
            return
        conn = self._listener.get()
        try:
            conn.execute(f"listen {sql.CHANNEL}")
            self._listening = True
        except psycopg.Error as exc:
            if not is_connection_error(exc, conn):
                raise
            self._listener.lost(exc)

    def _wait_for_wakeup(self, seconds: float) -> None:
        """Until a NOTIFY arrives, `seconds` pass, or the relay is asked to stop."""
        deadline = time.monotonic() + seconds
        while not self._stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._listening:
                return
            conn = self._listener.get()
            try:
                for _ in conn.notifies(timeout=min(WAIT_SLICE, remaining), stop_after=1):
                    return
            except psycopg.Error as exc:
                self._listening = False
                self._listener.lost(exc)
                return
            self._housekeeping()

    # -- housekeeping ------------------------------------------------------------------------

    def _housekeeping(self) -> None:
        now = time.monotonic()
        if now < self._next_lag and now < self._next_prune:
            return
        conn = self._db.get()
        try:
            if now >= self._next_lag:
                self._next_lag = now + LAG_INTERVAL
                with conn.transaction():
                    self.metrics.lag.set(sql.lag_seconds(conn))
                self.metrics.count_published(0)
            if now >= self._next_prune:
                self._next_prune = now + self._settings.worker_prune_interval_seconds
                pruned = sql.prune(conn, self._settings.worker_outbox_retention_seconds)
                if pruned:
                    self.metrics.pruned.inc(pruned)
                    log.info("pruned %d delivered event(s)", pruned)
        except psycopg.Error as exc:
            if not is_connection_error(exc, conn):
                raise
            self._db.lost(exc)
