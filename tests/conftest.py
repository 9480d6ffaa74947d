"""Session-wide fixtures: the migrated and seeded test database, and rolled-back
transactions for each test. The test database (TEST_DATABASE_URL, set by `./dev test`) is
created when missing, migrated (idempotent) and seeded (idempotent) once per session."""

from __future__ import annotations

import os
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from jim.db import migrate as migrations
from jim.db import seed as seeds
from jim.db.connect import database_name, with_database
from jim.settings import DbSettings

DEFAULT_TEST_DATABASE_URL = "postgresql://jim:jim@127.0.0.1:5432/jim_test"


def create_database_if_missing(url: str) -> None:
    name = database_name(url)
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        if conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone() is None:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def database_url() -> str:
    """The migrated, seeded test database."""
    url = os.environ.get("TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)
    create_database_if_missing(url)
    settings = DbSettings(database_url=url, jim_env="test")
    migrations.migrate(settings)
    seeds.seed_demo(url)
    return url


@pytest.fixture
def db(database_url: str) -> Iterator[psycopg.Connection]:
    """A connection inside a transaction that is rolled back after the test."""
    with psycopg.connect(database_url) as conn:
        # Open the outer transaction now, so every `conn.transaction()` inside a test is a
        # savepoint of it and nothing a test does is ever committed.
        conn.execute("select 1")
        try:
            yield conn
        finally:
            conn.rollback()
