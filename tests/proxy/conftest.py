"""Fixtures for the proxy tests: the real Keycloak, and a real `jim proxy` process on a free
port against the test database (one for the session; tests needing other settings start
their own).

The proxy tests use a database of their own (the test database's name + `_proxy`, created,
migrated and seeded like it): the cache tests count on no one else changing the schema
under them (DDL starts a new cache epoch), which other suites do in the shared database.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest

from jim.db import migrate as migrations
from jim.db import seed as seeds
from jim.db.connect import database_name, with_database
from jim.settings import DbSettings
from tests.conftest import DEFAULT_TEST_DATABASE_URL, create_database_if_missing
from tests.proxy.servers import (
    DEV_USERS,
    REALM_URL,
    ProxyServer,
    RedisServer,
    keycloak_token,
    running_proxy,
    running_redis,
)

# Settings of the session's proxy: a short JWKS refetch interval so the key-rotation test
# need not wait, and a small body limit to test it.
SESSION_PROXY = {
    "JWKS_MIN_REFRESH_SECONDS": "0.5",
    "CORS_ORIGINS": "http://localhost:19006",
    "MAX_BODY_BYTES": "20000",
    "RATE_LIMIT_REQUESTS": "0",
    "RATE_LIMIT_ANON_REQUESTS": "0",
}


@pytest.fixture(scope="session")
def database_url() -> str:
    base = os.environ.get("TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)
    url = with_database(base, database_name(base) + "_proxy")
    create_database_if_missing(url)
    migrations.migrate(DbSettings(database_url=url, jim_env="test"))
    seeds.seed_demo(url)
    return url


@pytest.fixture(scope="session")
def keycloak() -> str:
    try:
        httpx.get(f"{REALM_URL}/.well-known/openid-configuration", timeout=5).raise_for_status()
    except httpx.HTTPError as exc:
        pytest.fail(f"Keycloak is not reachable at {REALM_URL} ({exc}); ./dev test starts it")
    return REALM_URL


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A private Redis for the session's proxy."""
    with running_redis() as server:
        yield server


@pytest.fixture(scope="session")
def proxy(database_url: str, keycloak: str, redis_server: RedisServer) -> Iterator[ProxyServer]:
    with running_proxy(database_url, REDIS_URL=redis_server.url, **SESSION_PROXY) as server:
        yield server


@pytest.fixture(scope="session")
def tokens(keycloak: str) -> dict[str, str]:
    return {user: keycloak_token(user) for user in DEV_USERS}
