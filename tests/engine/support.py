"""Calling graphql.resolve from tests (engine tests and the API tests in tests/sql)."""

from __future__ import annotations

import json
from typing import Any

import psycopg


def resolve(conn: psycopg.Connection, query: str, variables: dict | None = None,
            operation_name: str | None = None) -> dict[str, Any]:
    row = conn.execute(
        "select graphql.resolve(%s, %s::jsonb, %s)",
        (query, json.dumps(variables or {}), operation_name),
    ).fetchone()
    assert row is not None
    return row[0]


def data(conn: psycopg.Connection, query: str, variables: dict | None = None) -> dict[str, Any]:
    """The ``data`` of a response that must have no errors."""
    result = resolve(conn, query, variables)
    assert "errors" not in result, result
    return result["data"]


def error(conn: psycopg.Connection, query: str, variables: dict | None = None) -> str:
    """The single error message of a response that must fail."""
    result = resolve(conn, query, variables)
    assert result.get("data") is None and len(result["errors"]) == 1, result
    return result["errors"][0]["message"]
