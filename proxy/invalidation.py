"""The invalidation listener: LISTEN jim_data_changed, bump the changed tables' versions.

Each proxy process holds one extra connection that listens for the NOTIFYs the
statement-level triggers send at commit (sql/functions/400_cache_invalidation.sql).
Notifications that arrive together are bumped together in one Redis round trip.

While the listener is not connected, writes could go unnoticed, so the cache is not used
at all (`healthy` is False: every request is answered uncached); after reconnecting, a new
cache epoch is started because notifications sent in the gap are lost. Reconnection backs
off up to 5 s between attempts and lasts as long as the process.
"""

from __future__ import annotations

import asyncio
import logging

import psycopg

from proxy.cache import EPOCH, ResponseCache
from proxy.redis_guard import RedisUnavailable

log = logging.getLogger("jim.proxy.invalidation")
CHANNEL = "jim_data_changed"


class InvalidationListener:
    def __init__(self, conninfo: str, cache: ResponseCache, on_schema_change) -> None:
        self._conninfo = conninfo
        self._cache = cache
        self._on_schema_change = on_schema_change
        self.healthy = False
        self._task: asyncio.Task | None = None
        self._pending: set[str] = set()
        self._retry: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass

    async def _run(self) -> None:
        delay = 0.1
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._conninfo, autocommit=True, application_name="jim-proxy-listener"
                ) as conn:
                    await conn.execute(f"listen {CHANNEL}")
                    # Anything may have changed while we were not listening.
                    self._pending.add(EPOCH)
                    await self._flush()
                    self.healthy = True
                    delay = 0.1
                    log.info("listening for data changes")
                    await self._listen(conn)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # connection lost or refused: keep trying, cache off
                if self.healthy:
                    log.warning("invalidation listener lost its connection; cache bypassed",
                                extra={"error": type(exc).__name__})
                self.healthy = False
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    async def _listen(self, conn: psycopg.AsyncConnection) -> None:
        gen = conn.notifies()
        async for notify in gen:
            self._pending.add(notify.payload)
            # Gather whatever else arrived in the same burst, then bump once.
            await asyncio.sleep(0)
            await self._flush()

    async def _flush(self) -> None:
        tables = sorted(self._pending)
        self._pending.clear()
        if EPOCH in tables:
            self._on_schema_change()
        try:
            await self._cache.bump(tables)
        except RedisUnavailable:
            # The bump is lost, so every entry must go: keep trying to start a new epoch
            # until Redis answers (this process's guard also does it before its next call,
            # but other processes might serve an entry this bump should have killed).
            if self._retry is None or self._retry.done():
                self._retry = asyncio.create_task(self._new_epoch_when_possible())

    async def _new_epoch_when_possible(self) -> None:
        while True:
            await asyncio.sleep(0.1)
            try:
                await self._cache.new_epoch()
                return
            except RedisUnavailable:
                continue
