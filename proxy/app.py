"""The FastAPI application: wiring of settings, keys, pool and routes.

`create_app()` builds everything from one ProxySettings object. Start-up checks what can be
checked (every allowed role is granted to the login role; the realm's keys are fetched)
and the pool opens; /readyz reports what is not ready yet instead of refusing to start
when Keycloak is merely slower to boot than the proxy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import psycopg
from fastapi import FastAPI
from keycloak import KeycloakOpenID
from psycopg_pool import AsyncConnectionPool
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from jim.settings import load
from proxy import graphiql, logs, metrics
from proxy.auth import Authenticator
from proxy.cache import ResponseCache
from proxy.cached_execution import CachedExecutor
from proxy.endpoint import GraphQLEndpoint
from proxy.errors import error_body
from proxy.executor import Executor, can_resolve_directly
from proxy.invalidation import InvalidationListener
from proxy.keys import KeyStore
from proxy.limits import RateLimiter
from proxy.middleware import RequestContext
from proxy.persisted import PersistedQueries
from proxy.redis_guard import RedisGuard
from proxy.roles import RoleMapper, check_granted
from proxy.settings import ProxySettings
from proxy.tables import TableResolver
from proxy.tokens import TokenVerifier, VerifierConfig

log = logging.getLogger("jim.proxy")


def check_roles(settings: ProxySettings) -> bool:
    """Refuse to start unless `authenticator` has been granted every allowed role; say
    whether it may call graphql.resolve itself (the one-statement request, executor.py)."""
    with psycopg.connect(settings.authenticator_url, connect_timeout=10) as conn:
        check_granted(conn, frozenset(settings.allowed_roles))
        return can_resolve_directly(conn)


# What /readyz needs to answer 200: without these no request can be answered correctly.
REQUIRED_FOR_READINESS = ("database", "keycloak_keys")


class Proxy:
    """The per-process objects every request uses."""

    def __init__(self, settings: ProxySettings, *, one_statement: bool = True) -> None:
        self.settings = settings
        self.openid = KeycloakOpenID(
            server_url=settings.keycloak_url + "/",
            realm_name=settings.keycloak_realm,
            client_id=settings.keycloak_client_id,
            timeout=5,
        )
        self.keys = KeyStore(self.openid, min_refresh_seconds=settings.jwks_min_refresh_seconds)
        self.verifier = TokenVerifier(
            self.openid,
            self.keys,
            VerifierConfig(
                issuers=tuple(settings.issuers),
                audience=settings.jwt_audience,
                authorized_parties=tuple(settings.jwt_authorized_parties),
                algorithms=tuple(settings.jwt_algorithms),
                leeway_seconds=settings.jwt_leeway_seconds,
                cache_size=settings.token_cache_size,
            ),
        )
        allowed = frozenset(settings.allowed_roles)
        self.mapper = RoleMapper(
            mapping=tuple(settings.role_mapping.items()),
            default_role=settings.default_role,
            anon_role=settings.anon_role,
            allow_anonymous=settings.allow_anonymous,
            allowed=allowed,
        )
        self.pool = AsyncConnectionPool(
            settings.authenticator_url,
            min_size=settings.db_pool_min_size,
            max_size=settings.db_pool_max_size,
            kwargs={"application_name": f"jim-proxy:{settings.proxy_port}", "autocommit": True},
            timeout=10.0,
            open=False,
        )
        self.executor = Executor(
            self.pool, allowed, {r: settings.statement_timeout_ms(r) for r in allowed},
            one_statement=one_statement,
        )
        self.authenticator = Authenticator(
            self.verifier, self.mapper, self.executor, provision=settings.provision_members,
            identity_cache_size=settings.token_cache_size,
        )
        self.redis = RedisGuard(
            settings.redis_url, timeout_ms=settings.redis_timeout_ms, retry_seconds=settings.redis_retry_seconds
        )
        self.tables = TableResolver(self.pool, self.executor.timeouts)
        self.cache: ResponseCache | None = None
        self.listener: InvalidationListener | None = None
        if settings.cache_enabled:
            self.cache = ResponseCache(self.redis, lock_wait_ms=settings.cache_lock_wait_ms)
            self.listener = InvalidationListener(settings.authenticator_url, self.cache, self.tables.clear)
        self.rate_limiter = RateLimiter(
            self.redis, user_limit=settings.rate_limit_requests,
            anon_limit=settings.rate_limit_anon_requests, window=settings.rate_limit_window_seconds,
        )
        self.runner = CachedExecutor(
            self.executor, self.cache, self.tables, self.listener, settings.ttl_for, self.rate_limiter
        )
        self.persisted = PersistedQueries(
            self.redis, allow_list_only=settings.persisted_queries_only, apq_ttl=settings.apq_ttl_seconds
        )
        self.endpoint = GraphQLEndpoint(
            self.authenticator, self.runner, self.persisted, self.rate_limiter, settings
        )

    async def start(self) -> None:
        await self.pool.open(wait=False)
        await self.keys.refresh()
        await self.redis.ping()
        if self.listener is not None:
            self.listener.start()

    async def stop(self) -> None:
        if self.listener is not None:
            await self.listener.stop()
        await self.redis.close()
        await self.pool.close()

    async def readiness(self) -> dict[str, bool]:
        checks: dict[str, bool] = {}
        try:
            await self.executor.ping()
            checks["database"] = True
        except Exception:
            checks["database"] = False
        if not self.keys.loaded:
            await self.keys.refresh(force=False)
        checks["keycloak_keys"] = self.keys.loaded
        # Redis and the invalidation listener are accelerators: without them the proxy answers
        # correctly, uncached. They are reported (status "degraded") but keep /readyz 200, so
        # a Redis outage neither takes the proxies out of nginx nor makes Swarm restart them.
        checks["redis"] = await self.redis.ping()
        if self.listener is not None:
            checks["invalidation_listener"] = self.listener.healthy
        return checks


async def _report_pool(pool: AsyncConnectionPool) -> None:
    while True:
        metrics.record_pool(pool.get_stats())
        await asyncio.sleep(2)


async def _refresh_keys(keys: KeyStore, every: float) -> None:
    """New keys are fetched on demand (unknown kid); this also forgets keys Keycloak removed."""
    while True:
        await asyncio.sleep(every)
        await keys.refresh()


def create_app(settings: ProxySettings | None = None) -> ASGIApp:
    settings = settings or load(ProxySettings)
    logs.configure(settings.log_level)
    one_statement = check_roles(settings)
    if not one_statement:
        log.warning("authenticator may not call graphql.resolve itself: each request uses the "
                    "two-statement pipeline (grant it EXECUTE for the one-statement form)")
    proxy = Proxy(settings, one_statement=one_statement)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await proxy.start()
        reporter = asyncio.create_task(_report_pool(proxy.pool))
        refresher = asyncio.create_task(_refresh_keys(proxy.keys, settings.jwks_refresh_seconds))
        log.info("proxy ready", extra={"roles": settings.allowed_roles, "issuers": settings.issuers,
                                       "one_statement": one_statement})
        try:
            yield
        finally:
            reporter.cancel()
            refresher.cancel()
            await proxy.stop()

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "alive"})

    async def readyz(request: Request) -> Response:
        checks = await proxy.readiness()
        ready = all(checks[name] for name in REQUIRED_FOR_READINESS)
        status = ("ready" if all(checks.values()) else "degraded") if ready else "not ready"
        return JSONResponse({"status": status, "checks": checks}, status_code=200 if ready else 503)

    async def metrics_endpoint(request: Request) -> Response:
        body, content_type = metrics.render()
        return Response(body, media_type=content_type)

    routes: list[BaseRoute] = [
        # GET/POST/HEAD never get here (RequestContext sends them straight to the endpoint);
        # the route makes other methods a 405 and lets CORS answer preflights.
        Route("/graphql", proxy.endpoint, methods=["GET", "POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
    ]
    if settings.graphiql_enabled:
        routes += graphiql.routes(settings.graphiql_assets_dir, _public_realm_url(settings), settings.keycloak_client_id)
    app = FastAPI(
        title="jim proxy", lifespan=lifespan, routes=routes,
        docs_url=None, redoc_url=None, openapi_url=None,
        exception_handlers={HTTPException: _http_error},
    )
    app.state.proxy = proxy
    cors: dict[str, Any] | None = None
    if settings.cors_origins:
        cors = {
            "allow_origins": settings.cors_origins,
            "allow_methods": ["GET", "POST"],
            "allow_headers": ["Authorization", "Content-Type", "X-Request-ID", "X-Cache-Bypass", "Cache-Control"],
            "expose_headers": ["X-Request-ID", "X-Cache", "Retry-After"],
            "max_age": 600,
        }
        app.add_middleware(CORSMiddleware, **cors)
    graphql: ASGIApp = CORSMiddleware(proxy.endpoint, **cors) if cors else proxy.endpoint
    return RequestContext(app, graphql)


_HTTP_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


async def _http_error(request: Request, exc: Exception) -> Response:
    """Routing's refusals (404, 405 — e.g. PUT /graphql) GraphQL-shaped like every other error."""
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "BAD_REQUEST" if exc.status_code < 500 else "INTERNAL")
    return JSONResponse(error_body(str(exc.detail), code), status_code=exc.status_code, headers=exc.headers)


def _public_realm_url(settings: ProxySettings) -> str:
    base = (settings.keycloak_public_url or settings.keycloak_url).rstrip("/")
    return f"{base}/realms/{settings.keycloak_realm}"
