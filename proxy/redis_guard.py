"""Every Redis call of the proxy goes through a RedisGuard.

Redis makes the proxy faster; it must never make it fail. Each call is bounded by a short
socket timeout (REDIS_TIMEOUT_MS: a slow Redis counts as down), a failure is logged once
and counted, and Redis is then skipped for REDIS_RETRY_SECONDS so a dead Redis costs the
requests nothing. The first success after a failure runs the recovery hooks: the cache
starts a new epoch, because invalidations may have been missed while Redis was away.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from proxy.metrics import CACHE_ERRORS

log = logging.getLogger("jim.proxy.redis")


class RedisUnavailable(Exception):
    """Redis is down, slow or skipped; the caller answers without it."""


class RedisGuard:
    def __init__(self, url: str, *, timeout_ms: int, retry_seconds: float) -> None:
        # One asyncio.timeout around each whole call instead of redis-py's per-read socket
        # timeout: the same bound, without a wait_for task per command on the hot path.
        self._timeout = timeout_ms / 1000
        self.client = aioredis.Redis.from_url(
            url, socket_timeout=None, socket_connect_timeout=self._timeout,
            retry_on_timeout=False, health_check_interval=0,
        )
        self._retry_seconds = retry_seconds
        self._down_until = 0.0
        self._failing = True  # unknown until the first success: run the recovery hooks then
        self._ever_failed = False
        # hook(client, after_failure): after_failure is False for the first contact at start.
        self.recovery_hooks: list[Callable[[aioredis.Redis, bool], Awaitable[None]]] = []

    @property
    def skipping(self) -> bool:
        return time.monotonic() < self._down_until

    async def run(self, operation: str, call: Callable[[aioredis.Redis], Any]) -> Any:
        """Await call(client) within the timeout; RedisUnavailable on any Redis failure."""
        if self.skipping:
            raise RedisUnavailable(operation)
        try:
            async with asyncio.timeout(self._timeout):
                if self._failing:
                    await self._recover()  # before the call: nothing is served from the old epoch
                result = await call(self.client)
        except (RedisError, OSError, TimeoutError) as exc:
            self._failed(operation, exc)
            raise RedisUnavailable(operation) from None
        return result

    async def ping(self) -> bool:
        try:
            await self.run("ping", lambda r: r.ping())
            return True
        except RedisUnavailable:
            return False

    def _failed(self, operation: str, exc: BaseException) -> None:
        CACHE_ERRORS.labels(operation).inc()
        self._down_until = time.monotonic() + self._retry_seconds
        if not self._failing:
            log.warning("redis unavailable: answering without cache, persisted queries from "
                        "memory, no rate limits", extra={"operation": operation, "error": type(exc).__name__})
        self._failing = True
        self._ever_failed = True

    async def _recover(self) -> None:
        for hook in self.recovery_hooks:
            await hook(self.client, self._ever_failed)
        if self._ever_failed:
            log.info("redis available again")
        self._failing = False

    async def close(self) -> None:
        await self.client.aclose()
