"""SQL building blocks: bound parameters and the few expression helpers every stage uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jimgql.errors import GraphQLError
from jimgql.record import record
from jimgql.schema.meta import quote_ident

__all__ = ["Params", "Const", "Bind", "quote_ident", "json_object"]


@record(frozen=True)
class Const:
    """A parameter whose text is fixed when the statement is compiled."""

    value: str | None


@record(frozen=True)
class Bind:
    """A parameter computed from a request variable each time the plan runs.

    ``convert`` turns the variable's JSON value into the parameter text, or raises the
    pg_graphql error for a value of the wrong type.
    """

    variable: str
    default: Any
    has_default: bool
    convert: Callable[[Any], str | None]

    def value(self, variables: dict[str, Any]) -> str | None:
        if self.variable in variables:
            return checked(self.convert(variables[self.variable]))
        return checked(self.convert(self.default if self.has_default else None))


NUL_MESSAGE = "Invalid input: strings may not contain the character U+0000"


def checked(text: str | None) -> str | None:
    """A parameter's text, refused when it holds U+0000 (a GraphQL string may, ``"\\u0000"``):
    PostgreSQL text cannot, and PL/Python would silently cut the value there (``"a\\u0000b"``
    would compare, filter and be stored as ``"a"``)."""
    if text is not None and "\x00" in text:
        raise GraphQLError(NUL_MESSAGE)
    return text


class Params:
    """The ordered parameters of one statement; all are passed as text and cast in SQL."""

    def __init__(self) -> None:
        self.sources: list[Const | Bind] = []
        self._consts: dict[str | None, str] = {}

    def const(self, value: str | None) -> str:
        """A placeholder for a fixed text (deduplicated: keys repeat a lot)."""
        found = self._consts.get(value)
        if found is not None:
            return found
        self.sources.append(Const(checked(value)))
        ref = f"${len(self.sources)}"
        self._consts[value] = ref
        return ref

    def bind(self, source: Bind) -> str:
        self.sources.append(source)
        return f"${len(self.sources)}"

    def typed(self, ref: str, cast: str) -> str:
        return f"{ref}::{cast}"

    def __len__(self) -> int:
        return len(self.sources)


def json_object(pairs: list[tuple[str, str]]) -> str:
    """json_build_object over (key SQL, value SQL) pairs.

    Statements build ``json`` (text), not ``jsonb``: the answer leaves the statement as text
    anyway (to PL/Python, to a client), and building text costs about half of building
    jsonb and printing it. ``graphql.resolve`` returns jsonb, so its one parse of the whole
    answer gives pg_graphql's key order and spacing. A function call takes at most 100
    arguments: objects with more than 50 fields are built in chunks and merged as jsonb."""
    if not pairs:
        return "'{}'::json"
    chunks = []
    for i in range(0, len(pairs), 50):
        part = pairs[i : i + 50]
        chunks.append("json_build_object(" + ", ".join(f"{k}, {v}" for k, v in part) + ")")
    if len(chunks) == 1:
        return chunks[0]
    return "(" + " || ".join(c + "::jsonb" for c in chunks) + ")::json"


def qualified(schema: str, name: str) -> str:
    return quote_ident(schema) + "." + quote_ident(name)
