"""POST/GET /graphql: parse the HTTP request, identify the caller, run the operation.

Status codes follow GraphQL over HTTP: with ``application/json`` every well-formed request
that was executed answers 200 (errors are in the body); with
``application/graphql-response+json`` a response without data (a request error such as a
syntax or validation error) answers 400. Mutations are refused over GET with 405.
"""

from __future__ import annotations

import json
import logging
import time

import psycopg
from psycopg_pool import PoolTimeout
from starlette.requests import Request
from starlette.responses import Response

from proxy.auth import Authenticator
from proxy.cached_execution import CachedExecutor
from proxy.errors import ApiError, from_exception
from proxy.limits import RateLimiter, check_shape
from proxy.metrics import LATENCY, REQUESTS
from proxy.operation import analyse, has_mutation
from proxy.persisted import PersistedQueries, PersistedQueryNotFound
from proxy.request import GRAPHQL_RESPONSE, parse_get, parse_post, read_body, response_media_type

log = logging.getLogger("jim.proxy.graphql")


def error_response(error: ApiError, media_type: str = "application/json") -> Response:
    return Response(
        json.dumps(error.body()),
        status_code=error.status,
        media_type=media_type,
        headers=dict(error.headers),
    )


def wants_bypass(request: Request) -> bool:
    """The client asks for a fresh answer: Cache-Control: no-cache / no-store, or X-Cache-Bypass."""
    control = request.headers.get("cache-control", "").lower()
    return "no-cache" in control or "no-store" in control or request.headers.get("x-cache-bypass") is not None


class GraphQLEndpoint:
    def __init__(self, authenticator: Authenticator, runner: CachedExecutor,
                 persisted: PersistedQueries, rate_limiter: RateLimiter, settings) -> None:
        self.authenticator = authenticator
        self.runner = runner
        self.persisted = persisted
        self.rate_limiter = rate_limiter
        self.settings = settings

    async def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        state = request.scope.setdefault("state", {})
        kind = "unknown"
        media_type = "application/json"
        try:
            media_type = response_media_type(request)
            if request.method == "POST":
                gql = parse_post(request, await read_body(request, self.settings.max_body_bytes))
            else:
                gql = parse_get(request)
            identity = await self.authenticator.identify(request.headers.get("authorization"))
            state["role"] = identity.role
            query = await self.persisted.resolve(gql)
            operation = analyse(query, gql.operation_name) if query else None
            kind = operation.kind if operation else "unknown"
            state["operation"] = kind
            if operation is not None:
                s = self.settings
                check_shape(operation, max_depth=s.max_depth, max_fields=s.max_fields, max_aliases=s.max_aliases)
            if request.method == "GET" and (
                kind != "query" and (operation is not None or has_mutation(query or ""))
            ):
                raise ApiError(
                    405, "METHOD_NOT_ALLOWED", "Only queries may be sent with GET; POST mutations.",
                    headers=(("Allow", "POST"),),
                )
            ticket = self.rate_limiter.ticket(identity.user_id, request.client.host if request.client else "-")
            answer = await self.runner.run(identity, gql, query, operation,
                                           bypass=wants_bypass(request), ticket=ticket)
        except PersistedQueryNotFound as missing:
            self._count(kind, "client_error", started)
            return Response(json.dumps(missing.body), media_type=media_type)
        except ApiError as error:
            self._count(kind, "client_error" if error.status < 500 else "server_error", started)
            return error_response(error, media_type)
        except (psycopg.Error, PoolTimeout) as exc:
            mapped = from_exception(exc)
            level = logging.WARNING if mapped.status < 500 else logging.ERROR
            log.log(level, "database error", extra={"sqlstate": getattr(exc, "sqlstate", None),
                                                     "error": type(exc).__name__})
            self._count(kind, "client_error" if mapped.status < 500 else "server_error", started)
            return error_response(mapped, media_type)
        except Exception:  # a bug: logged with its traceback, answered without it
            log.exception("unexpected error")
            self._count(kind, "server_error", started)
            return error_response(ApiError(500, "INTERNAL", "Internal error."), media_type)
        status = 200
        if answer.has_errors and media_type == GRAPHQL_RESPONSE:
            if json.loads(answer.body).get("data") is None:
                status = 400
        state["cache"] = answer.cache
        self._count(kind, "graphql_error" if answer.has_errors else "ok", started)
        return Response(answer.body, status_code=status, media_type=media_type,
                        headers={"X-Cache": answer.cache})

    @staticmethod
    def _count(kind: str, outcome: str, started: float) -> None:
        REQUESTS.labels(kind, outcome).inc()
        LATENCY.labels(kind).observe(time.perf_counter() - started)
