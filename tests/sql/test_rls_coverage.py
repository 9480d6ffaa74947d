"""Every table has row-level security enabled, and every table in `app` has its own RLS
test module (tests/**/test_rls_<table>.py) covering every role."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent


def test_every_table_has_row_level_security(db):
    missing = db.execute(
        "select n.nspname || '.' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        " where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema', 'jim_migrations', 'graphql')"
        " and n.nspname not like 'pg_toast%%' and not c.relrowsecurity"
    ).fetchall()
    assert missing == []


def test_every_app_table_has_an_rls_test_module(db):
    tables = [r[0] for r in db.execute(
        "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        " where n.nspname = 'app' and c.relkind in ('r', 'p')")]
    modules = {p.stem.removeprefix("test_rls_") for p in TESTS.rglob("test_rls_*.py")}
    assert sorted(set(tables) - modules) == []
