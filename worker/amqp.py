"""One RabbitMQ connection on its own I/O thread.

pika's connections are not thread-safe, and a blocking publish in confirm mode waits one
round trip (and one fsync) per message: a few hundred messages per second. So the link
runs a ``SelectConnection`` on a dedicated thread that does nothing but I/O: it keeps
heartbeats flowing whatever the caller is doing (a slow handler, a database reconnect),
pipelines publishes and matches the broker's confirms back to the batch that sent them.
Other threads talk to it only through ``ioloop.add_callback_threadsafe``.

The link reconnects by itself with bounded backoff, declares the topology on every
connect, and (when asked) consumes one queue with manual acks and a prefetch limit,
handing each delivery to the caller through a queue. A delivery remembers the connection
it came on: acking it after a reconnect would ack another message, so that ack is
dropped and the broker redelivers the message instead (consumers de-duplicate).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pika
import pika.exceptions
from pika.spec import Basic, BasicProperties

from worker.backoff import Backoff
from worker.confirms import ConfirmTracker, Outgoing, PendingPublish, PublishBatch
from worker.errors import BrokerUnavailable
from worker.topology import Declaration, Topology

log = logging.getLogger("jim.worker.amqp")


@dataclass(frozen=True)
class Delivery:
    generation: int
    delivery_tag: int
    routing_key: str
    redelivered: bool
    properties: BasicProperties
    body: bytes

    @property
    def headers(self) -> dict[str, Any]:
        return dict(self.properties.headers or {})

    @property
    def message_id(self) -> str | None:
        return self.properties.message_id


class AmqpLink:
    """A self-healing connection: topology declared, confirms on, optionally consuming."""

    def __init__(
        self,
        url: str,
        topology: Topology,
        *,
        name: str,
        backoff: Backoff,
        heartbeat: int = 30,
        consume_queue: str | None = None,
        prefetch: int = 10,
        watch: dict[str, Callable[[int], None]] | None = None,
        watch_interval: float = 5.0,
    ) -> None:
        self._params = pika.URLParameters(url)
        self._params.heartbeat = heartbeat
        self._params.client_properties = {"connection_name": name}
        self._params.connection_attempts = 1
        self._params.socket_timeout = 5
        self._topology = topology
        self._name = name
        self._backoff = backoff
        self._consume_queue = consume_queue
        self._prefetch = prefetch
        self._watch = watch or {}
        self._watch_interval = watch_interval

        self.deliveries: queue.Queue[Delivery] = queue.Queue()
        self.reconnects = 0  # connections lost so far (for metrics and tests)
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._closing = threading.Event()
        self._gave_up: BrokerUnavailable | None = None
        self._connection: pika.SelectConnection | None = None
        self._channel: Any = None
        self._generation = 0
        self._confirms = ConfirmTracker()
        self._was_ready = False
        self._thread = threading.Thread(target=self._run, name=f"amqp-{name}", daemon=True)

    # -- public, thread-safe ---------------------------------------------------------------

    def start(self) -> AmqpLink:
        self._thread.start()
        return self

    def wait_ready(self, timeout: float) -> None:
        """Block until connected and declared; raise BrokerUnavailable if it did not happen."""
        if not self._ready.wait(timeout) or self._gave_up is not None or not self._ready.is_set():
            raise self._gave_up or BrokerUnavailable(f"RabbitMQ not connected after {timeout:.0f}s")

    @property
    def ready(self) -> bool:
        return self._ready.is_set() and self._gave_up is None

    @property
    def gave_up(self) -> BrokerUnavailable | None:
        return self._gave_up

    @property
    def generation(self) -> int:
        """Which connection is current; deliveries from an older one cannot be acked."""
        return self._generation

    def publish(self, messages: Sequence[Outgoing], timeout: float) -> None:
        """Publish and wait until the broker confirmed every message.

        Raises PublishFailed (nack, timeout, connection lost before every confirm) or
        BrokerUnavailable (not connected): then some, all or none of the messages may have
        been routed, and the caller must send them again later.
        """
        self.start_publish(messages).wait(timeout)

    def start_publish(self, messages: Sequence[Outgoing]) -> PendingPublish:
        """Hand the messages to the I/O thread and return at once; ``wait()`` on the
        result blocks until all are confirmed (so a caller can prepare the next batch
        while the broker works on this one)."""
        batch = PublishBatch(len(messages))
        pending = self._confirms.register(batch)
        if not messages:
            batch.done.set()
            return pending
        if self._gave_up is not None:
            batch.fail(self._gave_up)
            return pending
        with self._lock:
            connection = self._connection
        if connection is None or not self._ready.is_set():
            batch.fail(BrokerUnavailable("RabbitMQ is not connected"))
        else:
            connection.ioloop.add_callback_threadsafe(lambda: self._publish_now(messages, batch))
        return pending

    def ack(self, delivery: Delivery) -> None:
        self._settle(delivery, lambda ch: ch.basic_ack(delivery.delivery_tag))

    def reject(self, delivery: Delivery, *, requeue: bool = True) -> None:
        self._settle(delivery, lambda ch: ch.basic_nack(delivery.delivery_tag, requeue=requeue))

    def close(self, timeout: float = 10.0) -> None:
        """Close the connection (unacked deliveries return to their queue) and stop."""
        self._closing.set()
        with self._lock:
            connection = self._connection
        if connection is not None:
            try:
                connection.ioloop.add_callback_threadsafe(self._close_now)
            except Exception:  # noqa: BLE001 - the loop may already be gone
                log.debug("close: I/O loop already stopped")
        if self._thread.is_alive():
            self._thread.join(timeout)

    # -- the I/O thread ----------------------------------------------------------------------

    def _run(self) -> None:
        failures = 0
        while not self._closing.is_set():
            connected = self._run_one_connection()
            self._ready.clear()
            self._confirms.fail_all(BrokerUnavailable("connection to RabbitMQ lost"))
            if self._closing.is_set():
                break
            self.reconnects += 1
            failures = 1 if connected else failures + 1
            if self._backoff.exhausted(failures):
                self._gave_up = BrokerUnavailable(
                    f"RabbitMQ unreachable after {failures} attempts ({self._params.host}:{self._params.port})"
                )
                log.error("%s", self._gave_up)
                self._ready.set()  # wake waiters so they see the failure
                return
            delay = self._backoff.delay(failures)
            log.warning("%s: RabbitMQ connection lost; reconnecting in %.1fs (attempt %d/%d)",
                        self._name, delay, failures, self._backoff.attempts)
            self._closing.wait(delay)

    def _run_one_connection(self) -> bool:
        """Connect and run the I/O loop until the connection closes; True if it got ready."""
        self._was_ready = False
        try:
            connection = pika.SelectConnection(
                self._params,
                on_open_callback=self._on_open,
                on_open_error_callback=lambda conn, err: self._stop_loop(conn, err),
                on_close_callback=lambda conn, reason: self._stop_loop(conn, reason),
            )
        except Exception as exc:  # noqa: BLE001 - any failure to start is a failed attempt
            log.warning("%s: cannot connect to RabbitMQ: %s", self._name, exc)
            return False
        with self._lock:
            self._connection = connection
        try:
            connection.ioloop.start()
        except Exception:  # noqa: BLE001 - a failing callback must not kill the link
            log.exception("%s: AMQP I/O loop failed", self._name)
            try:
                connection.ioloop.close()
            except Exception:  # noqa: BLE001
                pass
        with self._lock:
            self._connection = None
            self._channel = None
        return self._was_ready

    def _stop_loop(self, connection: pika.SelectConnection, reason: object) -> None:
        if not self._closing.is_set():
            log.warning("%s: RabbitMQ connection closed: %s", self._name, str(reason) or repr(reason))
        connection.ioloop.stop()

    def _close_now(self) -> None:
        connection = self._connection
        if connection is not None and connection.is_open:
            connection.close()
        elif connection is not None and not connection.is_closing:
            connection.ioloop.stop()

    def _on_open(self, connection: pika.SelectConnection) -> None:
        connection.channel(on_open_callback=self._on_channel)

    def _on_channel(self, channel: Any) -> None:
        self._channel = channel
        self._generation += 1
        self._confirms.new_channel()
        channel.add_on_close_callback(self._on_channel_closed)
        channel.confirm_delivery(ack_nack_callback=self._confirms.on_confirm,
                                 callback=lambda _frame: self._declare(0))

    def _on_channel_closed(self, channel: Any, reason: object) -> None:
        # One channel per connection: without it the connection is useless; start over.
        self._ready.clear()
        connection = self._connection
        if connection is not None and connection.is_open and not self._closing.is_set():
            log.warning("%s: channel closed by RabbitMQ: %s", self._name, reason)
            connection.close()

    def _declare(self, index: int) -> None:
        steps = self._topology.declarations()
        if index == len(steps):
            self._start_consuming()
            return
        step: Declaration = steps[index]

        def next_step(_frame: object) -> None:
            self._declare(index + 1)

        if step.kind == "exchange":
            self._channel.exchange_declare(step.name, exchange_type="topic", durable=True,
                                           callback=next_step)
        elif step.kind == "queue":
            self._channel.queue_declare(step.name, durable=True, arguments=step.arguments,
                                        callback=next_step)
        else:
            self._channel.queue_bind(step.name, step.exchange, routing_key=step.routing_key,
                                     callback=next_step)

    def _start_consuming(self) -> None:
        if self._consume_queue is None:
            self._became_ready()
            return

        def consume(_frame: object) -> None:
            self._channel.basic_consume(self._consume_queue, self._on_message, auto_ack=False,
                                        callback=lambda _f: self._became_ready())

        self._channel.basic_qos(prefetch_count=self._prefetch, callback=consume)

    def _became_ready(self) -> None:
        self._was_ready = True
        self._ready.set()
        log.info("%s: connected to RabbitMQ", self._name)
        for queue_name, report in self._watch.items():
            self._schedule_watch(queue_name, report, self._generation)

    def _schedule_watch(self, queue_name: str, report: Callable[[int], None], generation: int) -> None:
        def poll() -> None:
            if generation != self._generation or self._channel is None or not self._channel.is_open:
                return
            self._channel.queue_declare(
                queue_name, passive=True,
                callback=lambda frame: report(frame.method.message_count))
            self._connection.ioloop.call_later(self._watch_interval, poll)  # type: ignore[union-attr]

        poll()

    def _on_message(self, channel: Any, method: Basic.Deliver, properties: BasicProperties,
                    body: bytes) -> None:
        self.deliveries.put(Delivery(self._generation, method.delivery_tag, method.routing_key,
                                     method.redelivered, properties, body))

    def _publish_now(self, messages: Sequence[Outgoing], batch: PublishBatch) -> None:
        channel = self._channel
        if channel is None or not channel.is_open or not self._ready.is_set():
            batch.fail(BrokerUnavailable("RabbitMQ is not connected"))
            return
        try:
            for message in messages:
                channel.basic_publish(message.exchange, message.routing_key, message.body,
                                      message.properties)
                self._confirms.sent(batch)
        except (pika.exceptions.AMQPError, OSError) as exc:
            batch.fail(BrokerUnavailable(f"publish failed: {exc}"))

    def _settle(self, delivery: Delivery, action: Callable[[Any], None]) -> None:
        with self._lock:
            connection = self._connection

        def run() -> None:
            channel = self._channel
            if delivery.generation != self._generation or channel is None or not channel.is_open:
                return  # delivered on an earlier connection: the broker redelivers it
            action(channel)

        if connection is not None and delivery.generation == self._generation:
            connection.ioloop.add_callback_threadsafe(run)
