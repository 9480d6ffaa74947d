"""Engine fixtures: the database ``jim_engine_test`` (same server as TEST_DATABASE_URL; another
name through JIM_ENGINE_TEST_DATABASE, so parallel work on one server need not share it) with
the engine installed and ``fixture.sql`` loaded once per session; each test runs in a
transaction that is rolled back."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from jim.db.connect import database_name, with_database
from jimgql.install import install_into

HERE = Path(__file__).parent
DEFAULT_TEST_DATABASE_URL = "postgresql://jim:jim@127.0.0.1:5432/jim_test"
ENGINE_DATABASE = os.environ.get("JIM_ENGINE_TEST_DATABASE", "jim_engine_test")


def _ensure_database(url: str) -> None:
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        name = database_name(url)
        if conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone() is None:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def engine_url() -> str:
    base = os.environ.get("TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)
    url = with_database(base, ENGINE_DATABASE)
    _ensure_database(url)
    with psycopg.connect(url, autocommit=True) as conn:
        install_into(conn)
        conn.execute("set client_min_messages = warning")
        conn.execute((HERE / "fixture.sql").read_text())  # type: ignore[arg-type]  # repository file
    return url


@pytest.fixture
def engine_conn(engine_url: str) -> Iterator[psycopg.Connection]:
    """A connection to the engine fixture database inside a transaction rolled back after."""
    with psycopg.connect(engine_url) as conn:
        try:
            yield conn
        finally:
            conn.rollback()
