"""The worker's own exception types. Library errors (psycopg, pika) are caught where they
happen and re-raised as one of these, so callers handle "the database is gone" or "the
broker refused the message" without knowing which client library said so."""

from __future__ import annotations


class WorkerError(Exception):
    """Base class of every error the worker raises on purpose."""


class DatabaseUnavailable(WorkerError):
    """PostgreSQL could not be reached within the bounded reconnect attempts."""


class BrokerUnavailable(WorkerError):
    """RabbitMQ is not connected (or could not be reached within the bounded attempts)."""


class PublishFailed(WorkerError):
    """The broker did not confirm a publish (nack, timeout or lost connection): the
    messages must be treated as not sent, and sent again later."""


class BadMessage(WorkerError):
    """A message the consumer cannot process however often it tries (malformed body,
    unknown task). It still goes through the retry tiers, then to the dead letters."""
