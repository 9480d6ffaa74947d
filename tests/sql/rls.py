"""Helpers for row-level security tests: run statements as an actor inside a savepoint
that is rolled back, and assert denials by SQLSTATE."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest

from tests.support import ADMIN, ALICE, ALICE_ID, BOB, BOB_ID, CAROL, WORKER, Actor, act_as

INSUFFICIENT_PRIVILEGE = "42501"  # missing grant, or a row violating a policy's WITH CHECK


@contextmanager
def acting(conn: psycopg.Connection, actor: Actor) -> Iterator[psycopg.Connection]:
    """Act as `actor` until the block ends; everything done inside is rolled back."""
    with conn.transaction(force_rollback=True):
        act_as(conn, actor)
        yield conn


def ids(conn: psycopg.Connection, query: str, params: Any = None) -> set:
    return {row[0] for row in conn.execute(query, params).fetchall()}


def rowcount(conn: psycopg.Connection, query: str, params: Any = None) -> int:
    """Rows affected by a write, inside a savepoint so the outer test state is kept."""
    with conn.transaction(force_rollback=True):
        return conn.execute(query, params).rowcount


def assert_denied(conn: psycopg.Connection, query: str, params: Any = None,
                  sqlstate: str = INSUFFICIENT_PRIVILEGE) -> psycopg.Error:
    with pytest.raises(psycopg.Error) as caught:
        with conn.transaction():
            conn.execute(query, params)
    assert caught.value.sqlstate == sqlstate, f"{caught.value.sqlstate}: {caught.value}"
    return caught.value


def assert_allowed(conn: psycopg.Connection, query: str, params: Any = None) -> list:
    with conn.transaction(force_rollback=True):
        cur = conn.execute(query, params)
        return cur.fetchall() if cur.description else []


def assert_seen_by_member_and_accepted_coach(conn: psycopg.Connection, members_seen: Any) -> None:
    """Rows owned by alice and bob (members_seen(conn) -> their member ids, as text): each
    member sees only their own, carol only alice's (she coaches alice; bob's request is
    pending), admin and worker see both. The analysis tables share this rule."""
    with acting(conn, ALICE):
        assert members_seen(conn) == {ALICE_ID}
    with acting(conn, BOB):
        assert members_seen(conn) == {BOB_ID}
    with acting(conn, CAROL):
        assert members_seen(conn) == {ALICE_ID}
    for actor in (ADMIN, WORKER):
        with acting(conn, actor):
            assert members_seen(conn) >= {ALICE_ID, BOB_ID}
