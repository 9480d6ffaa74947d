"""Fixtures of the worker tests: real `jim worker` processes against the test database and
the real RabbitMQ, each test on its own AMQP prefix (its own exchanges and queues, deleted
afterwards), and a fresh member whose rows the test owns."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest

from tests.worker.support import Broker, WorkerProcesses, rabbitmq_url


@pytest.fixture
def broker() -> Iterator[Broker]:
    with Broker(rabbitmq_url()) as b:
        yield b


@pytest.fixture
def prefix(broker: Broker) -> Iterator[str]:
    """A fresh AMQP prefix; every queue and exchange under it is deleted afterwards."""
    name = f"jimtest.{uuid.uuid4().hex[:10]}"
    yield name
    broker.reset()  # the test may have restarted RabbitMQ
    broker.delete_prefix(name)


@pytest.fixture
def workers(database_url: str, prefix: str) -> Iterator[WorkerProcesses]:
    """Starts `jim worker ...` processes; stops (then kills) them all at the end."""
    procs = WorkerProcesses(database_url, prefix)
    try:
        yield procs
    finally:
        procs.stop_all()


@pytest.fixture
def owner_conn(database_url: str) -> Iterator[psycopg.Connection]:
    """An autocommit connection as the database owner: what a test commits is real."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        yield conn


@pytest.fixture
def member(database_url: str) -> Iterator[str]:
    """A member of the test's own (deleted at the end with everything they own; on a new
    connection, as the test may have restarted PostgreSQL)."""
    member_id = str(uuid.uuid4())
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "insert into app.member (id, username, display_name) values (%s, %s, 'Worker Test')",
            (member_id, f"wt-{member_id[:8]}"),
        )
    yield member_id
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("delete from app.member where id = %s", (member_id,))


@pytest.fixture
def quiet_outbox(database_url: str, member: str) -> None:
    """Mark other tests' leftover events (and the test member's own insert) delivered, so a
    test's relay publishes only the events the test made (nobody consumes the test
    database's events otherwise)."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("update events.outbox set delivered_at = now() where delivered_at is null")
