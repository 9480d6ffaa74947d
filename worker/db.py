"""PostgreSQL connections of the worker (as the `worker` role), reconnected with bounded
backoff. Code that uses a connection catches :data:`CONNECTION_ERRORS`, calls
:meth:`Database.lost` and goes round its loop again; the next :meth:`Database.get` waits
and reconnects, or gives up with :class:`DatabaseUnavailable`."""

from __future__ import annotations

import logging
import threading

import psycopg

from worker.backoff import Backoff
from worker.errors import DatabaseUnavailable

log = logging.getLogger("jim.worker.db")

CONNECTION_ERRORS = (psycopg.OperationalError, psycopg.InterfaceError)


def is_connection_error(exc: BaseException, conn: psycopg.Connection | None) -> bool:
    """A lost connection (not a statement that failed on a healthy one)."""
    if isinstance(exc, psycopg.InterfaceError):
        return True
    if isinstance(exc, psycopg.OperationalError):
        return conn is None or conn.closed or conn.broken
    return False


class Database:
    def __init__(self, conninfo: str, backoff: Backoff, stop: threading.Event, *,
                 name: str, autocommit: bool = False,
                 session: dict[str, str] | None = None) -> None:
        self._conninfo = conninfo
        self._session = session or {}
        self._backoff = backoff
        self._stop = stop
        self._name = name
        self._autocommit = autocommit
        self._conn: psycopg.Connection | None = None
        self._failures = 0
        self.reconnects = 0

    def get(self) -> psycopg.Connection:
        """The open connection, connecting (with bounded retries) when needed."""
        if self._conn is not None and not self._conn.closed:
            return self._conn
        while True:
            try:
                conn = psycopg.connect(self._conninfo, autocommit=self._autocommit, connect_timeout=5)
                for setting, value in self._session.items():
                    conn.execute("select set_config(%s, %s, false)", (setting, value))
                if not self._autocommit:
                    conn.commit()
                self._conn = conn
                if self._failures:
                    log.info("%s: reconnected to PostgreSQL", self._name)
                self._failures = 0
                return self._conn
            except psycopg.OperationalError as exc:
                self._failures += 1
                if self._backoff.exhausted(self._failures):
                    raise DatabaseUnavailable(
                        f"PostgreSQL unreachable after {self._failures} attempts: {_first_line(exc)}"
                    ) from None
                delay = self._backoff.delay(self._failures)
                log.warning("%s: cannot connect to PostgreSQL (%s); retrying in %.1fs (attempt %d/%d)",
                            self._name, _first_line(exc), delay, self._failures, self._backoff.attempts)
                if self._stop.wait(delay):
                    raise DatabaseUnavailable("stopping while PostgreSQL was unreachable") from None

    def get_if_open(self) -> psycopg.Connection | None:
        """The current connection without connecting (None when there is none)."""
        return self._conn if self._conn is not None and not self._conn.closed else None

    def lost(self, exc: BaseException) -> None:
        """Forget a broken connection; the next get() reconnects."""
        log.warning("%s: PostgreSQL connection lost: %s", self._name, _first_line(exc))
        self.reconnects += 1
        self.close()

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # noqa: BLE001 - closing a dead connection may fail
                pass
            self._conn = None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
