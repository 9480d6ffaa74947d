"""Limits checked before the database is touched: the operation's shape (depth, fields,
aliases; the body size is checked while reading it) and a per-caller request rate.

The rate limit is a fixed window counted in Redis (one INCR+EXPIRE round trip), per user
for authenticated callers and per client IP (IPv6: per /64) for anonymous ones (behind
nginx the IP comes from X-Forwarded-For, which uvicorn trusts from the local nginx only).
Over the limit the answer is 429 with Retry-After. If Redis is unavailable the request is
not limited: the rate limit protects the database, and nginx keeps its own coarse limit
per IP.
"""

from __future__ import annotations

import ipaddress
import math
import time
from dataclasses import dataclass

from proxy.errors import ApiError
from proxy.metrics import LIMIT_REFUSALS, RATE_LIMITED
from proxy.operation import MAX_INTROSPECTION_FIELDS, Operation
from proxy.redis_guard import RedisGuard, RedisUnavailable


def check_shape(operation: Operation, *, max_depth: int, max_fields: int, max_aliases: int) -> None:
    if operation.depth > max_depth:
        LIMIT_REFUSALS.labels("depth").inc()
        raise ApiError(400, "DEPTH_LIMIT_EXCEEDED",
                       f"The operation is {operation.depth} levels deep; the limit is {max_depth}.")
    if operation.fields > max_fields:
        LIMIT_REFUSALS.labels("fields").inc()
        raise ApiError(400, "FIELD_LIMIT_EXCEEDED",
                       f"The operation selects {operation.fields} fields; the limit is {max_fields}.")
    if operation.introspection_fields > MAX_INTROSPECTION_FIELDS:
        LIMIT_REFUSALS.labels("fields").inc()
        raise ApiError(400, "FIELD_LIMIT_EXCEEDED",
                       f"The introspection selects {operation.introspection_fields} fields (fragments "
                       f"counted where they are spread); the limit is {MAX_INTROSPECTION_FIELDS}.")
    if operation.aliases > max_aliases:
        LIMIT_REFUSALS.labels("aliases").inc()
        raise ApiError(400, "ALIAS_LIMIT_EXCEEDED",
                       f"The operation uses {operation.aliases} aliases; the limit is {max_aliases}.")


@dataclass(frozen=True)
class RateTicket:
    """One request's place in its caller's rate window (counted by RateLimiter.check, or
    in the same Redis round trip as the cache lookup)."""

    key: str
    limit: int
    window: int
    window_index: int
    now: float

    def verdict(self, used: int) -> None:
        if used <= self.limit:
            return
        RATE_LIMITED.inc()
        retry_after = max(1, math.ceil((self.window_index + 1) * self.window - self.now))
        raise ApiError(
            429, "RATE_LIMITED",
            f"Too many requests: {self.limit} per {self.window} s. Retry in {retry_after} s.",
            headers=(("Retry-After", str(retry_after)),),
        )


def client_bucket(ip: str) -> str:
    """Whose anonymous requests count together: an IPv4 address, or an IPv6 /64 — one client
    (a home, a phone) routinely holds a whole /64, so per address it could pick a fresh one
    for every request and never be limited."""
    if ":" not in ip:
        return ip
    try:
        address = ipaddress.IPv6Address(ip.split("%", 1)[0])
    except ValueError:
        return ip
    if address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return f"{ipaddress.IPv6Address(int(address) >> 64 << 64)}/64"


class RateLimiter:
    def __init__(self, guard: RedisGuard, *, user_limit: int, anon_limit: int, window: int) -> None:
        self._guard = guard
        self._user_limit = user_limit
        self._anon_limit = anon_limit
        self._window = window

    def ticket(self, user_id: str | None, client_ip: str) -> RateTicket | None:
        limit = self._user_limit if user_id else self._anon_limit
        if limit <= 0:
            return None
        now = time.time()
        window_index = int(now // self._window)
        key = f"jim:rl:{'u:' + user_id if user_id else 'ip:' + client_bucket(client_ip)}:{window_index}"
        return RateTicket(key, limit, self._window, window_index, now)

    async def check(self, ticket: RateTicket | None) -> None:
        if ticket is None:
            return

        async def count(r) -> int:
            async with r.pipeline(transaction=False) as pipe:
                pipe.incr(ticket.key)
                pipe.expire(ticket.key, ticket.window + 1)
                used, _ = await pipe.execute()
            return int(used)

        try:
            used = await self._guard.run("rate_limit", count)
        except RedisUnavailable:
            return
        ticket.verdict(used)
