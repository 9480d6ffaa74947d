"""Persisted queries: Apollo's automatic persisted queries (APQ) and an allow-list mode.

APQ: a client first sends only ``extensions.persistedQuery.sha256Hash``; if the proxy does
not know it, it answers a ``PersistedQueryNotFound`` error (HTTP 200, as Apollo clients
expect) and the client repeats the request with the query text, which is stored in Redis
(jim:pq:apq:<hash>, expiring after APQ_TTL_SECONDS) once its hash is checked and the
document has passed the proxy's checks (it parses, selects an operation, fits the limits:
:meth:`PersistedQueries.register`, after it ran) — so no one can park arbitrary text in Redis for a
week. Texts kept in process memory are bounded in number and in total size.

Allow-list (PERSISTED_QUERIES_ONLY=true): only operations registered with
`jim queries register DIR` (jim:pq:op:<hash>, never expiring) run, whether the client sends
the hash or the full text; clients cannot register new ones. Registered operations are
kept in process memory once seen, so a Redis outage does not stop known operations.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict

from proxy.errors import ApiError
from proxy.redis_guard import RedisGuard, RedisUnavailable
from proxy.request import GraphQLRequest

REGISTERED = "jim:pq:op:"
AUTOMATIC = "jim:pq:apq:"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class PersistedQueryNotFound(Exception):
    """Answered as Apollo's PersistedQueryNotFound error so the client sends the text."""

    body = {"errors": [{"message": "PersistedQueryNotFound",
                        "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}]}


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class PersistedQueries:
    MEMORY = 4096
    MEMORY_CHARS = 8_000_000  # at most this much query text in process memory

    def __init__(self, guard: RedisGuard, *, allow_list_only: bool, apq_ttl: int) -> None:
        self._guard = guard
        self.allow_list_only = allow_list_only
        self._ttl = apq_ttl
        self._memory: OrderedDict[str, str] = OrderedDict()  # hash -> text (registered, or APQ)
        self._memory_chars = 0
        self._registered: set[str] = set()

    async def resolve(self, gql: GraphQLRequest) -> str | None:
        """The query text to run (None when there is none: the engine reports it)."""
        requested = self._requested_hash(gql)
        if requested is None:
            if self.allow_list_only and gql.query is not None:
                await self._require_registered(sha256(gql.query))
            return gql.query
        if gql.query is not None:
            if sha256(gql.query) != requested:
                raise ApiError(400, "PERSISTED_QUERY_HASH_MISMATCH", "provided sha does not match query")
            if self.allow_list_only:
                await self._require_registered(requested)
            return gql.query
        text = await self._find(requested)
        if text is None:
            if self.allow_list_only:
                raise ApiError(400, "OPERATION_NOT_ALLOWED", "This operation is not registered.")
            raise PersistedQueryNotFound()
        return text

    async def register(self, gql: GraphQLRequest) -> None:
        """Store an APQ text the client sent with its hash (resolve checked the hash). Called
        once the document has passed the proxy's own checks."""
        if self.allow_list_only or gql.query is None or not gql.extensions:
            return
        requested = self._requested_hash(gql)
        if requested is not None:
            await self._remember(requested, gql.query)

    @staticmethod
    def _requested_hash(gql: GraphQLRequest) -> str | None:
        extension = (gql.extensions or {}).get("persistedQuery")
        if extension is None:
            return None
        if not isinstance(extension, dict) or extension.get("version", 1) != 1:
            raise ApiError(400, "PERSISTED_QUERY_NOT_SUPPORTED", "Only persistedQuery version 1 is supported.")
        digest = extension.get("sha256Hash")
        if not isinstance(digest, str) or not _SHA256.match(digest.lower()):
            raise ApiError(400, "BAD_REQUEST", "persistedQuery.sha256Hash must be a hex SHA-256.")
        return digest.lower()

    async def _find(self, digest: str) -> str | None:
        text = self._memory.get(digest)
        if text is not None and (digest in self._registered or not self.allow_list_only):
            return text
        keys = [REGISTERED + digest] if self.allow_list_only else [REGISTERED + digest, AUTOMATIC + digest]
        try:
            values = await self._guard.run("persisted_get", lambda r: r.mget(keys))
        except RedisUnavailable:
            return None
        for key, value in zip(keys, values, strict=True):
            if value is not None:
                text = value.decode()
                if key.startswith(REGISTERED):
                    self._registered.add(digest)
                self._keep(digest, text)
                return text
        return None

    async def _require_registered(self, digest: str) -> None:
        if digest in self._registered or await self._find(digest) is not None:
            return
        raise ApiError(400, "OPERATION_NOT_ALLOWED", "This operation is not registered.")

    async def _remember(self, digest: str, text: str) -> None:
        if digest in self._memory:
            return
        self._keep(digest, text)
        try:
            await self._guard.run("persisted_set", lambda r: r.set(AUTOMATIC + digest, text, ex=self._ttl))
        except RedisUnavailable:
            pass  # the client will send the text again; nothing is lost

    def _keep(self, digest: str, text: str) -> None:
        previous = self._memory.get(digest)
        if previous is not None:
            self._memory_chars -= len(previous)
        self._memory[digest] = text
        self._memory_chars += len(text)
        self._memory.move_to_end(digest)
        while len(self._memory) > self.MEMORY or (self._memory_chars > self.MEMORY_CHARS and len(self._memory) > 1):
            old, dropped = self._memory.popitem(last=False)
            self._memory_chars -= len(dropped)
            self._registered.discard(old)
