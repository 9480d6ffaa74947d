"""Run every golden case through ``graphql.resolve`` in a rolled-back transaction.

All cases share one connection, so they also exercise the session caches: cases that
change the schema (DDL in ``setup``) must never see, or leave behind, a stale schema.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from tests.engine import golden

FILES = sorted(golden.GOLDEN_DIR.glob("*.yaml"))
CASES = [(path, i, case) for path in FILES for i, case in enumerate(golden.load(path))]


@pytest.fixture(scope="module")
def golden_conn(engine_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(engine_url) as conn:
        yield conn


@pytest.mark.parametrize(
    ("path", "index", "case"), CASES, ids=[f"{p.stem}:{c['name']}" for p, _i, c in CASES]
)
def test_golden(golden_conn: psycopg.Connection, path, index: int, case: dict) -> None:
    try:
        golden.prepare(golden_conn, case)
        actual = golden.resolve(golden_conn, case)
        compiled = golden.compiled_sql(golden_conn, case) if case.get("sql") else None
    finally:
        golden_conn.rollback()
    if golden.UPDATE:
        cases = golden.load(path)
        cases[index]["expected"] = actual
        if compiled is not None:
            cases[index]["compiled"] = compiled
        golden.save(path, cases)
        return
    assert actual == case["expected"]
    if compiled is not None:
        assert compiled == case.get("compiled")
