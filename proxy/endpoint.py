"""POST/GET /graphql: parse the HTTP request, identify the caller, run the operation.

Status codes follow GraphQL over HTTP: with ``application/json`` every well-formed request
that was executed answers 200 (errors are in the body); with
``application/graphql-response+json`` a response without data (a request error such as a
syntax or validation error) answers 400. Mutations are refused over GET with 405.

This is the proxy's hot path, so it is a plain ASGI callable: no Request/Response objects,
the engine's JSON text is sent as it came from PostgreSQL (or Redis), never re-encoded.
"""

from __future__ import annotations

import json
import logging
import time

import psycopg
from psycopg_pool import PoolTimeout
from starlette.types import Receive, Scope, Send

from proxy.auth import Authenticator
from proxy.cached_execution import CachedExecutor
from proxy.errors import ApiError, error_body, from_exception
from proxy.limits import RateLimiter, check_shape
from proxy.metrics import LATENCY, REQUESTS, child
from proxy.operation import DocumentSyntaxError, analyse, has_mutation
from proxy.persisted import PersistedQueries, PersistedQueryNotFound
from proxy.request import (
    GRAPHQL_RESPONSE,
    ClientDisconnected,
    HttpRequest,
    parse_get,
    parse_post,
    read_body,
    response_media_type,
)

log = logging.getLogger("jim.proxy.graphql")

Headers = list[tuple[bytes, bytes]]


Answer = tuple[int, str, bytes, Headers]  # status, media type, body, extra headers


def _error(error: ApiError, media_type: str) -> Answer:
    headers = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in error.headers]
    return error.status, media_type, json.dumps(error.body()).encode(), headers


class GraphQLEndpoint:
    def __init__(self, authenticator: Authenticator, runner: CachedExecutor,
                 persisted: PersistedQueries, rate_limiter: RateLimiter, settings) -> None:
        self.authenticator = authenticator
        self.runner = runner
        self.persisted = persisted
        self.rate_limiter = rate_limiter
        self.settings = settings
        self._limits = (settings.max_depth, settings.max_fields, settings.max_aliases)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI: answer one request. The status is left in scope["state"] for the access log."""
        state = scope.setdefault("state", {})
        try:
            status, media_type, body, headers = await self.answer(HttpRequest.from_scope(scope), receive, state)
        except ClientDisconnected:
            state["status"] = 499  # nginx's code for "client closed the request"
            return
        state["status"] = status
        headers += [(b"content-type", media_type.encode()), (b"content-length", b"%d" % len(body))]
        if "request_id" in state:  # set by RequestContext, which leaves this response to us
            headers.append((b"x-request-id", state["request_id"]))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def answer(self, request: HttpRequest, receive: Receive, state: dict) -> Answer:
        """(status, media type, body, extra headers) for one request; never raises but for a
        client that went away."""
        started = time.perf_counter()
        kind = "unknown"
        media_type = "application/json"
        try:
            media_type = response_media_type(request)
            if request.method == "POST":
                gql = parse_post(request, await read_body(request, receive, self.settings.max_body_bytes))
            else:
                gql = parse_get(request, self.settings.max_body_bytes)
            identity = await self.authenticator.identify(request.headers.get(b"authorization"))
            state["role"] = identity.role
            query = await self.persisted.resolve(gql)
            operation = analyse(query, gql.operation_name, self._limits) if query else None
            kind = operation.kind if operation else "unknown"
            state["operation"] = kind
            if operation is not None:
                depth, fields, aliases = self._limits
                check_shape(operation, max_depth=depth, max_fields=fields, max_aliases=aliases)
            if request.method != "POST" and (  # GET, or HEAD: GET without a body
                kind != "query" and (operation is not None or has_mutation(query or ""))
            ):
                raise ApiError(
                    405, "METHOD_NOT_ALLOWED", "Only queries may be sent with GET; POST mutations.",
                    headers=(("Allow", "POST"),),
                )
            ticket = self.rate_limiter.ticket(identity.user_id, request.client)
            answer = await self.runner.run(identity, gql, query, operation,
                                           bypass=request.wants_bypass(), ticket=ticket)
            if operation is not None:
                await self.persisted.register(gql)  # an APQ text is stored once it passed and ran
        except ClientDisconnected:
            raise
        except DocumentSyntaxError as bad:
            # Refused here, never run: the engine's own parser accepts documents graphql-core
            # does not, and what the proxy cannot read it cannot limit (operation.py).
            self._count(kind, "client_error", started)
            if bad.too_large:
                return _error(ApiError(400, "DOCUMENT_TOO_LARGE", bad.message), media_type)
            status = 400 if media_type == GRAPHQL_RESPONSE else 200  # a request error (no data)
            return status, media_type, json.dumps(error_body(bad.message, "GRAPHQL_PARSE_FAILED")).encode(), []
        except PersistedQueryNotFound as missing:
            self._count(kind, "client_error", started)
            return 200, media_type, json.dumps(missing.body).encode(), []
        except ApiError as error:
            self._count(kind, "client_error" if error.status < 500 else "server_error", started)
            return _error(error, media_type)
        except (psycopg.Error, PoolTimeout) as exc:
            mapped = from_exception(exc)
            level = logging.WARNING if mapped.status < 500 else logging.ERROR
            log.log(level, "database error", extra={"sqlstate": getattr(exc, "sqlstate", None),
                                                     "error": type(exc).__name__})
            self._count(kind, "client_error" if mapped.status < 500 else "server_error", started)
            return _error(mapped, media_type)
        except Exception:  # a bug: logged with its traceback, answered without it
            log.exception("unexpected error")
            self._count(kind, "server_error", started)
            return _error(ApiError(500, "INTERNAL", "Internal error."), media_type)
        status = 200
        if answer.has_errors and media_type == GRAPHQL_RESPONSE:
            if json.loads(answer.body).get("data") is None:
                status = 400
        state["cache"] = answer.cache
        self._count(kind, "graphql_error" if answer.has_errors else "ok", started)
        body = answer.body if isinstance(answer.body, bytes) else answer.body.encode()
        return status, media_type, body, [(b"x-cache", answer.cache.encode())]

    @staticmethod
    def _count(kind: str, outcome: str, started: float) -> None:
        child(REQUESTS, kind, outcome).inc()
        child(LATENCY, kind).observe(time.perf_counter() - started)
