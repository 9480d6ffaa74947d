"""`jim db migrate` and friends: yoyo for the numbered migrations, then every file of
sql/functions/ re-applied (yoyo's post-apply hook only runs when something was applied,
and functions, policies and grants must be current even when no migration was pending).
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from yoyo import get_backend, read_migrations

from jim.db.connect import MIGRATIONS_SCHEMA, connect, database_name, yoyo_url
from jim.db.roles import ensure_roles
from jim.settings import REPO_ROOT, DbSettings

SQL_DIR = REPO_ROOT / "sql"
MIGRATIONS_DIR = SQL_DIR / "migrations"
FUNCTIONS_DIR = SQL_DIR / "functions"
EXPOSED_SEARCH_PATH = "app, public"


@dataclass(frozen=True)
class MigrationState:
    id: str
    applied: bool


def _migrations():
    return read_migrations(str(MIGRATIONS_DIR))


def _backend(settings: DbSettings):
    return get_backend(yoyo_url(settings.database_url))


def status(settings: DbSettings) -> list[MigrationState]:
    backend = _backend(settings)
    migrations = _migrations()
    applied = {m.id for m in backend.to_rollback(migrations)}
    return [MigrationState(m.id, m.id in applied) for m in migrations]


def prepare_database(settings: DbSettings) -> None:
    """Cluster roles, the database's search_path, and the GraphQL engine."""
    with connect(settings.database_url, autocommit=True) as conn:
        ensure_roles(
            conn,
            authenticator_password=settings.authenticator_password,
            worker_password=settings.worker_password,
        )
        conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(MIGRATIONS_SCHEMA)))
        # pg_graphql exposes the schemas on the search_path; set it for every session.
        conn.execute(
            sql.SQL("alter database {} set search_path = " + EXPOSED_SEARCH_PATH).format(
                sql.Identifier(database_name(settings.database_url))
            )
        )
        install_engine = _engine_installer()
        if install_engine is not None:
            install_engine(conn)


def _engine_installer():
    """The engine's installer, when the engine package is present (it installs itself)."""
    if importlib.util.find_spec("jimgql.install") is None:
        return None
    from jimgql.install import install_into  # noqa: PLC0415 - optional stage

    return install_into


def apply_functions(conn: psycopg.Connection) -> list[str]:
    """Run every sql/functions/*.sql file, in name order, in the caller's transaction."""
    applied = []
    for path in sorted(FUNCTIONS_DIR.glob("*.sql")):
        conn.execute(path.read_text())  # type: ignore[arg-type]  # repository file, not input
        applied.append(path.name)
    return applied


def migrate(settings: DbSettings) -> tuple[list[str], list[str]]:
    """Apply pending migrations, then re-apply all functions. Returns (migrations, functions)."""
    prepare_database(settings)
    backend = _backend(settings)
    migrations = _migrations()
    with backend.lock():
        pending = backend.to_apply(migrations)
        backend.apply_migrations(pending)
    with connect(settings.database_url) as conn:
        functions = apply_functions(conn)
    return [m.id for m in pending], functions


def rollback(settings: DbSettings, *, everything: bool = False) -> list[str]:
    backend = _backend(settings)
    migrations = _migrations()
    with backend.lock():
        to_rollback = backend.to_rollback(migrations)
        if not everything:
            to_rollback = to_rollback[:1]
        backend.rollback_migrations(to_rollback)
    return [m.id for m in to_rollback]


_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def new_migration(name: str, directory: Path = MIGRATIONS_DIR) -> tuple[Path, Path]:
    """Create NNNN_name.sql and its rollback file with the next free number."""
    if not _NAME.match(name):
        raise ValueError("a migration name is snake_case: lower-case letters, digits and _")
    numbers = [int(p.name[:4]) for p in directory.glob("[0-9][0-9][0-9][0-9]_*.sql")]
    number = max(numbers, default=0) + 1
    forward = directory / f"{number:04d}_{name}.sql"
    backward = directory / f"{number:04d}_{name}.rollback.sql"
    forward.write_text(
        f"-- {name}: describe what this migration changes and why.\n"
        "-- Policies, grants and functions go in sql/functions/ (re-applied on every migrate).\n"
    )
    backward.write_text(f"-- Undo {forward.name} completely: the schema must equal the one before it.\n")
    return forward, backward
