"""Every migration applies, rolls back completely (the schema afterwards equals the schema
before) and re-applies; re-applying sql/functions changes nothing. Runs in a scratch
database of its own so the shared test database is never rolled back."""

from __future__ import annotations

import subprocess

import psycopg
import pytest
from yoyo import get_backend, read_migrations
from yoyo.migrations import MigrationList

from jim.db import migrate as migrations
from jim.db.connect import MIGRATIONS_SCHEMA, yoyo_url
from jim.settings import DbSettings
from tests.sql.scratch import scratch_database


@pytest.fixture(scope="module")
def scratch_url(database_url: str):
    with scratch_database(database_url, "migrations") as url:
        migrations.prepare_database(DbSettings(database_url=url, jim_env="test"))
        yield url


def schema_dump(url: str) -> str:
    """The schema as pg_dump sees it, without yoyo's bookkeeping."""
    out = subprocess.run(
        ["pg_dump", "--schema-only", "--no-owner", f"--exclude-schema={MIGRATIONS_SCHEMA}", "--dbname", url],
        check=True, capture_output=True, text=True,
    ).stdout
    # pg_dump 15.14+ brackets its output with \restrict <random key> lines: not schema.
    return "\n".join(line for line in out.splitlines()
                     if not line.startswith(("-- Dumped", "\\restrict", "\\unrestrict")))


def test_each_migration_applies_rolls_back_and_reapplies(scratch_url):
    backend = get_backend(yoyo_url(scratch_url))
    all_migrations = read_migrations(str(migrations.MIGRATIONS_DIR))
    assert len(all_migrations) >= 2
    baseline = schema_dump(scratch_url)
    for migration in all_migrations:
        before = schema_dump(scratch_url)
        with backend.lock():
            backend.apply_migrations(backend.to_apply(MigrationList([migration])))
        applied = schema_dump(scratch_url)
        assert applied != before, f"{migration.id} changed nothing"
        with backend.lock():
            backend.rollback_migrations(backend.to_rollback(MigrationList([migration])))
        assert schema_dump(scratch_url) == before, f"{migration.id} did not roll back completely"
        with backend.lock():
            backend.apply_migrations(backend.to_apply(MigrationList([migration])))
        assert schema_dump(scratch_url) == applied, f"{migration.id} re-applied differently"
    # and everything rolls back to the baseline in one go
    with backend.lock():
        backend.rollback_migrations(backend.to_rollback(all_migrations))
    assert schema_dump(scratch_url) == baseline


def test_migrate_is_idempotent_and_reapplies_functions(scratch_url):
    settings = DbSettings(database_url=scratch_url, jim_env="test")
    migrations.migrate(settings)
    first = schema_dump(scratch_url)
    applied, functions = migrations.migrate(settings)
    assert applied == []
    assert len(functions) == len(list(migrations.FUNCTIONS_DIR.glob("*.sql")))
    assert schema_dump(scratch_url) == first


def test_functions_are_reapplied_even_when_nothing_is_pending(scratch_url):
    settings = DbSettings(database_url=scratch_url, jim_env="test")
    migrations.migrate(settings)
    with psycopg.connect(scratch_url, autocommit=True) as conn:
        conn.execute("drop policy workout_select_visible on app.workout")
    applied, _ = migrations.migrate(settings)
    assert applied == []
    with psycopg.connect(scratch_url) as conn:
        assert conn.execute("select 1 from pg_policies where policyname = 'workout_select_visible'").fetchone()
