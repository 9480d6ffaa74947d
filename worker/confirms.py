"""Publisher confirms: which batch each broker confirm settles.

In confirm mode the broker numbers the messages published on a channel 1, 2, 3 ... and
acks (or nacks) them by number, one at a time or "everything up to n". The tracker maps
those numbers back to the batch that sent each message; a batch is settled when all its
messages are acked, failed at the first nack or when the connection is lost.
The tracker is used from the link's I/O thread, except register/forget (any thread).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pika.spec import Basic, BasicProperties

from worker.errors import PublishFailed


@dataclass(frozen=True)
class Outgoing:
    exchange: str
    routing_key: str
    body: bytes
    properties: BasicProperties


@dataclass
class PublishBatch:
    remaining: int
    done: threading.Event = field(default_factory=threading.Event)
    error: Exception | None = None

    def confirm_one(self) -> None:
        self.remaining -= 1
        if self.remaining <= 0:
            self.done.set()

    def fail(self, error: Exception) -> None:
        if not self.done.is_set():
            self.error = error
            self.done.set()


class PendingPublish:
    """Messages handed to the link, not yet known to be confirmed."""

    def __init__(self, batch: PublishBatch, forget: Callable[[PublishBatch], None]) -> None:
        self._batch = batch
        self._forget = forget

    def wait(self, timeout: float) -> None:
        """Until every message is confirmed; raises PublishFailed / BrokerUnavailable."""
        try:
            if not self._batch.done.wait(timeout):
                raise PublishFailed(f"no confirm from RabbitMQ within {timeout:.0f}s")
            if self._batch.error is not None:
                raise self._batch.error
        finally:
            self._forget(self._batch)


class ConfirmTracker:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[int, PublishBatch] = {}  # unsettled batches, by id()
        self._by_tag: dict[int, PublishBatch] = {}  # delivery tag -> batch, ascending
        self._last_tag = 0

    def register(self, batch: PublishBatch) -> PendingPublish:
        with self._lock:
            self._open[id(batch)] = batch
        return PendingPublish(batch, self.forget)

    def forget(self, batch: PublishBatch) -> None:
        with self._lock:
            self._open.pop(id(batch), None)

    def new_channel(self) -> None:
        """Numbering restarts at 1 on every channel."""
        self._by_tag.clear()
        self._last_tag = 0

    def sent(self, batch: PublishBatch) -> None:
        self._last_tag += 1
        self._by_tag[self._last_tag] = batch

    def on_confirm(self, frame: Any) -> None:
        method = frame.method
        tag = method.delivery_tag
        if method.multiple:
            settled = []
            for t in self._by_tag:  # ascending: stop at the first beyond the confirm
                if t > tag:
                    break
                settled.append(t)
        else:
            settled = [tag] if tag in self._by_tag else []
        nacked = isinstance(method, Basic.Nack)
        for t in settled:
            batch = self._by_tag.pop(t)
            if nacked:
                batch.fail(PublishFailed("RabbitMQ refused (nacked) a message"))
            else:
                batch.confirm_one()

    def fail_all(self, error: Exception) -> None:
        """The connection is gone: nothing unsettled will ever be confirmed."""
        self._by_tag.clear()
        with self._lock:
            batches = list(self._open.values())
        for batch in batches:
            batch.fail(error)
