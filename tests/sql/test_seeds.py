"""Demo seeds are idempotent and complete; the scale generator loads valid data with COPY."""

from __future__ import annotations

import psycopg
import pytest

from jim.db import migrate as migrations
from jim.db import seed as seeds
from jim.settings import DbSettings
from tests.sql.scratch import scratch_database
from tests.support import ADMIN_ID, ALICE_ID, BOB_ID, CAROL_ID


def counts(url: str) -> tuple:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select (select count(*) from app.exercise), (select count(*) from app.member),"
            " (select count(*) from app.workout), (select count(*) from app.workout_entry),"
            " (select count(*) from app.coaching)").fetchone()


def test_demo_seed_is_complete_and_idempotent(database_url):
    before = counts(database_url)
    seeds.seed_demo(database_url)
    assert counts(database_url) == before
    with psycopg.connect(database_url) as conn:
        assert conn.execute("select count(*) from app.exercise where owner_id is null").fetchone()[0] >= 40
        members = {str(r[0]) for r in conn.execute("select id from app.member")}
        assert {ALICE_ID, BOB_ID, CAROL_ID, ADMIN_ID} <= members
        for member in (ALICE_ID, BOB_ID, CAROL_ID):
            weeks = conn.execute(
                "select count(distinct date_trunc('week', started_at)) from app.workout where owner_id = %s",
                (member,)).fetchone()[0]
            assert weeks >= 3


@pytest.fixture
def scale_url(database_url):
    with scratch_database(database_url, "scale") as url:
        migrations.migrate(DbSettings(database_url=url, jim_env="test"))
        seeds.seed_demo(url)
        yield url


def test_scale_generator_loads_valid_data_and_skips_existing_members(scale_url):
    before = counts(scale_url)
    seeds.seed_scale(scale_url, 3)
    after = counts(scale_url)
    assert after[1] - before[1] == 3
    assert after[2] - before[2] == 3 * seeds.WORKOUTS_PER_MEMBER
    assert 3 * 3 * seeds.WORKOUTS_PER_MEMBER <= after[3] - before[3] <= 7 * 3 * seeds.WORKOUTS_PER_MEMBER
    with psycopg.connect(scale_url) as conn:
        # generated entries satisfy the same rules the trigger enforces
        bad = conn.execute(
            "select count(*) from app.workout_entry e join app.exercise x on x.id = e.exercise_id,"
            " jsonb_each(e.metrics) m where not (m.key = any (x.metrics)) or jsonb_typeof(m.value) <> 'number'"
            " or (m.value)::numeric < 0").fetchone()[0]
        assert bad == 0
        # identity sequences moved past the generated ids: a normal insert still works
        conn.execute("insert into app.workout (owner_id, title) values (%s, 'after scale')", (ALICE_ID,))
    seeds.seed_scale(scale_url, 4)  # only the 4th member is new
    assert counts(scale_url)[1] == after[1] + 1
