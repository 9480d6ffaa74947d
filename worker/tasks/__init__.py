"""Tasks: what the consumer does with events.

A task names the events it wants (topic patterns on the routing key) and its priority
(0-9; under a backlog, higher runs first). For each event the consumer sends one task
message per interested task to the tasks queue, with the task's priority, and runs the
task's handler in one transaction together with the processed-message record.

Handlers must be idempotent and order-independent: they recompute their result from the
current data rather than applying a delta, so a redelivered, late or out-of-order event
leaves the same result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import psycopg

from worker.errors import BadMessage
from worker.messages import Event
from worker.topology import topic_matches

Handler = Callable[[psycopg.Connection, Event], None]


@dataclass(frozen=True)
class Task:
    name: str
    priority: int
    routing_keys: tuple[str, ...]
    handler: Handler

    def wants(self, routing_key: str) -> bool:
        return any(topic_matches(p, routing_key) for p in self.routing_keys)


class Registry:
    def __init__(self, tasks: Iterable[Task]) -> None:
        self._tasks = {t.name: t for t in tasks}

    def get(self, name: str) -> Task:
        try:
            return self._tasks[name]
        except KeyError:
            raise BadMessage(f"unknown task {name!r}") from None

    def for_routing_key(self, routing_key: str) -> list[Task]:
        return [t for t in self._tasks.values() if t.wants(routing_key)]

    @property
    def bindings(self) -> tuple[str, ...]:
        """Every pattern some task listens to (the tasks queue's bindings)."""
        return tuple(sorted({p for t in self._tasks.values() for p in t.routing_keys}))

    def __iter__(self):
        return iter(self._tasks.values())


def default_registry() -> Registry:
    from worker.tasks import personal_records, weekly_summary

    return Registry([personal_records.TASK, weekly_summary.TASK])
