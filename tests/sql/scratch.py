"""Scratch databases for tests that must not touch the shared test database (migration
round trips, bulk loads): created empty next to it, dropped afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql

from jim.db.connect import database_name, with_database


def _recreate(admin_url: str, name: str, *, create: bool) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        if create:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))


@contextmanager
def scratch_database(database_url: str, suffix: str) -> Iterator[str]:
    """An empty database named `<test db>_<suffix>` on the same server, for the block."""
    name = f"{database_name(database_url)}_{suffix}"
    admin = with_database(database_url, "postgres")
    _recreate(admin, name, create=True)
    try:
        yield with_database(database_url, name)
    finally:
        _recreate(admin, name, create=False)
