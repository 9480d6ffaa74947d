"""Install or upgrade the engine in one database (``jim engine install``, ``jim db migrate``).

Idempotent: schema objects are created if missing and functions replaced; the modules are
replaced only when their hash differs, then compiled to bytecode by the server's Python.
When the real pg_graphql extension is installed, nothing is changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from jimgql import ENGINE_VERSION, ddl, modules


@dataclass(frozen=True)
class InstallResult:
    status: str  # installed | upgraded | unchanged | skipped
    version: str
    hash: str
    modules: int
    message: str


def _one(conn: psycopg.Connection, query: str) -> Any:
    row = conn.execute(query).fetchone()  # type: ignore[arg-type]  # fixed queries
    return row[0] if row else None


def pg_graphql_installed(conn: psycopg.Connection) -> bool:
    return conn.execute("select 1 from pg_extension where extname = 'pg_graphql'").fetchone() is not None


def install_into(conn: psycopg.Connection) -> InstallResult:
    """Install into the database of ``conn`` (autocommit, superuser)."""
    if pg_graphql_installed(conn):
        return InstallResult("skipped", "", "", 0,
                             "the pg_graphql extension is installed; jimgql changed nothing")
    shipped = modules.collect()
    digest = modules.digest(shipped)
    with conn.transaction():
        conn.execute("create extension if not exists plpython3u")
        conn.execute(ddl.SCHEMA)  # type: ignore[arg-type]  # our own DDL
        row = conn.execute("select hash from graphql._engine").fetchone()
        previous = row[0] if row else None
        if previous != digest:
            conn.execute("delete from graphql._module")
            with conn.cursor() as cur:
                cur.executemany(
                    "insert into graphql._module (name, is_package, source) values (%s, %s, %s)",
                    [(m.name, m.is_package, m.source) for m in shipped],
                )
        conn.execute(ddl.functions())  # type: ignore[arg-type]  # our own DDL
        conn.execute(ddl.EVENT_TRIGGERS)  # type: ignore[arg-type]
        compiled = _one(conn, "select graphql._compile_modules()")
        conn.execute(
            "insert into graphql._engine (version, hash) values (%s, %s) "
            "on conflict (singleton) do update set version = excluded.version, hash = excluded.hash, "
            "installed_at = case when graphql._engine.hash = excluded.hash "
            "then graphql._engine.installed_at else now() end",
            (ENGINE_VERSION, digest),
        )
        # Keep the DDL log short; only the highest version matters.
        conn.execute("delete from graphql._schema_version where version < "
                     "(select max(version) from graphql._schema_version)")
    status = "installed" if previous is None else "unchanged" if previous == digest else "upgraded"
    return InstallResult(status, ENGINE_VERSION, digest, len(shipped),
                         f"{status}: {len(shipped)} modules, {compiled} compiled")


def status(conn: psycopg.Connection) -> dict[str, object]:
    if pg_graphql_installed(conn):
        return {"engine": "pg_graphql"}
    if _one(conn, "select to_regclass('graphql._engine')") is None:
        return {"engine": None}
    row = conn.execute("select version, hash, installed_at from graphql._engine").fetchone()
    count = conn.execute("select count(*), count(code) from graphql._module").fetchone() or (0, 0)
    current = modules.digest(modules.collect())
    return {
        "engine": "jimgql", "version": row[0] if row else None, "hash": row[1] if row else None,
        "installed_at": row[2] if row else None, "modules": count[0], "compiled": count[1],
        "up_to_date": row is not None and row[1] == current,
        "schema_version": _one(conn, "select graphql.get_schema_version()"),
    }
