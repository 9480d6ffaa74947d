"""Helpers of the worker tests: the broker seen from a test (a blocking pika connection),
`jim worker` subprocesses, polling, and restarting the shared servers."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pika
import psycopg

from jim.settings import REPO_ROOT
from worker.outbox import load

DEFAULT_RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
TEST_RETRY_DELAYS = "0.2,0.5"


def rabbitmq_url() -> str:
    return os.environ.get("RABBITMQ_URL", DEFAULT_RABBITMQ_URL)


def wait_until(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


@dataclass
class Message:
    routing_key: str
    properties: pika.BasicProperties
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def headers(self) -> dict[str, Any]:
        return dict(self.properties.headers or {})


class Broker:
    """The test's own view of RabbitMQ. Reconnects lazily (the broker may have restarted)."""

    def __init__(self, url: str) -> None:
        self._params = pika.URLParameters(url)
        self._connection: pika.BlockingConnection | None = None
        self.queues: set[str] = set()
        self.exchanges: set[str] = set()

    def __enter__(self) -> Broker:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._connection is not None and self._connection.is_open:
            self._connection.close()

    @property
    def channel(self):
        if self._connection is None or not self._connection.is_open:
            self._connection = pika.BlockingConnection(self._params)
            self._channel = self._connection.channel()
            self._channel.confirm_delivery()
        if not self._channel.is_open:
            self._channel = self._connection.channel()
            self._channel.confirm_delivery()
        return self._channel

    def reset(self) -> None:
        """Forget the connection (after a broker restart); the next use reconnects."""
        try:
            if self._connection is not None and self._connection.is_open:
                self._connection.close()
        except Exception:  # noqa: BLE001 - the old connection is dead anyway
            pass
        self._connection = None

    def capture(self, prefix: str, pattern: str = "#") -> str:
        """A durable queue receiving every event the relay publishes under `prefix`."""
        exchange, name = f"{prefix}.events", f"{prefix}.capture"
        self.channel.exchange_declare(exchange, exchange_type="topic", durable=True)
        self.channel.queue_declare(name, durable=True)
        self.channel.queue_bind(name, exchange, routing_key=pattern)
        self.queues.add(name)
        self.exchanges.add(exchange)
        return name

    def depth(self, queue: str) -> int:
        return self.channel.queue_declare(queue, passive=True).method.message_count

    def drain(self, queue: str) -> list[Message]:
        """Take every message out of the queue (acked)."""
        out = []
        while True:
            method, props, body = self.channel.basic_get(queue, auto_ack=True)
            if method is None:
                return out
            out.append(Message(method.routing_key, props, body))

    def publish(self, queue: str, body: bytes, **properties: Any) -> None:
        props = pika.BasicProperties(delivery_mode=2, content_type="application/json", **properties)
        self.channel.basic_publish("", queue, body, props, mandatory=True)

    def delete_prefix(self, prefix: str, retry_delays: str = TEST_RETRY_DELAYS) -> None:
        names = {f"{prefix}.tasks", f"{prefix}.tasks.dead", f"{prefix}.capture"}
        names |= {f"{prefix}.tasks.retry.{round(float(d) * 1000)}ms" for d in retry_delays.split(",")}
        for name in names | {q for q in self.queues if q.startswith(prefix)}:
            self.channel.queue_delete(name)
        self.channel.exchange_delete(f"{prefix}.events")


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log_file: Any = field(repr=False)

    def output(self) -> str:
        self.log_file.flush()
        with open(self.log_file.name) as f:
            return f.read()

    def wait_for(self, text: str, timeout: float = 30.0) -> None:
        """Until the process logged `text` (e.g. that it is connected)."""
        wait_until(lambda: text in self.output() or not self.alive, timeout, f"{self.name}: {text!r}")
        assert text in self.output(), f"{self.name} exited:\n{self.output()}"

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def terminate(self, timeout: float = 20.0) -> int:
        if self.alive:
            self.popen.send_signal(signal.SIGTERM)
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(5)
            raise AssertionError(f"{self.name} ignored SIGTERM for {timeout:.0f}s:\n{self.output()}") from None

    def kill(self) -> None:
        if self.alive:
            self.popen.kill()
        self.popen.wait(10)


class WorkerProcesses:
    def __init__(self, database_url: str, prefix: str) -> None:
        self.database_url = database_url
        self.prefix = prefix
        self.procs: list[Proc] = []

    def env(self, **overrides: Any) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "DATABASE_URL": self.database_url,
            "RABBITMQ_URL": rabbitmq_url(),
            "JIM_ENV": "test",
            "LOG_LEVEL": "INFO",
            "WORKER_AMQP_PREFIX": self.prefix,
            "WORKER_RELAY_SWEEP_SECONDS": "0.5",
            "WORKER_RECONNECT_MAX_DELAY": "1",
            "WORKER_RECONNECT_ATTEMPTS": "90",
            "WORKER_RETRY_DELAYS": TEST_RETRY_DELAYS,
            "WORKER_MAX_ATTEMPTS": "3",
            "WORKER_RELAY_METRICS_PORT": "0",
            "WORKER_CONSUMER_METRICS_PORT": "0",
        })
        env.update({k: str(v) for k, v in overrides.items()})
        return env

    def start(self, command: str, **env: Any) -> Proc:
        log_file = tempfile.NamedTemporaryFile("w+", prefix=f"jim-{command}-", suffix=".log")
        popen = subprocess.Popen(
            [sys.executable, "-m", "jim.cli", "worker", command], cwd=REPO_ROOT,
            env=self.env(**env), stdout=log_file, stderr=subprocess.STDOUT,
        )
        proc = Proc(command, popen, log_file)
        self.procs.append(proc)
        return proc

    def run(self, *args: str, timeout: float = 60, **env: Any) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "jim.cli", "worker", *args], cwd=REPO_ROOT,
            env=self.env(**env), capture_output=True, text=True, timeout=timeout,
        )

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.alive:
                try:
                    proc.terminate(timeout=15)
                except AssertionError:
                    pass
            proc.log_file.close()


# -- the outbox seen from a test --------------------------------------------------------------

def outbox_ids(conn: psycopg.Connection, table: str, row_ids: list[int]) -> list[int]:
    """The outbox ids of the events of these rows of app.<table>."""
    return [r[0] for r in conn.execute(
        "select id from events.outbox where schema_name = 'app' and table_name = %s"
        " and (row_key ->> 'id')::bigint = any(%s) order by id", (table, row_ids))]


def undelivered(conn: psycopg.Connection, ids: list[int]) -> int:
    row = conn.execute(
        "select count(*) from events.outbox where id = any(%s) and delivered_at is null", (ids,)
    ).fetchone()
    return int(row[0]) if row else 0


def add_workouts(conn: psycopg.Connection, member: str, count: int, title: str = "load") -> list[int]:
    return [r[0] for r in conn.execute(
        "insert into app.workout (owner_id, title) select %s, %s || ' ' || g"
        " from generate_series(1, %s) g returning id", (member, title, count))]


# -- restarting the shared servers (tests run serially in CI) -----------------------------------

def restart_rabbitmq() -> None:
    """Restart the RabbitMQ application: every connection drops, durable queues and
    persistent messages are recovered from disk."""
    subprocess.run(["rabbitmqctl", "-q", "stop_app"], check=True, capture_output=True, timeout=120)
    subprocess.run(["rabbitmqctl", "-q", "start_app"], check=True, capture_output=True, timeout=120)
    subprocess.run(["rabbitmqctl", "-q", "await_startup"], check=True, capture_output=True, timeout=120)


def restart_postgres() -> None:
    subprocess.run(["pg_ctlcluster", "15", "main", "restart", "-m", "fast"], check=True,
                   capture_output=True, timeout=120)


# -- messages and metrics ------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def metric(port: int, name: str, **labels: str) -> float:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        m = re.match(r"^(\w+)(?:\{(.*)\})? (\S+)$", line)
        if m and m.group(1) == name and ",".join(sorted((m.group(2) or "").split(","))).strip(",") == wanted:
            return float(m.group(3))
    return 0.0


def publish_event(broker: Broker, prefix: str, conn: psycopg.Connection, event_id: int) -> None:
    """Publish an outbox event exactly as the relay does (a second time, if it already was)."""
    event = load(conn, event_id)
    assert event is not None
    props = dict(message_id=str(event.id), priority=event.priority, type=event.routing_key)
    broker.channel.basic_publish(f"{prefix}.events", event.routing_key, event.body.encode(),
                                 pika.BasicProperties(delivery_mode=2, **props))
