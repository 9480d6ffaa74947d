"""GraphQL-over-HTTP request parsing (the conventions of the GraphQL over HTTP draft).

POST takes a JSON object body (``application/json``); GET takes the same fields as query
parameters, with ``variables`` and ``extensions`` JSON-encoded. The response media type is
``application/graphql-response+json`` when the client asks for it, else ``application/json``.
Every malformed request is a 4xx with a GraphQL-shaped error and nothing is executed.

/graphql is served as a plain ASGI callable (the hot path of the proxy): the few headers it
reads are picked from the ASGI scope in one pass, instead of building a Starlette Request.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import QueryParams
from starlette.types import Receive, Scope

from proxy.errors import ApiError

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


@dataclass(frozen=True)
class GraphQLRequest:
    query: str | None
    variables: dict[str, Any] | None
    operation_name: str | None
    extensions: dict[str, Any] | None


# The request headers /graphql reads (ASGI gives names in lower case).
_READ = frozenset({b"accept", b"content-type", b"content-length", b"authorization",
                   b"cache-control", b"x-cache-bypass"})


class ClientDisconnected(Exception):
    """The client went away before its body arrived: there is no one to answer."""


@dataclass(frozen=True, slots=True)
class HttpRequest:
    method: str
    headers: dict[bytes, str]  # the first value of each header in _READ that was sent
    query_string: bytes
    client: str  # the client's address (uvicorn applies X-Forwarded-For from trusted hosts)

    @classmethod
    def from_scope(cls, scope: Scope) -> HttpRequest:
        picked: dict[bytes, str] = {}
        for name, value in scope["headers"]:
            if name in _READ and name not in picked:
                picked[name] = value.decode("latin-1")
        client = scope.get("client")
        return cls(scope["method"], picked, scope.get("query_string", b""), client[0] if client else "-")

    def wants_bypass(self) -> bool:
        """The client asks for a fresh answer: Cache-Control: no-cache / no-store, or X-Cache-Bypass."""
        control = self.headers.get(b"cache-control", "").lower()
        return "no-cache" in control or "no-store" in control or b"x-cache-bypass" in self.headers


def bad_request(message: str, code: str = "BAD_REQUEST") -> ApiError:
    return ApiError(400, code, message)


def response_media_type(request: HttpRequest) -> str:
    """Pick the response media type from Accept; 406 when neither is acceptable."""
    accept = request.headers.get(b"accept", "")
    if not accept:
        return JSON
    types = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    if GRAPHQL_RESPONSE in types:
        return GRAPHQL_RESPONSE
    if any(t in (JSON, "*/*", "application/*") for t in types):
        return JSON
    raise ApiError(406, "NOT_ACCEPTABLE", f"Accept {JSON} or {GRAPHQL_RESPONSE}.")


async def read_body(request: HttpRequest, receive: Receive, limit: int) -> bytes:
    """The body, refused with 413 as soon as it is larger than the limit."""
    declared = request.headers.get(b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "BODY_TOO_LARGE", f"The request body is larger than {limit} bytes.")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise ClientDisconnected()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "BODY_TOO_LARGE", f"The request body is larger than {limit} bytes.")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


# JSON nesting allowed in variables and extensions: far above any real input (filters
# nest a few levels), far below Python's recursion limit, which json.dumps of the values
# (cache key, database parameters) hits from deeper in the stack than json.loads: about
# 980 levels answered 500 Internal error.
MAX_JSON_NESTING = 100


def _nested_within(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if level > limit:
            return False
        stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
    return True


def _object_or_none(value: Any, name: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad_request(f"'{name}' must be a JSON object.")
    if not _nested_within(value, MAX_JSON_NESTING):
        raise bad_request(f"'{name}' is nested more than {MAX_JSON_NESTING} levels deep.")
    return value


def _text(value: Any, name: str) -> str | None:
    """A string field that can reach PostgreSQL as text: no NUL, no lone surrogate (JSON's
    "\ud800" escapes decode to one; neither can be encoded for the database, and they
    used to surface as 500 Internal error)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad_request(f"'{name}' must be a string.")
    if "\x00" in value or (not value.isascii() and _SURROGATE.search(value)):
        raise bad_request(f"'{name}' contains a character that is not allowed (NUL or a lone surrogate).")
    return value


_SURROGATE = re.compile("[\ud800-\udfff]")


def _fields(data: dict[str, Any]) -> GraphQLRequest:
    query = _text(data.get("query"), "query")
    operation_name = _text(data.get("operationName"), "operationName")
    extensions = _object_or_none(data.get("extensions"), "extensions")
    if query is None and not (extensions and "persistedQuery" in extensions):
        raise bad_request("The request has no 'query'.")
    return GraphQLRequest(
        query=query,
        variables=_object_or_none(data.get("variables"), "variables"),
        operation_name=operation_name or None,
        extensions=extensions,
    )


def parse_post(request: HttpRequest, body: bytes) -> GraphQLRequest:
    content_type = request.headers.get(b"content-type", "").split(";")[0].strip().lower()
    if content_type != JSON:
        raise ApiError(415, "UNSUPPORTED_MEDIA_TYPE", f"POST a JSON body with Content-Type: {JSON}.")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: absurd nesting
        raise bad_request("The body is not valid JSON.", "INVALID_JSON") from None
    if not isinstance(data, dict):
        raise bad_request("The body must be a JSON object.")
    return _fields(data)


def parse_get(request: HttpRequest, limit: int) -> GraphQLRequest:
    """The request from the query string, which is held to the body limit: GET must not
    be the way around MAX_BODY_BYTES."""
    if len(request.query_string) > limit:
        raise ApiError(414, "URI_TOO_LONG", f"The query string is longer than {limit} bytes; POST the request.")
    params = QueryParams(request.query_string)
    data: dict[str, Any] = {"query": params.get("query"), "operationName": params.get("operationName")}
    for name in ("variables", "extensions"):
        raw = params.get(name)
        if raw:
            try:
                data[name] = json.loads(raw)
            except (ValueError, RecursionError):
                raise bad_request(f"'{name}' is not valid JSON.", "INVALID_JSON") from None
    return _fields(data)
