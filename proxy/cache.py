"""The response cache: query results in Redis, never older than the writes they depend on.

An entry's key is a digest of (normalised operation, variables, operationName, Postgres
role, identity — the user's id, or "anon" shared by anonymous callers) followed by the
current *versions* of every table the operation reads, plus the cache *epoch*:

    jim:c:<sha256 of the request>:<epoch>.<version of table 1>.<version of table 2>...

Versions live in one Redis hash (jim:v, never expiring, so never evicted under
volatile-lru). A write to a table bumps its version (the invalidation listener, on the
table's NOTIFY; and the proxy itself right after a mutation, before answering), so every
entry that read the table becomes unreachable at once and expires by its TTL. The epoch is
replaced whenever invalidations may have been missed (Redis came back after a failure, the
listener reconnected, a DDL changed the schema): that orphans every entry.

The versions are read *before* the database runs the operation, so an entry can only ever
be filed under versions at least as old as the data it holds: a write that commits while
the operation runs bumps the version and the entry is never found.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import NoScriptError

from proxy.redis_guard import RedisGuard, RedisUnavailable

VERSIONS = "jim:v"
EPOCH = "*"
ENTRY = "jim:c:"
LOCK = "jim:l:"

# One round trip: the caller's rate-limit count (when a key is given), the epoch and the
# tables' versions, then the entry filed under them.
# ARGV: entry prefix, rate key ('' for none), rate key ttl, table names...
_LOOKUP = """
local used = false
if ARGV[2] ~= '' then
  used = redis.call('INCR', ARGV[2])
  if used == 1 then redis.call('EXPIRE', ARGV[2], ARGV[3]) end
end
local fields = {'*'}
for i = 4, #ARGV do fields[#fields + 1] = ARGV[i] end
local v = redis.call('HMGET', KEYS[1], unpack(fields))
if not v[1] then return {'', false, used} end
local parts = {}
for i = 1, #v do parts[i] = v[i] or '0' end
local suffix = table.concat(parts, '.')
return {suffix, redis.call('GET', ARGV[1] .. ':' .. suffix), used}
"""


@dataclass(frozen=True)
class Lookup:
    key: str | None  # the full entry key, None when the cache has no epoch yet
    value: bytes | None
    rate_count: int | None  # the caller's requests in the rate window, when asked


def request_digest(normalized: str, variables: dict | None, operation_name: str | None,
                   role: str, identity: str) -> str:
    material = json.dumps([normalized, variables or {}, operation_name, role, identity],
                          sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(material.encode()).hexdigest()


class ResponseCache:
    def __init__(self, guard: RedisGuard, *, lock_wait_ms: int) -> None:
        self.guard = guard
        self._lookup = guard.client.register_script(_LOOKUP)
        self._lock_wait = lock_wait_ms / 1000
        self._inflight: dict[str, asyncio.Future[bytes | None]] = {}
        guard.recovery_hooks.append(self._on_recovery)
        guard.restart_hooks.append(self._on_restart)

    async def _on_recovery(self, client: aioredis.Redis, after_failure: bool) -> None:
        if after_failure:
            await client.hset(VERSIONS, EPOCH, uuid.uuid4().hex)  # type: ignore[misc]
        else:
            await client.hsetnx(VERSIONS, EPOCH, uuid.uuid4().hex)  # type: ignore[misc]

    @staticmethod
    async def _on_restart(connection) -> None:
        await connection.send_command("HSET", VERSIONS, EPOCH, uuid.uuid4().hex)
        await connection.read_response()

    async def lookup(self, digest: str, tables: tuple[str, ...],
                     rate: tuple[str, int] | None = None) -> Lookup:
        """The entry (and, given (key, ttl), the incremented rate-limit count) in one round trip."""
        rate_key, rate_ttl = rate or ("", 0)
        args = [ENTRY + digest, rate_key, rate_ttl, *tables]
        suffix, value, used = await self.guard.run("lookup", lambda r: self._evalsha(r, args))
        count = int(used) if used is not None else None
        if not suffix:
            await self.new_epoch(only_if_missing=True)
            return Lookup(None, None, count)
        return Lookup(f"{ENTRY}{digest}:{suffix.decode()}", value, count)

    async def _evalsha(self, r: aioredis.Redis, args: list) -> list:
        """The lookup script, straight on a pooled connection: the one Redis call of a cache
        hit, without redis-py's command layers (Script, retry wrapper, response callbacks —
        EVALSHA has none). A Redis that lost its scripts (restarted) gets them loaded again
        through the Script object. read_response/send_command drop the connection on any
        error or cancellation, as redis-py's own command path does."""
        pool = r.connection_pool
        conn = await pool.get_connection()
        try:
            await conn.send_command("EVALSHA", self._lookup.sha, 1, VERSIONS, *args)
            return await conn.read_response()
        except NoScriptError:
            pass
        finally:
            await pool.release(conn)
        return await self._lookup(keys=[VERSIONS], args=args, client=r)

    async def store(self, key: str, body: str | bytes, ttl: int) -> None:
        await self.guard.run("store", lambda r: r.set(key, body, ex=ttl))

    async def bump(self, tables: list[str] | tuple[str, ...]) -> None:
        """Invalidate every entry that read one of these tables ('*': everything)."""
        if EPOCH in tables:
            await self.new_epoch()
            return

        async def incr(r: aioredis.Redis) -> None:
            async with r.pipeline(transaction=False) as pipe:
                for table in tables:
                    pipe.hincrby(VERSIONS, table, 1)
                await pipe.execute()

        if tables:
            await self.guard.run("bump", incr)

    async def new_epoch(self, *, only_if_missing: bool = False) -> None:
        value = uuid.uuid4().hex
        if only_if_missing:
            await self.guard.run("epoch", lambda r: r.hsetnx(VERSIONS, EPOCH, value))
        else:
            await self.guard.run("epoch", lambda r: r.hset(VERSIONS, EPOCH, value))

    # Stampede protection --------------------------------------------------------------
    def joined(self, key: str) -> asyncio.Future[bytes | None] | None:
        """An identical miss already computing in this process, to wait for."""
        return self._inflight.get(key)

    def begin(self, key: str) -> asyncio.Future[bytes | None]:
        future: asyncio.Future[bytes | None] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        return future

    def finish(self, key: str, future: asyncio.Future[bytes | None], body: bytes | None) -> None:
        self._inflight.pop(key, None)
        if not future.done():
            future.set_result(body)

    async def claim(self, key: str) -> bool:
        """Across processes: the first miss takes a short lock and computes; the others wait."""
        ttl_ms = max(int(self._lock_wait * 1000), 1)
        return bool(await self.guard.run("lock", lambda r: r.set(LOCK + key, b"1", nx=True, px=ttl_ms)))

    async def release(self, key: str) -> None:
        await self.guard.run("unlock", lambda r: r.delete(LOCK + key))

    async def wait_for(self, key: str) -> bytes | None:
        """Poll for the entry another process is computing, up to the lock wait."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._lock_wait
        delay = 0.005
        while loop.time() < deadline:
            await asyncio.sleep(delay)
            value = await self.guard.run("wait", lambda r: r.get(key))
            if value is not None:
                return value
            delay = min(delay * 2, 0.05)
        return None


__all__ = ["Lookup", "ResponseCache", "RedisUnavailable", "request_digest"]
