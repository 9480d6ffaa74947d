"""`jim worker relay | consume | dead-letters ...`."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading

from jim.settings import load
from worker.settings import BrokerSettings, WorkerSettings
from worker.topology import Topology

log = logging.getLogger("jim.worker")


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("relay", help="publish committed outbox events to RabbitMQ (at least once)")
    p.add_argument("--drain", action="store_true",
                   help="publish what is pending, then exit (no waiting for new events)")
    p.set_defaults(func=cmd_relay)

    p = sub.add_parser("consume", help="run the tasks (personal records, weekly summary)")
    p.set_defaults(func=cmd_consume)

    p = sub.add_parser("dead-letters", help="list, show or replay messages that failed every attempt")
    dl = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    q = dl.add_parser("list", help="one line per dead letter (nothing is removed)")
    q.add_argument("--limit", type=int, default=100)
    q.add_argument("--json", action="store_true", help="one JSON object per line")
    q.set_defaults(func=cmd_dead_list)
    q = dl.add_parser("show", help="everything about the dead letters with this message id")
    q.add_argument("message_id")
    q.add_argument("--task", help="only the copy of this task")
    q.set_defaults(func=cmd_dead_show)
    q = dl.add_parser("replay", help="send dead letters back to the tasks queue (attempt 1)")
    target = q.add_mutually_exclusive_group(required=True)
    target.add_argument("message_id", nargs="?")
    target.add_argument("--all", action="store_true", dest="everything")
    q.add_argument("--task", help="only the copy of this task")
    q.set_defaults(func=cmd_dead_replay)
    for action in dl.choices.values():
        action.set_defaults(func=_broker_errors_as_messages(action.get_default("func")))


def _broker_errors_as_messages(func):
    """The dead-letter commands talk to RabbitMQ directly: a broker problem is one line."""

    def run(args: argparse.Namespace) -> int:
        import pika.exceptions

        try:
            return func(args)
        except pika.exceptions.UnroutableError:
            print("jim worker dead-letters: the tasks queue does not exist yet; start "
                  "`jim worker consume` (or `jim worker relay`) once to declare it", file=sys.stderr)
        except pika.exceptions.AMQPError as exc:
            print(f"jim worker dead-letters: RabbitMQ: {exc!r}", file=sys.stderr)
        return 1

    return run


def _setup(kind: type[WorkerSettings] = WorkerSettings) -> WorkerSettings:
    settings = load(kind)
    logging.basicConfig(level=settings.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # pika logs every failed connection attempt as an error; the link reports them itself.
    logging.getLogger("pika").setLevel(logging.CRITICAL)
    return settings


def topology_for(settings: WorkerSettings) -> Topology:
    from worker.tasks import default_registry

    return Topology(settings.worker_amqp_prefix, settings.retry_delays, default_registry().bindings)


def _stop_on_signals() -> threading.Event:
    """SIGTERM / SIGINT ask for a graceful stop: finish or release the current work."""
    stop = threading.Event()

    def handler(signum: int, _frame: object) -> None:
        log.info("received %s: finishing the current work, then stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    return stop


def cmd_relay(args: argparse.Namespace) -> int:
    from worker import metrics
    from worker.amqp import AmqpLink
    from worker.errors import WorkerError
    from worker.relay import Relay

    settings = _setup()
    stop = _stop_on_signals()
    link = AmqpLink(settings.rabbitmq_url, topology_for(settings), name="jim-relay",
                    backoff=settings.backoff, heartbeat=settings.worker_heartbeat_seconds).start()
    relay = Relay(settings, link, stop)
    try:
        if args.drain:
            print(f"published {relay.drain()} event(s)")
            return 0
        metrics.serve(relay.metrics.registry, settings.worker_metrics_host,
                      settings.worker_relay_metrics_port)
        log.info("relay started (exchange %s.events)", settings.worker_amqp_prefix)
        relay.run()
        log.info("relay stopped after publishing %d event(s)", relay.published)
        return 0
    except WorkerError as exc:
        print(f"jim worker relay: {exc}", file=sys.stderr)
        return 1
    finally:
        link.close()


def cmd_consume(args: argparse.Namespace) -> int:
    from worker import metrics
    from worker.amqp import AmqpLink
    from worker.consumer import Consumer
    from worker.errors import WorkerError
    from worker.tasks import default_registry

    settings = _setup()
    stop = _stop_on_signals()
    topology = topology_for(settings)
    stats = metrics.ConsumerMetrics()
    link = AmqpLink(
        settings.rabbitmq_url, topology, name="jim-consumer", backoff=settings.backoff,
        heartbeat=settings.worker_heartbeat_seconds, consume_queue=topology.tasks_queue,
        prefetch=settings.worker_prefetch,
        watch={topology.dead_queue: stats.dead_letter_depth.set},
    ).start()
    consumer = Consumer(settings, default_registry(), topology, link, stop, stats)
    try:
        metrics.serve(stats.registry, settings.worker_metrics_host,
                      settings.worker_consumer_metrics_port)
        log.info("consumer started (queue %s, prefetch %d)", topology.tasks_queue, settings.worker_prefetch)
        consumer.run()
        log.info("consumer stopped")
        return 0
    except WorkerError as exc:
        print(f"jim worker consume: {exc}", file=sys.stderr)
        return 1
    finally:
        link.close()


def _dead_letters(settings: WorkerSettings):
    from worker.dead_letters import DeadLetterQueue

    return DeadLetterQueue(settings.rabbitmq_url, topology_for(settings))


def cmd_dead_list(args: argparse.Namespace) -> int:
    settings = _setup(BrokerSettings)
    with _dead_letters(settings) as dlq:
        letters = list(dlq.read(args.limit))
    if args.json:
        for letter in letters:
            print(json.dumps(letter.as_dict()))
        return 0
    if not letters:
        print("no dead letters")
        return 0
    print(f"{'MESSAGE_ID':<12} {'TASK':<18} {'TRIES':>5}  {'FAILED_AT':<32} ERROR")
    for letter in letters:
        first_line = letter.error.splitlines()[0] if letter.error else ""
        print(f"{letter.message_id:<12} {letter.task:<18} {letter.attempts:>5}  "
              f"{letter.failed_at:<32} {first_line[:100]}")
    return 0


def cmd_dead_show(args: argparse.Namespace) -> int:
    settings = _setup(BrokerSettings)
    with _dead_letters(settings) as dlq:
        found = [letter.as_dict() for letter in dlq.read()
                 if letter.message_id == args.message_id and args.task in (None, letter.task)]
    if not found:
        print(f"no dead letter with message id {args.message_id}", file=sys.stderr)
        return 1
    print(json.dumps(found if len(found) > 1 else found[0], indent=2))
    return 0


def cmd_dead_replay(args: argparse.Namespace) -> int:
    settings = _setup(BrokerSettings)
    replayed = 0
    with _dead_letters(settings) as dlq:
        for letter in list(dlq.read()):
            if args.everything or (letter.message_id == args.message_id
                                   and args.task in (None, letter.task)):
                dlq.replay(letter)
                replayed += 1
    if replayed == 0 and not args.everything:
        print(f"no dead letter with message id {args.message_id}", file=sys.stderr)
        return 1
    print(f"replayed {replayed} message(s)")
    return 0
