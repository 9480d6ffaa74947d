"""Errors that end up in a response's ``errors`` list.

pg_graphql reports a message only (no locations, no path), and its messages are part of
the behaviour clients see, so every message raised here is written to match it. Anything
else (a Python bug, an unexpected database error) is turned into a generic message by the
host: a traceback or a SQL statement never reaches a response.
"""

from __future__ import annotations


class GraphQLError(Exception):
    """A request error whose message is safe to return as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class OperationError(GraphQLError):
    """An error about the document as a whole (parse, operation selection, variables).

    pg_graphql answers these with ``{"errors": [...]}`` and no ``data`` key at all.
    """


def invalid_input(type_name: str) -> GraphQLError:
    return GraphQLError(f"Invalid input for {type_name} type")


def unknown_field(name: str, type_name: str, *, quoted_root: bool = False) -> GraphQLError:
    """pg_graphql words unknown fields on the root types and on object types differently."""
    if quoted_root:
        return GraphQLError(f'Unknown field "{name}" on type {type_name}')
    return GraphQLError(f"Unknown field '{name}' on type '{type_name}'")
