"""Bring each system's answer to one canonical form, so that answers can be compared.

The dialects differ in shape and in how they print scalars, never in the rows they should
return. Documents alias their fields to the same names (a list is always `rows`), and this
module removes what remains:
- pg_graphql's `edges: [{node: X}]` becomes `[X]` (PostGraphile's `nodes` already is);
- a scenario's `single` paths collapse `{rows: [X]}` / `[X]` to X (a collection filtered by
  primary key vs PostGraphile's `xxxById`);
- `json` fields: pg_graphql and PostGraphile 4 return a JSON string, PostGraphile 5 a value,
  and numbers inside compare by value (jsonb prints 8.0 where JavaScript prints 8);
- `enums`: PostGraphile 4 upper-cases enum values;
- `times`: timestamps are compared as instants (the printed precision differs);
- integers print as strings (BigInt is a string in every dialect, Int is a number).
Nothing else is forgiven: a different row, order or value is a different answer.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from peerbench.scenarios import Normalise


def canonical(data: Any, rules: Normalise) -> Any:
    data = _unwrap_edges(data)
    for path in rules.single:
        data = _collapse(data, path.split("."))
    return _scalars(data, rules, key=None)


def _unwrap_edges(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _unwrap_edges(v) for k, v in value.items()}
    if isinstance(value, list):
        if value and all(isinstance(v, dict) and set(v) == {"node"} for v in value):
            return [_unwrap_edges(v["node"]) for v in value]
        return [_unwrap_edges(v) for v in value]
    return value


def _collapse(value: Any, path: list[str]) -> Any:
    if not isinstance(value, dict):
        return value
    head, rest = path[0], path[1:]
    if head not in value:
        return value
    inner = value[head]
    if rest:
        return {**value, head: _collapse(inner, rest)}
    if isinstance(inner, dict) and set(inner) == {"rows"}:
        inner = inner["rows"]
    if isinstance(inner, list):
        if len(inner) > 1:
            raise ValueError(f"{head}: expected at most one row, got {len(inner)}")
        inner = inner[0] if inner else None
    return {**value, head: inner}


def _scalars(value: Any, rules: Normalise, key: str | None) -> Any:
    if key in rules.json:
        return _json_value(json.loads(value) if isinstance(value, str) else value)
    if isinstance(value, dict):
        return {k: _scalars(v, rules, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_scalars(v, rules, key) for v in value]
    if key in rules.enums and isinstance(value, str):
        return value.lower()
    if key in rules.times and isinstance(value, str):
        return datetime.fromisoformat(value).astimezone(UTC).isoformat()
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return str(value)
    return value


def _json_value(value: Any) -> Any:
    """A JSON column's value: numbers compare by value (jsonb prints 8.0, JavaScript 8)."""
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return value


def first_difference(a: Any, b: Any, path: str = "$") -> str | None:
    """Where two canonical answers first differ, as a readable path; None when equal."""
    if type(a) is not type(b):
        return f"{path}: {_short(a)} vs {_short(b)}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{path}.{k}: present in only one answer"
            found = first_difference(a[k], b[k], f"{path}.{k}")
            if found:
                return found
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} rows vs {len(b)} rows"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = first_difference(x, y, f"{path}[{i}]")
            if found:
                return found
        return None
    return None if a == b else f"{path}: {_short(a)} vs {_short(b)}"


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."
