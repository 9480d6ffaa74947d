"""What travels on RabbitMQ: events (published by the relay) and task messages (one per
task interested in an event, published by the consumer's fan-out, with the task's
priority). Both carry the same JSON body, the event; a task message adds headers.

Body of an event (built by the relay's claim query, see worker/outbox.py)::

    {"id": 42, "schema": "app", "table": "workout_entry", "op": "insert",
     "key": {"id": 7}, "data": {"workout_id": 3, "exercise_id": 1},
     "old": null, "changed": null, "at": "2026-11-28T13:39:21.587057+00:00"}

``message_id`` is the outbox id on every copy of the event, so a consumer de-duplicates
on (task, message_id).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from worker.errors import BadMessage

# Headers of task messages (and of the copies in the retry and dead-letter queues).
TASK = "x-jim-task"
EVENT = "x-jim-event"  # the routing key of the event the task message came from
ATTEMPT = "x-jim-attempt"  # 1 for the first try
LAST_ERROR = "x-jim-last-error"
FAILED_AT = "x-jim-failed-at"

OPERATIONS = frozenset({"insert", "update", "delete"})


@dataclass(frozen=True)
class Event:
    id: int
    schema: str
    table: str
    op: str
    key: dict[str, Any]
    data: dict[str, Any]
    old: dict[str, Any] | None
    changed: list[str] | None
    at: str

    @property
    def routing_key(self) -> str:
        return f"{self.schema}.{self.table}.{self.op}"

    def value(self, column: str) -> Any:
        """A key or payload column of the row (new row; old row for a delete)."""
        if column in self.key:
            return self.key[column]
        if column in self.data:
            return self.data[column]
        raise BadMessage(f"event {self.id} ({self.routing_key}) carries no column {column!r}")

    def old_value(self, column: str) -> Any:
        """The column's value before an update, when the update changed it; else None."""
        return (self.old or {}).get(column)

    @classmethod
    def from_json(cls, body: bytes) -> Event:
        try:
            raw = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BadMessage(f"body is not JSON: {exc}") from None
        if not isinstance(raw, dict):
            raise BadMessage("body is not a JSON object")
        try:
            event = cls(
                id=_typed(raw, "id", int), schema=_typed(raw, "schema", str),
                table=_typed(raw, "table", str), op=_typed(raw, "op", str),
                key=_typed(raw, "key", dict), data=_typed(raw, "data", dict),
                old=raw.get("old"), changed=raw.get("changed"), at=_typed(raw, "at", str),
            )
        except KeyError as exc:
            raise BadMessage(f"event field {exc.args[0]!r} is missing") from None
        if event.op not in OPERATIONS:
            raise BadMessage(f"unknown operation {event.op!r}")
        if event.old is not None and not isinstance(event.old, dict):
            raise BadMessage("event field 'old' must be an object or null")
        return event

    def to_json(self) -> bytes:
        return json.dumps({
            "id": self.id, "schema": self.schema, "table": self.table, "op": self.op,
            "key": self.key, "data": self.data, "old": self.old, "changed": self.changed,
            "at": self.at,
        }).encode()


def _typed(raw: dict[str, Any], name: str, kind: type) -> Any:
    value = raw[name]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise BadMessage(f"event field {name!r} must be {kind.__name__}, got {type(value).__name__}")
    return value


def error_text(exc: BaseException, limit: int = 2000) -> str:
    """How an error travels in a header: type and message, bounded in size."""
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= limit else text[: limit - 3] + "..."
