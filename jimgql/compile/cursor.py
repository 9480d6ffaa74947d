"""Opaque identifiers: connection cursors and global node ids.

Both are base64 of a JSON array in Postgres' jsonb text format: a cursor holds the values
of the sort columns followed by the primary key; a node id holds schema, table and primary
key (``["public", "account", 1]``). SQL builds them with ``graphql._b64(jsonb)``.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from jimgql.errors import GraphQLError


def encode(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return base64.b64encode(text.encode()).decode()


def _decode(text: str) -> tuple[int, Any]:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return 2, None
    try:
        decoded = raw.decode()
    except UnicodeDecodeError:
        return 3, None
    try:
        return 0, json.loads(decoded)
    except (ValueError, RecursionError):  # RecursionError: arrays nested a thousand deep
        return 4, None


def decode_node_id(text: Any) -> tuple[str, str, list[Any]]:
    if not isinstance(text, str):
        raise GraphQLError("Invalid value passed to nodeId argument. Error 1")
    code, value = _decode(text)
    if code == 0 and not (isinstance(value, list) and len(value) >= 3
                          and isinstance(value[0], str) and isinstance(value[1], str)):
        code = 5
    if code:
        raise GraphQLError(f"Invalid value passed to nodeId argument. Error {code}")
    return value[0], value[1], value[2:]


def decode_cursor(text: Any, keys: int) -> str:
    """The cursor's JSON array as text (bound as ``jsonb`` and read element by element).

    ``keys`` is the number of sort keys (orderBy columns plus the primary key): a cursor
    with more values than that was made for another ordering. pg_graphql numbers decoding
    failures; base64 is error 1 there, the later stages here follow on from it.
    """
    if not isinstance(text, str):
        raise GraphQLError("Failed to decode cursor, error 1")
    code, value = _decode(text)
    if code:
        raise GraphQLError(f"Failed to decode cursor, error {code - 1}")
    if not isinstance(value, list):
        raise GraphQLError("Failed to decode cursor, error 4")
    if len(value) > keys:
        raise GraphQLError("orderBy clause incompatible with pagination cursor")
    return json.dumps(value)
