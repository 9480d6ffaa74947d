"""Prometheus metrics of the proxy.

Under `jim proxy` several worker processes serve requests, so the metrics use
prometheus-client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR, set by the CLI) and
/metrics aggregates every worker's numbers. Run in a single process (tests, uvicorn) the
default registry is used.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as _multiprocess

REQUESTS = Counter(
    "jim_proxy_requests_total",
    "GraphQL requests by operation type and outcome (ok, graphql_error, client_error, server_error)",
    ["operation", "outcome"],
)
LATENCY = Histogram(
    "jim_proxy_request_duration_seconds",
    "Time to answer a GraphQL request, by operation type",
    ["operation"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
AUTH_FAILURES = Counter(
    "jim_proxy_auth_failures_total", "Refused bearer tokens, by reason", ["reason"]
)
JWKS_FETCHES = Counter(
    "jim_proxy_jwks_fetches_total", "Fetches of the realm's signing keys (start, unknown kid)"
)
POOL = Gauge(
    "jim_proxy_db_pool_connections",
    "Postgres pool connections by state (size, idle, waiting requests)",
    ["state"],
    multiprocess_mode="livesum",
)
CACHE = Counter(
    "jim_proxy_cache_total", "Response cache lookups by result (hit, miss, bypass)", ["result"]
)
CACHE_ERRORS = Counter(
    "jim_proxy_cache_errors_total", "Redis failures (the request was answered uncached)", ["operation"]
)
RATE_LIMITED = Counter("jim_proxy_rate_limited_total", "Requests refused with 429")
LIMIT_REFUSALS = Counter(
    "jim_proxy_limit_refusals_total", "Operations refused by a limit before reaching the database", ["limit"]
)


@lru_cache(maxsize=256)
def child(metric: Any, *labels: str) -> Any:
    """metric.labels(*labels), looked up once per label set: labels() takes a lock and
    builds its key on every call, which the hot path need not pay."""
    return metric.labels(*labels)


def record_pool(stats: dict[str, int]) -> None:
    POOL.labels("size").set(stats.get("pool_size", 0))
    POOL.labels("idle").set(stats.get("pool_available", 0))
    POOL.labels("waiting").set(stats.get("requests_waiting", 0))


def render() -> tuple[bytes, str]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        _multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
