"""The relay's SQL against events.outbox. The message body is built by PostgreSQL
(json_build_object), so the relay only moves bytes."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

CHANNEL = "events_outbox"

# The message body (see worker/messages.py), as events.claim() builds it.
BODY = """
json_build_object('id', id, 'schema', schema_name, 'table', table_name, 'op', op,
                  'key', row_key, 'data', data, 'old', old_data, 'changed', changed,
                  'at', created_at)::text
"""

# events.claim() (sql/functions/300_events.sql) locks the batch and builds its bodies.
CLAIM = "select id, priority, routing_key, body from events.claim(%s)"

MARK = "update events.outbox set delivered_at = clock_timestamp() where id = any(%s)"

OLDEST = """
select extract(epoch from clock_timestamp() - created_at)::float8
from events.outbox where delivered_at is null order by id limit 1
"""

PRUNE = """
delete from events.outbox where id in (
  select id from events.outbox
  where delivered_at < clock_timestamp() - make_interval(secs => %s)
  order by id limit %s)
"""


@dataclass(frozen=True)
class PendingEvent:
    id: int
    priority: int
    routing_key: str
    body: str


def claim(conn: psycopg.Connection, limit: int) -> list[PendingEvent]:
    """Lock up to `limit` undelivered events (in the caller's transaction); rows another
    relay holds are skipped, so relays share the work without waiting on each other."""
    return [PendingEvent(*row) for row in conn.execute(CLAIM, (limit,)).fetchall()]


def load(conn: psycopg.Connection, event_id: int) -> PendingEvent | None:
    """One event as the relay would publish it, delivered or not (tests, tools)."""
    row = conn.execute(
        f"select id, priority, schema_name || '.' || table_name || '.' || op, {BODY}"  # noqa: S608
        " from events.outbox where id = %s", (event_id,)).fetchone()
    return PendingEvent(*row) if row else None


def mark_delivered(conn: psycopg.Connection, ids: list[int]) -> None:
    conn.execute(MARK, (ids,))


def lag_seconds(conn: psycopg.Connection) -> float:
    """Age of the oldest undelivered event (0 when there is none)."""
    row = conn.execute(OLDEST).fetchone()
    return max(0.0, float(row[0])) if row else 0.0


def prune(conn: psycopg.Connection, retention_seconds: float, chunk: int = 5000) -> int:
    """Delete delivered events older than the retention, in chunks; returns how many."""
    total = 0
    while True:
        with conn.transaction():
            deleted = conn.execute(PRUNE, (retention_seconds, chunk)).rowcount
        total += deleted
        if deleted < chunk:
            return total
