"""`jim worker dead-letters list|show|replay`: look into the dead-letter queue.

Messages are read with basic.get and manual acks: listing and showing never remove
anything (unacked messages return to the queue when the connection closes); a replay
publishes a fresh copy (attempt 1, error headers dropped) to the tasks queue, waits for the
broker's confirm, and only then acks the dead copy.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pika

from worker import messages as hdr
from worker.topology import Topology


@dataclass(frozen=True)
class DeadLetter:
    delivery_tag: int
    message_id: str
    task: str
    attempts: int
    error: str
    failed_at: str
    event: str
    properties: pika.BasicProperties
    body: bytes

    def as_dict(self) -> dict[str, Any]:
        try:
            body: Any = json.loads(self.body)
        except ValueError:
            body = self.body.decode(errors="replace")
        return {"message_id": self.message_id, "task": self.task, "attempts": self.attempts,
                "failed_at": self.failed_at, "event": self.event, "error": self.error,
                "priority": self.properties.priority, "body": body}


class DeadLetterQueue:
    def __init__(self, url: str, topology: Topology) -> None:
        self._topology = topology
        self._connection = pika.BlockingConnection(pika.URLParameters(url))
        self._channel = self._connection.channel()
        self._channel.queue_declare(topology.dead_queue, durable=True)
        self._channel.confirm_delivery()

    def __enter__(self) -> DeadLetterQueue:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._connection.is_open:
            self._connection.close()  # unacked messages go back to the queue

    def read(self, limit: int | None = None) -> Iterator[DeadLetter]:
        """Each message once (held unacked until close), oldest first."""
        count = 0
        while limit is None or count < limit:
            method, properties, body = self._channel.basic_get(self._topology.dead_queue, auto_ack=False)
            if method is None:
                return
            count += 1
            headers = properties.headers or {}
            yield DeadLetter(
                delivery_tag=method.delivery_tag,
                message_id=properties.message_id or "",
                task=str(headers.get(hdr.TASK, "")),
                attempts=int(headers.get(hdr.ATTEMPT, 0) or 0),
                error=str(headers.get(hdr.LAST_ERROR, "")),
                failed_at=str(headers.get(hdr.FAILED_AT, "")),
                event=str(headers.get(hdr.EVENT, "")),
                properties=properties,
                body=body,
            )

    def replay(self, letter: DeadLetter) -> None:
        headers = {k: v for k, v in (letter.properties.headers or {}).items()
                   if k not in (hdr.LAST_ERROR, hdr.FAILED_AT)}
        headers[hdr.ATTEMPT] = 1
        props = pika.BasicProperties(
            message_id=letter.properties.message_id, priority=letter.properties.priority,
            delivery_mode=2, content_type=letter.properties.content_type,
            type=letter.properties.type, timestamp=letter.properties.timestamp, headers=headers,
        )
        # mandatory: if the tasks queue does not exist, fail instead of dropping the copy.
        self._channel.basic_publish("", self._topology.tasks_queue, letter.body, props,
                                    mandatory=True)
        self._channel.basic_ack(letter.delivery_tag)
