"""The cluster-wide roles jim relies on (DESIGN.md §3).

Roles belong to the cluster, not to a database, so they are not a migration: several
databases (demo, tests) share them and a migration rollback must not drop them. This step
is idempotent and runs at the start of every `jim db migrate`.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

REQUEST_ROLES = ("anon", "authenticated", "admin")


def _role_exists(conn: psycopg.Connection, name: str) -> bool:
    return conn.execute("select 1 from pg_roles where rolname = %s", (name,)).fetchone() is not None


def ensure_roles(conn: psycopg.Connection, *, authenticator_password: str, worker_password: str) -> None:
    """Create or align the request roles, `authenticator` and `worker` (autocommit connection)."""
    for role in REQUEST_ROLES:
        if not _role_exists(conn, role):
            conn.execute(sql.SQL("create role {} nologin noinherit").format(sql.Identifier(role)))
    logins = {"authenticator": authenticator_password, "worker": worker_password}
    for role, password in logins.items():
        verb = "alter" if _role_exists(conn, role) else "create"
        conn.execute(
            sql.SQL("{} role {} login noinherit password {}").format(
                sql.SQL(verb), sql.Identifier(role), sql.Literal(password)
            )
        )
    # authenticator only ever acts as a request role, chosen per request by the proxy.
    for role in REQUEST_ROLES:
        conn.execute(sql.SQL("grant {} to authenticator").format(sql.Identifier(role)))
