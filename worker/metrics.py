"""Prometheus metrics of the relay and the consumer, each in its own registry and served
on its own port (WORKER_RELAY_METRICS_PORT, WORKER_CONSUMER_METRICS_PORT; 0 turns the
endpoint off), so neither process shows the other's series."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    start_http_server,
)

log = logging.getLogger("jim.worker.metrics")
disable_created_metrics()


class RelayMetrics:
    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        self.lag = Gauge("jim_outbox_lag_seconds", "Age of the oldest undelivered outbox event (0 when none).", registry=r)
        self.published = Counter("jim_outbox_published_total", "Events published to RabbitMQ and confirmed by it.", registry=r)
        self.rate = Gauge("jim_outbox_published_per_second", "Confirmed publishes per second over the last 10 seconds.", registry=r)
        self.pruned = Counter("jim_outbox_pruned_total", "Delivered outbox rows deleted after their retention.", registry=r)
        self.failures = Counter("jim_outbox_publish_failures_total", "Batches released unconfirmed (broker down, nack, timeout).", registry=r)
        self.reconnects = Gauge("jim_worker_reconnects", "Connections lost since start.", ["target"], registry=r)
        self._window = RateWindow()

    def count_published(self, count: int) -> None:
        if count:
            self.published.inc(count)
        self.rate.set(self._window.add(count))


class ConsumerMetrics:
    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        self.tasks = Counter("jim_tasks_total", "Task messages handled, by task and outcome (done, duplicate, retry, dead).", ["task", "outcome"], registry=r)
        self.seconds = Histogram("jim_task_seconds", "Time spent in a task's transaction.", ["task"], registry=r)
        self.retries = Counter("jim_task_retries_total", "Task messages sent to a retry tier after a failure.", ["task"], registry=r)
        self.dead_lettered = Counter("jim_task_dead_lettered_total", "Task messages moved to the dead-letter queue.", ["task"], registry=r)
        self.dead_letter_depth = Gauge("jim_dead_letter_depth", "Messages waiting in the dead-letter queue.", registry=r)
        self.fanned_out = Counter("jim_events_fanned_out_total", "Events turned into task messages.", registry=r)
        self.reconnects = Gauge("jim_worker_reconnects", "Connections lost since start.", ["target"], registry=r)


class RateWindow:
    """Events per second over a sliding window (rate() over the counter is the
    Prometheus way; the gauge is for eyes on the endpoint)."""

    def __init__(self, seconds: float = 10.0) -> None:
        self._seconds = seconds
        self._marks: deque[tuple[float, int]] = deque()
        self._lock = threading.Lock()

    def add(self, count: int) -> float:
        now = time.monotonic()
        with self._lock:
            self._marks.append((now, count))
            while self._marks and self._marks[0][0] < now - self._seconds:
                self._marks.popleft()
            return sum(c for _, c in self._marks) / self._seconds


def serve(registry: CollectorRegistry, host: str, port: int) -> None:
    if port:
        start_http_server(port, addr=host, registry=registry)
        log.info("metrics on http://%s:%d/metrics", host, port)
