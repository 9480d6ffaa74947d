"""Running an operation through the response cache.

Queries: look the entry up (one Redis round trip); on a miss, one caller computes and the
identical concurrent misses wait for it — in this process through a shared future, across
processes through a short Redis lock and polling — and the result is stored unless it has
errors. Mutations: run, then bump the versions of the tables they write before answering,
so the caller's next read sees its write (read-your-writes). Whenever Redis or the
invalidation listener is unavailable the operation runs uncached (BYPASS): the cache can
make a request faster, never wrong and never failed.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import psycopg
from psycopg_pool import PoolTimeout

from proxy.auth import Identity
from proxy.cache import EPOCH, ResponseCache, request_digest
from proxy.executor import Executor, Outcome
from proxy.invalidation import InvalidationListener
from proxy.limits import RateLimiter, RateTicket
from proxy.metrics import CACHE, child
from proxy.operation import Operation
from proxy.redis_guard import RedisUnavailable
from proxy.request import GraphQLRequest
from proxy.tables import TableResolver

log = logging.getLogger("jim.proxy.cache")

HIT, MISS, BYPASS = "HIT", "MISS", "BYPASS"


@dataclass(frozen=True)
class Answer:
    body: str | bytes
    has_errors: bool
    cache: str


class CachedExecutor:
    def __init__(self, executor: Executor, cache: ResponseCache | None, tables: TableResolver,
                 listener: InvalidationListener | None, ttl_for, limiter: RateLimiter) -> None:
        self.limiter = limiter
        self.executor = executor
        self.cache = cache
        self.tables = tables
        self.listener = listener
        self.ttl_for = ttl_for

    async def run(self, identity: Identity, gql: GraphQLRequest, query: str | None,
                  operation: Operation | None, *, bypass: bool, ticket: RateTicket | None) -> Answer:
        """Answer the operation. The rate limit is applied before the database is asked
        anything; on a cache lookup it travels in the same Redis round trip."""
        kind = operation.kind if operation else None
        if kind == "mutation":
            await self.limiter.check(ticket)
            return await self._mutation(identity, gql, query, operation)
        ttl = self.ttl_for(operation.name if operation else gql.operation_name)
        usable = (
            self.cache is not None and kind == "query" and not bypass and ttl > 0
            and self.listener is not None and self.listener.healthy and not self.cache.guard.skipping
        )
        if usable and query is not None and operation is not None:
            variant = operation.plan_variant(gql.variables)
            tables = self.tables.known(operation.normalized, gql.operation_name, identity.role, variant)
            if tables is None:
                await self.limiter.check(ticket)  # asking the engine for the tables is database work
                ticket = None
                tables = await self.tables.for_operation(
                    operation.normalized, gql.operation_name, identity.role, variant, identity.claims_text,
                    query, gql.variables,
                )
            if tables is not None:
                digest = request_digest(operation.normalized, gql.variables, gql.operation_name,
                                        identity.role, identity.cache_identity)
                rate = (ticket.key, ticket.window + 1) if ticket is not None else None
                try:
                    found = await self.cache.lookup(digest, tables.reads, rate)  # type: ignore[union-attr]
                except RedisUnavailable:
                    found = None
                if ticket is not None and found is not None and found.rate_count is not None:
                    ticket.verdict(found.rate_count)
                    ticket = None
                if found is not None and found.value is not None:
                    child(CACHE, "hit").inc()
                    return Answer(found.value, False, HIT)
                if found is not None and found.key is not None:
                    return await self._compute(found.key, identity, gql, query, ttl)
        await self.limiter.check(ticket)
        child(CACHE, "bypass").inc()
        outcome = await self._execute(identity, gql, query)
        return Answer(outcome.body, outcome.has_errors, BYPASS)

    async def _execute(self, identity: Identity, gql: GraphQLRequest, query: str | None,
                       *, read_only: bool = True) -> Outcome:
        return await self.executor.resolve(identity.role, identity.claims_text, query, gql.variables,
                                           gql.operation_name, gql.extensions,
                                           retry_on_broken_connection=read_only)

    async def _compute(self, key: str, identity: Identity, gql: GraphQLRequest, query: str,
                       ttl: int) -> Answer:
        cache = self.cache
        assert cache is not None
        leader = cache.joined(key)
        if leader is not None:
            body = await asyncio.shield(leader)
            if body is not None:
                child(CACHE, "hit").inc()
                return Answer(body, False, HIT)
            outcome = await self._execute(identity, gql, query)
            return Answer(outcome.body, outcome.has_errors, MISS)
        future = cache.begin(key)
        result: bytes | None = None
        try:
            try:
                claimed = await cache.claim(key)
            except RedisUnavailable:
                claimed = True
            if not claimed:
                try:
                    result = await cache.wait_for(key)
                except RedisUnavailable:
                    result = None
                if result is not None:
                    child(CACHE, "hit").inc()
                    return Answer(result, False, HIT)
            child(CACHE, "miss").inc()
            outcome = await self._execute(identity, gql, query)
            if not outcome.has_errors:
                result = outcome.body.encode()
                try:
                    await cache.store(key, result, ttl)
                except RedisUnavailable:
                    pass
            if claimed:
                try:
                    await cache.release(key)
                except RedisUnavailable:
                    pass
            return Answer(outcome.body, outcome.has_errors, MISS)
        finally:
            cache.finish(key, future, result)

    async def _mutation(self, identity: Identity, gql: GraphQLRequest, query: str | None,
                        operation: Operation | None) -> Answer:
        outcome = await self._execute(identity, gql, query, read_only=False)
        if self.cache is not None and query is not None and operation is not None:
            # The mutation has run (and maybe committed): whatever happens now, its answer
            # goes back. Tables the database cannot name right now count as all of them.
            written: tuple[str, ...]
            try:
                tables = await self.tables.for_operation(
                    operation.normalized, gql.operation_name, identity.role,
                    operation.plan_variant(gql.variables), identity.claims_text, query, gql.variables,
                )
                written = tables.writes if tables is not None else await self.tables.tracked()
            except (psycopg.Error, PoolTimeout) as exc:
                log.warning("the tables a mutation wrote are unknown: every cache entry is dropped",
                            extra={"error": type(exc).__name__})
                written = (EPOCH,)
            try:
                await self.cache.bump(written)
            except RedisUnavailable:
                pass  # the guard starts a new epoch before Redis serves anything again
        child(CACHE, "bypass").inc()
        return Answer(outcome.body, outcome.has_errors, BYPASS)
