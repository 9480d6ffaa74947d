"""GraphQL-over-HTTP request parsing (the conventions of the GraphQL over HTTP draft).

POST takes a JSON object body (``application/json``); GET takes the same fields as query
parameters, with ``variables`` and ``extensions`` JSON-encoded. The response media type is
``application/graphql-response+json`` when the client asks for it, else ``application/json``.
Every malformed request is a 4xx with a GraphQL-shaped error and nothing is executed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from proxy.errors import ApiError

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


@dataclass(frozen=True)
class GraphQLRequest:
    query: str | None
    variables: dict[str, Any] | None
    operation_name: str | None
    extensions: dict[str, Any] | None


def bad_request(message: str, code: str = "BAD_REQUEST") -> ApiError:
    return ApiError(400, code, message)


def response_media_type(request: Request) -> str:
    """Pick the response media type from Accept; 406 when neither is acceptable."""
    accept = request.headers.get("accept", "")
    if not accept:
        return JSON
    types = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    if GRAPHQL_RESPONSE in types:
        return GRAPHQL_RESPONSE
    if any(t in (JSON, "*/*", "application/*") for t in types):
        return JSON
    raise ApiError(406, "NOT_ACCEPTABLE", f"Accept {JSON} or {GRAPHQL_RESPONSE}.")


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it is larger than the limit."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "BODY_TOO_LARGE", f"The request body is larger than {limit} bytes.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "BODY_TOO_LARGE", f"The request body is larger than {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


def _object_or_none(value: Any, name: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad_request(f"'{name}' must be a JSON object.")
    return value


def _fields(data: dict[str, Any]) -> GraphQLRequest:
    query = data.get("query")
    if query is not None and not isinstance(query, str):
        raise bad_request("'query' must be a string.")
    operation_name = data.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise bad_request("'operationName' must be a string.")
    extensions = _object_or_none(data.get("extensions"), "extensions")
    if query is None and not (extensions and "persistedQuery" in extensions):
        raise bad_request("The request has no 'query'.")
    return GraphQLRequest(
        query=query,
        variables=_object_or_none(data.get("variables"), "variables"),
        operation_name=operation_name or None,
        extensions=extensions,
    )


def parse_post(request: Request, body: bytes) -> GraphQLRequest:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != JSON:
        raise ApiError(415, "UNSUPPORTED_MEDIA_TYPE", f"POST a JSON body with Content-Type: {JSON}.")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise bad_request("The body is not valid JSON.", "INVALID_JSON") from None
    if not isinstance(data, dict):
        raise bad_request("The body must be a JSON object.")
    return _fields(data)


def parse_get(request: Request) -> GraphQLRequest:
    params = request.query_params
    data: dict[str, Any] = {"query": params.get("query"), "operationName": params.get("operationName")}
    for name in ("variables", "extensions"):
        raw = params.get(name)
        if raw:
            try:
                data[name] = json.loads(raw)
            except ValueError:
                raise bad_request(f"'{name}' is not valid JSON.", "INVALID_JSON") from None
    return _fields(data)
