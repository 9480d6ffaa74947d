"""Comment directives: ``@graphql(<JSON>)`` inside a SQL comment configures an entity.

The same extraction runs in SQL (``graphql.comment_directive(text)``, installed by
``install.py``) and here, on the comments reflection returns. A comment without a directive
means no configuration; a directive that is not valid JSON (or a ``max_rows`` that is not an
unsigned integer) fails every request with pg_graphql's "Error while loading schema" message,
so the mistake is noticed at once.
"""

from __future__ import annotations

import json
from typing import Any

from jimgql.errors import OperationError

SCHEMA_ERROR = "Error while loading schema, check comment directives. "

_MARKER = "@graphql("


def extract(comment: str | None) -> str | None:
    """The JSON text inside ``@graphql(...)``, or None when the comment has no directive."""
    if not comment:
        return None
    start = comment.find(_MARKER)
    if start < 0:
        return None
    end = comment.rfind(")")
    if end < start + len(_MARKER):
        return None
    return comment[start + len(_MARKER) : end]


def parse(comment: str | None) -> dict[str, Any]:
    text = extract(comment)
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise OperationError(
            f"{SCHEMA_ERROR}{exc.msg.lower()} at line {exc.lineno} column {exc.colno}"
        ) from None
    if not isinstance(value, dict):
        raise OperationError(f"{SCHEMA_ERROR}invalid type: expected a JSON object")
    return value


def max_rows(directive: dict[str, Any], fallback: int) -> int:
    """``max_rows`` must be an unsigned integer (pg_graphql reads it as a u64)."""
    if "max_rows" not in directive:
        return fallback
    value = directive["max_rows"]
    if isinstance(value, bool) or not isinstance(value, int):
        raise OperationError(f"{SCHEMA_ERROR}invalid type: {json.dumps(value)}, expected u64")
    if value < 0:
        raise OperationError(f"{SCHEMA_ERROR}invalid value: integer `{value}`, expected u64")
    return value


def description(directive: dict[str, Any]) -> str | None:
    value = directive.get("description")
    return value if isinstance(value, str) else None


def name(directive: dict[str, Any]) -> str | None:
    value = directive.get("name")
    return value if isinstance(value, str) and value else None


def enabled(directive: dict[str, Any], key: str) -> bool:
    """``{"totalCount": {"enabled": true}}`` style switches."""
    value = directive.get(key)
    return isinstance(value, dict) and value.get("enabled") is True
