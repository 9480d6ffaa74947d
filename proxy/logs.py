"""JSON logs: one object per line on stderr, with the request id when there is one.

Nothing here ever formats a header: tokens cannot reach the logs because the only request
data logged is method, path, status, timing, role, operation type and the request id.
"""

from __future__ import annotations

import contextvars
import json
import logging
import time

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

# Attributes every LogRecord has; anything else passed with extra= is logged as a field.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    _second = -1
    _second_text = ""

    def __init__(self) -> None:
        super().__init__()
        # the extra fields of each shape of record (its attribute names, in order): found
        # once per shape, since every access line has the same one
        self._extras: dict[tuple[str, ...], tuple[str, ...]] = {}

    def _extra_keys(self, attributes: dict) -> tuple[str, ...]:
        shape = tuple(attributes)
        keys = self._extras.get(shape)
        if keys is None:
            if len(self._extras) > 256:
                self._extras.clear()
            keys = self._extras[shape] = tuple(
                k for k in shape if k not in _STANDARD and not k.startswith("_"))
        return keys

    def format(self, record: logging.LogRecord) -> str:
        second = int(record.created)
        if second != self._second:  # one strftime per second, not per line (the access log)
            self._second, self._second_text = second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        entry = {
            "ts": f"{self._second_text}.{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        rid = request_id.get()
        if rid is not None:
            entry["request_id"] = rid
        attributes = vars(record)
        for key in self._extra_keys(attributes):
            entry[key] = attributes[key]
        if record.exc_info and record.levelno >= logging.ERROR:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure(level: str) -> None:
    # Every request writes an access line: skip what a LogRecord gathers that these logs
    # never show (the caller's file and line — a stack walk per record —, thread and
    # process names), as the logging HOWTO's "Optimization" section describes.
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    for name in ("jim", "uvicorn", "uvicorn.error", "gunicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.propagate = False
        logger.setLevel(level)
    # The proxy writes its own access log line (with the request id); silence the servers'.
    logging.getLogger("uvicorn.access").disabled = True
