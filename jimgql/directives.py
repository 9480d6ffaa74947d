"""Comment directives: ``@graphql(<JSON>)`` inside a SQL comment configures an entity.

The same extraction runs in SQL (``graphql.comment_directive(text)``, installed by
``install.py``) and here, on the comments reflection returns. A comment without a directive
means no configuration; a directive that is not valid JSON, or whose known keys have the wrong
shape (a ``max_rows`` that is not an unsigned integer, ``primary_key_columns`` or
``foreign_keys`` that are not lists of the expected entries), fails every request with
pg_graphql's "Error while loading schema" message (worded as pg_graphql's JSON decoder words
it), so the mistake is noticed at once.
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


def not_null(directive: dict[str, Any]) -> bool:
    """``{"not_null": true}`` on a column: non-null in the schema even where Postgres cannot
    say so (a view's columns are always nullable in the catalog)."""
    return directive.get("not_null") is True


def enabled(directive: dict[str, Any], key: str) -> bool:
    """``{"totalCount": {"enabled": true}}`` style switches."""
    value = directive.get(key)
    return isinstance(value, dict) and value.get("enabled") is True


def _kind(value: Any) -> str:
    """A JSON value described the way pg_graphql's decoder reports an unexpected one."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean `{json.dumps(value)}`"
    if isinstance(value, int):
        return f"integer `{value}`"
    if isinstance(value, float):
        return f"floating point `{value}`"
    if isinstance(value, str):
        return f"string {json.dumps(value)}"
    return "sequence" if isinstance(value, list) else "map"


def _invalid(value: Any, expected: str) -> OperationError:
    return OperationError(f"{SCHEMA_ERROR}invalid type: {_kind(value)}, expected {expected}")


def _names(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise _invalid(value, "a sequence")
    for item in value:
        if not isinstance(item, str):
            raise _invalid(item, "a string")
    return value


def primary_key_columns(directive: dict[str, Any]) -> list[str] | None:
    """The key a view declares, or None when it declares none."""
    value = directive.get("primary_key_columns")
    return None if value is None else _names(value)


_FK_LISTS = ("local_columns", "foreign_columns")
_FK_TEXTS = ("local_name", "foreign_name", "foreign_schema", "foreign_table")


def foreign_keys(directive: dict[str, Any]) -> list[dict[str, Any]]:
    """Relationships a view (or table) declares; each entry checked key by key."""
    value = directive.get("foreign_keys")
    if value is None:
        return []
    if not isinstance(value, list):
        raise _invalid(value, "a sequence")
    for entry in value:
        if not isinstance(entry, dict):
            raise _invalid(entry, "a map")
        for key in sorted(entry):
            item = entry[key]
            if key in _FK_LISTS:
                _names(item)
            elif key in _FK_TEXTS and item is not None and not isinstance(item, str):
                raise _invalid(item, "a string")
        for key in ("local_columns", "foreign_table", "foreign_columns"):
            if key not in entry:
                raise OperationError(f"{SCHEMA_ERROR}missing field `{key}`")
    return value
