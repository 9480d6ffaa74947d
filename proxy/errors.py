"""The one place where failures become HTTP statuses and GraphQL-shaped error bodies.

Errors the engine catches come back inside graphql.resolve's JSON and pass through as they
are. What reaches this module is what escaped it: a statement timeout, a privilege the role
lacks, the database being unreachable, an app error raised with a custom SQLSTATE. Only the
messages of our own SQLSTATEs (written by us, in SQL, for users) are shown verbatim; every
other failure gets a fixed message for its class, so SQL text, tracebacks and tokens never
leave the proxy.
"""

from __future__ import annotations

from typing import Any

# jim's own SQLSTATEs (class JIM, raised by SQL in sql/migrations and sql/functions).
CUSTOM_SQLSTATES: dict[str, tuple[int, str]] = {
    "JIM01": (400, "a metric the exercise does not declare (workout_entry.metrics)"),
    "JIM02": (400, "a metric value that is not a non-negative number"),
    "JIM03": (404, "an exercise that does not exist or is not visible to the caller"),
}

# SQLSTATE (exact code, or two-character class) -> (HTTP status, code, public message)
_BY_STATE: dict[str, tuple[int, str, str]] = {
    "57014": (504, "STATEMENT_TIMEOUT", "The operation took too long and was cancelled."),
    "42501": (403, "FORBIDDEN", "Permission denied."),
    "42883": (503, "ENGINE_UNAVAILABLE", "The GraphQL engine is not installed in this database."),
    "3F000": (503, "ENGINE_UNAVAILABLE", "The GraphQL engine is not installed in this database."),
    "23505": (409, "CONFLICT", "The change conflicts with existing data (unique constraint)."),
    "23503": (409, "CONFLICT", "The change refers to, or is referred to by, other data (foreign key)."),
    "40001": (503, "RETRY", "The transaction could not be serialised; retry it."),
    "40P01": (503, "RETRY", "The transaction was chosen as a deadlock victim; retry it."),
    "55P03": (503, "RETRY", "A row or table was locked by another transaction for too long; retry it."),
    "22": (400, "BAD_VALUE", "A value is not valid for its type."),
    "23": (400, "CONSTRAINT", "The change violates a constraint."),
    "08": (503, "DATABASE_UNAVAILABLE", "The database is not reachable; retry later."),
    "53": (503, "DATABASE_BUSY", "The database is out of resources; retry later."),
    "57": (503, "DATABASE_UNAVAILABLE", "The database is shutting down or restarting; retry later."),
}
_INTERNAL = (500, "INTERNAL", "Internal error.")


class ApiError(Exception):
    """An error answered to the client: status, GraphQL error code and public message."""

    def __init__(
        self, status: int, code: str, message: str, headers: tuple[tuple[str, str], ...] = ()
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers

    def body(self) -> dict[str, Any]:
        return error_body(self.message, self.code)


def error_body(message: str, code: str) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


def from_sqlstate(sqlstate: str | None, primary_message: str | None = None) -> ApiError:
    """Map a database error to the client's error. Never includes SQL text."""
    state = sqlstate or ""
    if state in CUSTOM_SQLSTATES:
        status, _meaning = CUSTOM_SQLSTATES[state]
        return ApiError(status, state, primary_message or _meaning)
    status, code, message = _BY_STATE.get(state) or _BY_STATE.get(state[:2]) or _INTERNAL
    return ApiError(status, code, message)


def from_exception(exc: BaseException) -> ApiError:
    sqlstate = getattr(exc, "sqlstate", None)
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    if sqlstate is None and type(exc).__name__ in {"OperationalError", "PoolTimeout", "TooManyRequests"}:
        return ApiError(503, "DATABASE_UNAVAILABLE", "The database is not reachable; retry later.")
    return from_sqlstate(sqlstate, primary)


def invalid_token() -> ApiError:
    return ApiError(
        401,
        "UNAUTHENTICATED",
        "The access token is missing, malformed, expired or not trusted.",
        headers=(("WWW-Authenticate", 'Bearer error="invalid_token"'),),
    )
