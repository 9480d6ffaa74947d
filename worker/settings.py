"""The worker's settings (`jim worker ...`), read once at start from the environment.

The worker connects to PostgreSQL as the `worker` role: DATABASE_URL names the server and
database, and the user and password are replaced by ``worker`` / WORKER_PASSWORD (or
WORKER_DATABASE_URL is used as it is, when set).
"""

from __future__ import annotations

import re

from psycopg.conninfo import make_conninfo
from pydantic import Field, field_validator

from jim.settings import BaseJimSettings
from worker.backoff import Backoff

_PREFIX = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,60}$")


class WorkerSettings(BaseJimSettings):
    worker_password: str = "worker"
    worker_database_url: str | None = None
    rabbitmq_url: str = "amqp://guest:guest@127.0.0.1:5672/%2F"
    worker_amqp_prefix: str = "jim"
    worker_heartbeat_seconds: int = Field(30, ge=0, le=600)
    worker_reconnect_attempts: int = Field(30, ge=1, le=10_000)
    worker_reconnect_max_delay: float = Field(5.0, gt=0, le=300)

    worker_relay_batch_size: int = Field(500, ge=1, le=10_000)
    worker_relay_sweep_seconds: float = Field(5.0, gt=0, le=3600)
    worker_publish_timeout: float = Field(30.0, gt=0, le=600)
    worker_outbox_retention_seconds: float = Field(3600.0, ge=0)
    worker_prune_interval_seconds: float = Field(60.0, gt=0)

    worker_prefetch: int = Field(10, ge=1, le=1000)
    worker_max_attempts: int = Field(5, ge=1, le=100)
    worker_retry_delays: str = "1,5,30,120"
    worker_processed_retention_days: float = Field(7.0, gt=0)

    worker_metrics_host: str = "127.0.0.1"
    worker_relay_metrics_port: int = Field(9101, ge=0, le=65535)
    worker_consumer_metrics_port: int = Field(9102, ge=0, le=65535)

    @field_validator("rabbitmq_url")
    @classmethod
    def _amqp_url(cls, value: str) -> str:
        if not value.startswith(("amqp://", "amqps://")):
            raise ValueError("must be an amqp:// or amqps:// URL")
        return value

    @field_validator("worker_database_url")
    @classmethod
    def _worker_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a postgresql:// URL")
        return value

    @field_validator("worker_amqp_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not _PREFIX.match(value):
            raise ValueError("lower-case letters, digits, '.', '_' and '-' (at most 61)")
        return value

    @field_validator("worker_retry_delays")
    @classmethod
    def _delays(cls, value: str) -> str:
        parse_delays(value)
        return value

    def check(self) -> None:
        self.refuse_dev_secret("worker_password", self.worker_password)
        if self.is_production and "guest:guest@" in self.rabbitmq_url:
            raise ValueError("RABBITMQ_URL uses the guest account; set real credentials")

    @property
    def retry_delays(self) -> tuple[float, ...]:
        return parse_delays(self.worker_retry_delays)

    @property
    def backoff(self) -> Backoff:
        return Backoff(attempts=self.worker_reconnect_attempts, maximum=self.worker_reconnect_max_delay)

    @property
    def conninfo(self) -> str:
        """Where the worker connects, as the `worker` role."""
        if self.worker_database_url:
            return self.worker_database_url
        return make_conninfo(
            self.database_url, user="worker", password=self.worker_password,
            application_name="jim-worker",
        )


class BrokerSettings(WorkerSettings):
    """For the commands that only talk to RabbitMQ (`jim worker dead-letters ...`): the same
    settings, without requiring DATABASE_URL, which they never use."""

    database_url: str | None = None  # type: ignore[assignment]


def parse_delays(value: str) -> tuple[float, ...]:
    """"1,5,30" -> (1.0, 5.0, 30.0): the waits before the 2nd, 3rd, 4th ... attempt."""
    try:
        delays = tuple(float(part) for part in value.split(",") if part.strip())
    except ValueError:
        raise ValueError("a comma-separated list of seconds, e.g. 1,5,30") from None
    if not delays or any(d <= 0 or d > 86_400 for d in delays):
        raise ValueError("at least one delay, each between 0 and 86400 seconds")
    return delays
