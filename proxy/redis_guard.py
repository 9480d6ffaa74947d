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
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from proxy.metrics import CACHE_ERRORS

log = logging.getLogger("jim.proxy.redis")
RUN_ID_KEY = "jim:run"  # never expires, so never evicted under volatile-lru


class RedisUnavailable(Exception):
    """Redis is down, slow or skipped; the caller answers without it."""


class RedisGuard:
    def __init__(self, url: str, *, timeout_ms: int, retry_seconds: float) -> None:
        # One asyncio.timeout around each whole call instead of redis-py's per-read socket
        # timeout: the same bound, without a wait_for task per command on the hot path.
        # No transparent retries: a broken connection must reach us as a failure, because a
        # Redis that restarted (perhaps from an older snapshot of the versions) is only
        # safe to use again under a new cache epoch.
        self._timeout = timeout_ms / 1000
        self.client = aioredis.Redis.from_url(
            url, socket_timeout=None, socket_connect_timeout=self._timeout,
            health_check_interval=0, retry=Retry(NoBackoff(), 0),
            redis_connect_func=self._on_connect,
        )
        # hook(connection): runs on a new connection to a Redis that restarted, before any
        # command of ours uses it (the cache starts a new epoch there).
        self.restart_hooks: list[Callable[[Any], Awaitable[None]]] = []
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

    async def _on_connect(self, connection: Any) -> None:
        """Every new connection: is this still the Redis process that holds our data?

        A Redis that restarted may hold data older than the invalidations it lost (e.g.
        restored from a snapshot). The server's run_id is compared with the one recorded in
        Redis itself (jim:run, written by whichever proxy saw that server first): when they
        differ, the restart hooks run on this connection before any command uses it. This
        works for every process, even one started after the restart; and redis-py
        reconnects silently, so a new connection is the only place a quick restart shows."""
        await connection.on_connect()
        await connection.send_command("INFO", "server")
        info = bytes(await connection.read_response())
        run_id = next((line.split(b":", 1)[1].strip() for line in info.splitlines()
                       if line.startswith(b"run_id:")), b"")
        await connection.send_command("GET", RUN_ID_KEY)
        if await connection.read_response() == run_id:
            return
        log.warning("new or restarted redis: starting a new cache epoch")
        for hook in self.restart_hooks:
            await hook(connection)
        await connection.send_command("SET", RUN_ID_KEY, run_id)
        await connection.read_response()

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
