"""Request id and access log, as a plain ASGI middleware (no per-request task or copy of
the body, unlike BaseHTTPMiddleware).

The id is the client's X-Request-ID when it is a sane token (nginx passes its own), else a
fresh one; it is echoed back, put in every log line of the request and in the access log.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from proxy.logs import request_id

log = logging.getLogger("jim.proxy.access")
_SANE_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,128}$")


class RequestContext:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = b""
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                rid = value
                break
        if not _SANE_ID.match(rid):
            rid = uuid.uuid4().hex.encode()
        token = request_id.set(rid.decode())
        state = scope.setdefault("state", {})
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid)]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "role": state.get("role"),
                    "operation": state.get("operation"),
                    "cache": state.get("cache"),
                },
            )
            request_id.reset(token)
