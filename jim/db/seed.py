"""Seeds: the demo set (sql/seeds/*.sql, idempotent) and a generator for large volumes.

The generator streams rows with COPY: ``jim db seed --scale 1000`` writes 1,000 members,
about 200,000 workouts and about 1,000,000 entries. Generated rows are valid by
construction, so the load runs with ``session_replication_role = replica``: row triggers
(the metrics check, outbox events, cache notifications) do not fire for a bulk load that
no consumer asked to hear about.
"""

from __future__ import annotations

import random
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg.types.json import Jsonb

from jim.db.connect import connect
from jim.settings import REPO_ROOT

SEEDS_DIR = REPO_ROOT / "sql" / "seeds"
WORKOUTS_PER_MEMBER = 200
SCALE_ID_PREFIX = "5ca1e000-0000-4000-8000-"  # generated members: 5ca1e000-...-<index>


def seed_demo(url: str) -> None:
    with connect(url) as conn:
        for path in sorted(SEEDS_DIR.glob("*.sql")):
            conn.execute(path.read_text())  # type: ignore[arg-type]  # repository file
    print("demo data loaded")


def scale_member_id(index: int) -> uuid.UUID:
    return uuid.UUID(f"{SCALE_ID_PREFIX}{index:012x}")


class Progress:
    """A one-line progress bar on stderr (no dependency for a few lines of output)."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done = label, max(total, 1), 0
        self.started = time.monotonic()
        self._last_draw = 0.0

    def advance(self, count: int = 1) -> None:
        self.done += count
        now = time.monotonic()
        if now - self._last_draw > 0.2 or self.done >= self.total:
            self._last_draw = now
            width = 30
            filled = int(width * self.done / self.total)
            rate = self.done / max(now - self.started, 1e-6)
            sys.stderr.write(
                f"\r{self.label:<10} [{'#' * filled}{'.' * (width - filled)}] "
                f"{self.done:>9,}/{self.total:,}  {rate:,.0f}/s"
            )
            if self.done >= self.total:
                sys.stderr.write("\n")
            sys.stderr.flush()


def _metric_value(metric: str, rng: random.Random, week: int) -> float | int:
    if metric == "reps":
        return rng.randint(1, 15)
    if metric == "weight_kg":
        return round(rng.uniform(10, 150) + week * 0.05, 1)
    if metric == "distance_m":
        return rng.randint(500, 20000)
    if metric == "duration_s":
        return rng.randint(30, 5400)
    if metric == "avg_hr":
        return rng.randint(90, 185)
    if metric == "rpe":
        return rng.randint(5, 10)
    if metric == "elevation_m":
        return rng.randint(0, 800)
    return rng.randint(50, 900)  # calories


def _reserve_ids(conn: psycopg.Connection, table: str, count: int) -> int:
    """Reserve a block of identity values; returns the first one."""
    row = conn.execute(
        "select setval(pg_get_serial_sequence(%s, 'id'), nextval(pg_get_serial_sequence(%s, 'id')) + %s - 1)",
        (table, table, count),
    ).fetchone()
    assert row is not None
    return int(row[0]) - count + 1


def seed_scale(url: str, members: int, *, seed: int = 20261128) -> None:
    """Generate `members` members (those not yet present) with ~200 workouts each."""
    rng = random.Random(seed)
    with connect(url) as conn:
        catalog = conn.execute(
            "select id, metrics from app.exercise where owner_id is null order by id"
        ).fetchall()
        if not catalog:
            raise SystemExit("jim: the exercise catalog is empty; run `jim db seed` first")
        wanted = [scale_member_id(i) for i in range(1, members + 1)]
        existing = {
            row[0]
            for row in conn.execute("select id from app.member where id = any(%s)", (wanted,))
        }
        todo = [(i, mid) for i, mid in enumerate(wanted, start=1) if mid not in existing]
        if not todo:
            print(f"all {members} generated members are already present")
            return
        conn.execute("set local session_replication_role = replica")
        conn.execute("set local synchronous_commit = off")
        total_workouts = len(todo) * WORKOUTS_PER_MEMBER
        first_workout = _reserve_ids(conn, "app.workout", total_workouts)
        # Entries: between 3 and 7 per workout, 5 on average -> ~1000 per member.
        entry_counts = [rng.randint(3, 7) for _ in range(total_workouts)]
        first_entry = _reserve_ids(conn, "app.workout_entry", sum(entry_counts))

        with conn.cursor().copy(
            "copy app.member (id, username, display_name, profile) from stdin"
        ) as copy:
            for i, mid in todo:
                copy.write_row((mid, f"athlete{i:06d}", f"Athlete {i}", Jsonb({"units": "metric"})))
        print(f"members    {len(todo):,}", file=sys.stderr)

        start = datetime(2025, 1, 6, 7, 0, tzinfo=UTC)
        visibilities = ("private", "coach", "public")
        progress = Progress("workouts", total_workouts)
        workout_rows: list[tuple[int, datetime]] = []
        with conn.cursor().copy(
            "copy app.workout (id, owner_id, title, started_at, ended_at, tags, data, visibility)"
            " from stdin"
        ) as copy:
            workout_id = first_workout
            for _, mid in todo:
                for n in range(WORKOUTS_PER_MEMBER):
                    started = start + timedelta(days=n * 3, hours=rng.randint(0, 12))
                    copy.write_row((
                        workout_id, mid, f"Session {n + 1}", started,
                        started + timedelta(minutes=rng.randint(30, 90)),
                        ["generated"], Jsonb({"n": n}), visibilities[rng.randrange(3)],
                    ))
                    workout_rows.append((workout_id, started))
                    workout_id += 1
                progress.advance(WORKOUTS_PER_MEMBER)

        progress = Progress("entries", sum(entry_counts))
        with conn.cursor().copy(
            "copy app.workout_entry (id, workout_id, exercise_id, position, metrics, performed_at)"
            " from stdin"
        ) as copy:
            entry_id = first_entry
            for (workout_id, started), count in zip(workout_rows, entry_counts, strict=True):
                week = (started - start).days // 7
                for position in range(count):
                    exercise_id, metrics = catalog[rng.randrange(len(catalog))]
                    values = {m: _metric_value(m, rng, week) for m in metrics}
                    copy.write_row((
                        entry_id, workout_id, exercise_id, position, Jsonb(values),
                        started + timedelta(minutes=position * 5),
                    ))
                    entry_id += 1
                progress.advance(count)
        conn.execute("analyze app.member, app.workout, app.workout_entry")
    print(f"generated {len(todo):,} members, {total_workouts:,} workouts, {sum(entry_counts):,} entries")


def iter_scale_member_ids(members: int) -> Iterator[uuid.UUID]:
    return (scale_member_id(i) for i in range(1, members + 1))
