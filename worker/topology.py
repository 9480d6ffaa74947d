"""Names and declarations of jim's exchanges and queues (all durable).

    <prefix>.events              topic exchange; the relay publishes every event here,
                                 routing key <schema>.<table>.<op>
    <prefix>.tasks               queue (x-max-priority 9) bound to the events the tasks
                                 want; also receives the task messages of the fan-out
    <prefix>.tasks.retry.<N>ms   one queue per retry delay: messages wait there N ms
                                 (x-message-ttl), then dead-letter back to <prefix>.tasks
    <prefix>.tasks.dead          messages that failed every attempt, with their last error

The relay and the consumer both declare everything at connect, so events published before
any consumer ever ran wait in the tasks queue. The prefix (WORKER_AMQP_PREFIX) lets tests
and several stacks share one broker without sharing queues.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_PRIORITY = 9


@dataclass(frozen=True)
class Declaration:
    kind: str  # "exchange" | "queue" | "bind"
    name: str
    arguments: dict[str, Any] | None = None
    exchange: str = ""
    routing_key: str = ""


@dataclass(frozen=True)
class Topology:
    prefix: str
    retry_delays: tuple[float, ...]
    bindings: tuple[str, ...]

    @property
    def events_exchange(self) -> str:
        return f"{self.prefix}.events"

    @property
    def tasks_queue(self) -> str:
        return f"{self.prefix}.tasks"

    @property
    def dead_queue(self) -> str:
        return f"{self.prefix}.tasks.dead"

    def retry_queue(self, delay: float) -> str:
        return f"{self.prefix}.tasks.retry.{_ms(delay)}ms"

    def retry_queue_for(self, attempt: int) -> str:
        """The retry queue a message goes to after its ``attempt``-th failure (1-based);
        past the last tier, the last delay repeats."""
        index = min(max(attempt, 1), len(self.retry_delays)) - 1
        return self.retry_queue(self.retry_delays[index])

    def declarations(self) -> list[Declaration]:
        steps = [
            Declaration("exchange", self.events_exchange),
            Declaration("queue", self.tasks_queue, {"x-max-priority": MAX_PRIORITY}),
            Declaration("queue", self.dead_queue),
        ]
        for delay in sorted(set(self.retry_delays)):
            steps.append(Declaration("queue", self.retry_queue(delay), {
                "x-message-ttl": _ms(delay),
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": self.tasks_queue,
            }))
        for pattern in self.bindings:
            steps.append(Declaration("bind", self.tasks_queue, exchange=self.events_exchange,
                                     routing_key=pattern))
        return steps


def _ms(delay: float) -> int:
    return max(1, round(delay * 1000))


def topic_matches(pattern: str, routing_key: str) -> bool:
    """AMQP topic matching: `*` is exactly one word, `#` zero or more words."""
    return _match(pattern.split("."), routing_key.split("."))


def _match(pattern: list[str], words: list[str]) -> bool:
    if not pattern:
        return not words
    head, rest = pattern[0], pattern[1:]
    if head == "#":
        return any(_match(rest, words[i:]) for i in range(len(words) + 1))
    if not words:
        return False
    return (head == "*" or head == words[0]) and _match(rest, words[1:])
