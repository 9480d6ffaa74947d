"""The bench database: created, migrated with `jim db migrate`, loaded with `jim db seed` and
`jim db seed --scale N` (both idempotent, so a second run reuses the data), and the fixture
values the scenarios name (ids of demo rows, a fresh workout per mutation run).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
from psycopg import sql

ALICE = "a11ce000-0000-4000-8000-000000000001"
CAROL = "ca201000-0000-4000-8000-000000000003"


def url_for(base: str, database: str, *, user: str | None = None, password: str | None = None) -> str:
    """`base` with another database (and optionally another login)."""
    info = psycopg.conninfo.conninfo_to_dict(base)
    info["dbname"] = database
    if user:
        info["user"], info["password"] = user, password
    host, port = info.get("host", "127.0.0.1"), info.get("port", "5432")
    auth = info.get("user", "")
    if info.get("password"):
        auth += f":{info['password']}"
    return f"postgresql://{auth}@{host}:{port}/{database}"


def prepare(admin_url: str, database: str, scale: int, repo: Path) -> str:
    """Create (if missing), migrate and seed the bench database; returns its URL."""
    with psycopg.connect(url_for(admin_url, "postgres"), autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (database,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(database)))
    url = url_for(admin_url, database)
    jim = [str(repo / ".venv" / "bin" / "jim"), "db"]
    env = {**os.environ, "DATABASE_URL": url}
    for step in (["migrate"], ["seed"], ["seed", "--scale", str(scale)]):
        print(f"  jim db {' '.join(step)}", file=sys.stderr)
        done = subprocess.run(jim + step, env=env, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            raise SystemExit(f"jim db {' '.join(step)} failed:\n{done.stdout}\n{done.stderr}")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("vacuum analyze")
    return url


def fixtures(url: str) -> dict[str, object]:
    with psycopg.connect(url) as conn:
        workout = conn.execute(
            "select id from app.workout where owner_id = %s order by started_at desc, id desc limit 1",
            (ALICE,),
        ).fetchone()
        squat = conn.execute(
            "select id from app.exercise where owner_id is null and name = 'Back Squat'"
        ).fetchone()
    if workout is None or squat is None:
        raise SystemExit("the bench database lacks the demo rows (alice's workouts, Back Squat)")
    return {"alice": ALICE, "carol": CAROL, "alice_workout": str(workout[0]), "squat": str(squat[0])}


def outbox_mark(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("select coalesce(max(id), 0) from events.outbox").fetchone()
    return int(row[0]) if row else 0


def new_mutation_workout(url: str, label: str) -> str:
    """An empty workout of alice's for one system's mutation run (positions start free)."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "insert into app.workout (owner_id, title, tags, visibility)"
            " values (%s, %s, array['bench'], 'private') returning id",
            (ALICE, f"bench mutation {label}"),
        ).fetchone()
    assert row is not None
    return str(row[0])


def entry_count(url: str, workout_id: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("select count(*) from app.workout_entry where workout_id = %s", (int(workout_id),)).fetchone()
    return int(row[0]) if row else 0


def cleanup(url: str, outbox_from: int) -> None:
    """Drop the rows the mutation runs wrote, and the events they queued."""
    with psycopg.connect(url) as conn:
        conn.execute("delete from app.workout where 'bench' = any(tags) and owner_id = %s", (ALICE,))
        conn.execute("delete from events.outbox where id > %s", (outbox_from,))
