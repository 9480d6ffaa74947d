"""The proxy's outermost ASGI layer: request id, access log, and the /graphql fast path.

The id is the client's X-Request-ID when it is a sane token (nginx passes its own), else a
fresh one; it is echoed back, put in every log line of the request and in the access log.

/graphql (GET, POST and HEAD) goes straight from here to its endpoint, around FastAPI's routing
and middleware stack: they add nothing there (the endpoint answers every error itself) and
cost about a fifth of a cache hit. The endpoint adds the X-Request-ID header to its own
response and reports its status in the scope's state, so its `send` is not wrapped either.
Everything else (health, metrics, GraphiQL, /graphql's CORS preflight and other methods)
goes through the FastAPI app, whose `send` is wrapped to add the header and see the status.
"""

from __future__ import annotations

import logging
import os
import re
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from proxy.logs import request_id

log = logging.getLogger("jim.proxy.access")
# fullmatch, not ^…$: `$` also matches before a final newline, so "id\n" passed as sane.
_SANE_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")
_FAST_METHODS = frozenset({"GET", "POST", "HEAD"})


class RequestContext:
    def __init__(self, app: ASGIApp, graphql: ASGIApp) -> None:
        self.app = app
        self.graphql = graphql  # the /graphql endpoint (wrapped in CORS when configured)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = b""
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                rid = value
                break
        if not _SANE_ID.fullmatch(rid):
            rid = os.urandom(16).hex().encode()  # 32 hex digits, like a UUID without dashes
        token = request_id.set(rid.decode())
        state = scope.setdefault("state", {})
        state["request_id"] = rid
        started = time.perf_counter()
        try:
            if scope["path"] == "/graphql" and scope["method"] in _FAST_METHODS:
                await self.graphql(scope, receive, send)
            else:
                await self.app(scope, receive, _with_id(send, rid, state))
        finally:
            if log.isEnabledFor(logging.INFO):
                log.info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": state.get("status", 500),
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                        "role": state.get("role"),
                        "operation": state.get("operation"),
                        "cache": state.get("cache"),
                    },
                )
            request_id.reset(token)


def _with_id(send: Send, rid: bytes, state: dict) -> Send:
    async def send_with_id(message: Message) -> None:
        if message["type"] == "http.response.start":
            state["status"] = message["status"]
            message["headers"] = [*message.get("headers", []), (b"x-request-id", rid)]
        await send(message)
    return send_with_id
