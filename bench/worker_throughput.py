"""Worker throughput: events per second from commit to confirmed publish, and latency
percentiles, beside the raw rate of confirmed publishes to the same broker, in one run.

    .venv/bin/python bench/worker_throughput.py [--events 50000] [--seconds 10] [--latency-rate 2500] [--rate 6000]

Four phases, each against the same RabbitMQ, exchange, routing key and queues:

1. raw: confirmed, persistent publishes of event-sized bodies through the worker's own
   AMQP link, in batches of WORKER_RELAY_BATCH_SIZE with as many batches in flight as the
   relay keeps, with no database at all (the baseline);
2. drain: N events committed at once, then a real `jim worker relay` process publishes
   them (claim, publish, confirm, mark): events/s from the commit to the last mark;
3. latency: a producer commits --latency-rate events/s for --seconds while the relay
   runs and a consumer (its own process) reads the tasks queue, as `jim worker consume`
   would: commit -> confirmed-publish latency (delivered_at - created_at in the outbox)
   and commit -> consumer latency. Latencies start at the event's capture (its `at`,
   taken inside the producer's transaction, a few ms before its commit);
4. throughput: the producer commits --rate events/s (above the target) with the relay
   alone, like the raw baseline: events/s from commit to confirmed publish, sustained.

Every phase routes each message to the one queue production routes it to (the tasks
queue, durable, x-max-priority 9); the queue is emptied between phases.

Uses its own database (BENCH_WORKER_DATABASE_URL, default .../jim_bench_worker: created,
migrated) and its own AMQP prefix (deleted afterwards). Never part of the tests.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections import deque
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pika  # noqa: E402
import psycopg  # noqa: E402

from jim.db import migrate  # noqa: E402
from jim.settings import DbSettings  # noqa: E402
from tests.conftest import create_database_if_missing  # noqa: E402
from worker.amqp import AmqpLink  # noqa: E402
from worker.backoff import Backoff  # noqa: E402
from worker.batches import IN_FLIGHT  # noqa: E402
from worker.confirms import Outgoing  # noqa: E402
from worker.settings import WorkerSettings  # noqa: E402
from worker.tasks import default_registry  # noqa: E402
from worker.topology import Topology  # noqa: E402

DB_URL = os.environ.get("BENCH_WORKER_DATABASE_URL", "postgresql://jim:jim@127.0.0.1:5432/jim_bench_worker")
AMQP_URL = os.environ.get("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
BATCH = int(os.environ.get("WORKER_RELAY_BATCH_SIZE", "500"))
ROUTING_KEY = "app.workout.insert"


def percentiles(values: list[float]) -> str:
    if len(values) < 2:
        return "n/a"
    q = statistics.quantiles(values, n=100, method="inclusive")
    return f"p50 {q[49]:.1f} ms  p95 {q[94]:.1f} ms  p99 {q[98]:.1f} ms  max {max(values):.1f} ms"


def setup_database() -> str:
    create_database_if_missing(DB_URL)
    migrate.migrate(DbSettings(database_url=DB_URL))
    member = str(uuid.uuid4())
    with psycopg.connect(DB_URL, autocommit=True) as conn:
        # Every run starts from the same state: earlier runs' workouts, events and members
        # removed (this database is the benchmark's own), then fresh statistics, so neither
        # bloat nor stale estimates from the last run decide this run's figures.
        conn.execute("truncate events.outbox, app.workout cascade")
        conn.execute("delete from app.member where username like 'bench-%'")
        conn.execute("vacuum analyze events.outbox, app.workout, app.member")
        conn.execute("insert into app.member (id, username, display_name) values (%s, %s, 'Bench')",
                     (member, f"bench-{member[:8]}"))
    return member


def commit_events(conn: psycopg.Connection, member: str, count: int) -> None:
    conn.execute("insert into app.workout (owner_id, title) select %s, 'bench ' || g"
                 " from generate_series(1, %s) g", (member, count))


def undelivered(conn: psycopg.Connection) -> int:
    return conn.execute("select count(*) from events.outbox where delivered_at is null").fetchone()[0]


def raw_rate(topology: Topology, count: int, body: bytes) -> float:
    link = AmqpLink(AMQP_URL, topology, name="bench-raw", backoff=Backoff(attempts=3)).start()
    link.wait_ready(10)
    props = pika.BasicProperties(delivery_mode=2, priority=3, content_type="application/json",
                                 message_id="0", type=ROUTING_KEY)
    started = time.perf_counter()
    window: deque = deque()  # the relay's pipelining: IN_FLIGHT batches awaiting confirms
    for first in range(0, count, BATCH):
        n = min(BATCH, count - first)
        window.append(link.start_publish([Outgoing(topology.events_exchange, ROUTING_KEY, body, props)] * n))
        if len(window) == IN_FLIGHT:
            window.popleft().wait(60)
    while window:
        window.popleft().wait(60)
    elapsed = time.perf_counter() - started
    link.close()
    return count / elapsed


def start_relay(prefix: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": DB_URL, "RABBITMQ_URL": AMQP_URL, "WORKER_AMQP_PREFIX": prefix,
           "WORKER_RELAY_METRICS_PORT": "0", "LOG_LEVEL": "WARNING", "WORKER_RELAY_BATCH_SIZE": str(BATCH)}
    proc = subprocess.Popen([sys.executable, "-m", "jim.cli", "worker", "relay"], cwd=ROOT, env=env)
    return proc


def wait_delivered(conn: psycopg.Connection, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while undelivered(conn) > 0:
        if time.monotonic() > deadline:
            raise SystemExit("bench: the relay did not deliver everything in time")
        time.sleep(0.01)
    return time.perf_counter()


class LatencyConsumer:
    """A separate process (as a consumer would be: the producer's process keeps its own
    GIL) that reads the queue and records now - the event's `at` for every message."""

    def __init__(self, queue: str) -> None:
        self._stop = multiprocessing.Event()
        self._results: multiprocessing.Queue = multiprocessing.Queue()
        self._process = multiprocessing.Process(target=_consume, args=(queue, self._stop, self._results),
                                                daemon=True)
        self.latencies: list[float] = []

    def start(self) -> None:
        self._process.start()

    def finish(self) -> None:
        self._stop.set()
        self.latencies = self._results.get(timeout=60)
        self._process.join(10)


def _consume(queue: str, stop, results) -> None:
    latencies = []
    conn = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    channel = conn.channel()
    channel.basic_qos(prefetch_count=1000)
    for method, _props, body in channel.consume(queue, auto_ack=False, inactivity_timeout=0.2):
        if stop.is_set():
            break
        if method is None:
            continue
        at = datetime.fromisoformat(json.loads(body)["at"]).timestamp()
        latencies.append((time.time() - at) * 1000)
        channel.basic_ack(method.delivery_tag, multiple=True)
    conn.close()
    results.put(latencies)


def sustained_phase(conn: psycopg.Connection, member: str, queue: str | None, rate: int,
                    seconds: float, raw: float) -> tuple[float, float]:
    """Commit `rate` events/s for `seconds` with the relay (and, given a queue, a consumer)
    running; print the achieved rate and the latency percentiles; return (achieved, offered)."""
    consumer = LatencyConsumer(queue) if queue else None
    if consumer:
        consumer.start()
    first_id = conn.execute("select coalesce(max(id), 0) from events.outbox").fetchone()[0]
    # Every 20 ms, commit what the schedule says is due: a slow commit (WAL flush) is made
    # up by a bigger next one, so the offered rate holds.
    produced, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        due = int(elapsed * rate) - produced
        if due > 0:
            commit_events(conn, member, due)
            produced += due
        time.sleep(0.02)
    offered = produced / (time.perf_counter() - started)
    sustained = produced / (wait_delivered(conn, 300) - started)
    if consumer:
        time.sleep(1.0)
        consumer.finish()
    relay_ms = [r[0] for r in conn.execute(
        "select extract(epoch from delivered_at - created_at) * 1000 from events.outbox where id > %s",
        (first_id,))]
    print(f"  sustained, offered {offered:>6,.0f} ev/s for {seconds:.0f} s:"
          f" {sustained:>7,.0f} ev/s    ratio {sustained / raw:.2f} of raw")
    print(f"    commit -> confirmed publish   {percentiles(relay_ms)}")
    if consumer:
        print(f"    commit -> consumer received   {percentiles(consumer.latencies)}"
              f"  ({len(consumer.latencies):,} received)")
    return sustained, offered


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000, help="events per phase (raw, drain)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each sustained phase")
    parser.add_argument("--latency-rate", type=int, default=2500,
                        help="events/s of the latency phase (relay and a consumer running)")
    parser.add_argument("--rate", type=int, default=6000,
                        help="events/s of the throughput phase (the relay alone, like the raw baseline)")
    args = parser.parse_args()

    member = setup_database()
    prefix = f"jimbench.{uuid.uuid4().hex[:8]}"
    topology = Topology(prefix, (1.0,), default_registry().bindings)
    # Events of app.workout go where production sends them: the tasks queue (x-max-priority),
    # declared by the worker's own topology; the latency consumer reads that queue.
    capture = topology.tasks_queue

    def broker(*operations: tuple[str, str]) -> None:
        """Queue/exchange operations on a short-lived connection (a long-idle one would
        miss its heartbeats while the phases run)."""
        with pika.BlockingConnection(pika.URLParameters(AMQP_URL)) as admin:
            channel = admin.channel()
            for operation, name in operations:
                getattr(channel, operation)(name)

    def purge() -> None:
        broker(("queue_purge", topology.tasks_queue))

    conn = psycopg.connect(DB_URL, autocommit=True)
    relay = None
    try:
        commit_events(conn, member, 1)
        sample = conn.execute("select id, json_build_object('id', id, 'schema', schema_name, 'table', table_name,"
                              " 'op', op, 'key', row_key, 'data', data, 'old', old_data, 'changed', changed,"
                              " 'at', created_at)::text from events.outbox order by id desc limit 1").fetchone()
        conn.execute("update events.outbox set delivered_at = now()")
        body = sample[1].encode()
        print(f"worker throughput: {args.events:,} events per phase, batches of {BATCH}, body {len(body)} bytes")

        raw = raw_rate(topology, args.events, body)
        purge()
        print(f"  raw confirmed publish    {raw:>9,.0f} msg/s   (baseline)")

        relay = start_relay(prefix)
        time.sleep(2.0)  # connect and declare
        commit_events(conn, member, args.events)  # one transaction: all visible at its commit
        started = time.perf_counter()
        drain = args.events / (wait_delivered(conn, 300) - started)
        purge()
        print(f"  relay drain of backlog   {drain:>9,.0f} ev/s    ratio {drain / raw:.2f} of raw")

        sustained_phase(conn, member, capture, args.latency_rate, args.seconds, raw)
        purge()
        sustained, offered = sustained_phase(conn, member, None, args.rate, args.seconds, raw)
        purge()
        verdict = "meets" if sustained >= 5000 and offered >= 5000 else "does NOT meet"
        print(f"  {verdict} the 5,000 events/s target (sustained, commit to confirmed publish)")
    finally:
        if relay is not None:
            relay.terminate()
            relay.wait(30)
        # The relay process declared the retry queues of its own (default) delays too.
        relay_delays = WorkerSettings(database_url=DB_URL).retry_delays
        retry = {topology.retry_queue(d) for d in (*topology.retry_delays, *relay_delays)}
        broker(*[("queue_delete", q) for q in (topology.tasks_queue, topology.dead_queue, *retry)],
               ("exchange_delete", topology.events_exchange))
        conn.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
