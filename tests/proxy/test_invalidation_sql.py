"""`jim db migrate` attaches the invalidation trigger to every exposed table by itself, and
NOTIFY reaches listeners only for committed writes."""

from __future__ import annotations

import psycopg


def test_every_exposed_table_has_the_trigger(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        missing = conn.execute("""
            select c.oid::regclass::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where c.relkind in ('r', 'p') and n.nspname = 'app'
              and not exists (select 1 from pg_trigger t where t.tgrelid = c.oid and t.tgname = 'jim_cache_invalidate')
        """).fetchall()
        tracked = conn.execute("select jim_cache.tracked_tables()").fetchone()[0]
    assert missing == []
    assert {"app.member", "app.workout", "app.exercise"} <= set(tracked)


def test_a_new_table_gets_the_trigger_at_once(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        conn.execute("create table app.cache_probe (id int primary key)")
        found = conn.execute("select count(*) from pg_trigger where tgrelid = 'app.cache_probe'::regclass"
                             " and tgname = 'jim_cache_invalidate'").fetchone()[0]
        conn.rollback()
    assert found == 1


def test_notify_only_on_commit(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as listener, psycopg.connect(database_url) as writer:
        listener.execute("listen jim_data_changed")
        writer.execute("update app.coaching set status = status where false")
        writer.rollback()
        assert "app.coaching" not in {n.payload for n in listener.notifies(timeout=0.3)}
        writer.execute("update app.coaching set status = status where false")
        writer.commit()
        payloads = {n.payload for n in listener.notifies(timeout=1)}
    assert "app.coaching" in payloads
