"""app.exercise under RLS: the public catalog for everyone, private exercises for their owner."""

from __future__ import annotations

from tests.sql.rls import acting, assert_allowed, assert_denied, ids, rowcount
from tests.support import ADMIN, ALICE, ALICE_ID, ANON, BOB, BOB_ID, CAROL, WORKER


def catalog(db) -> set:
    return ids(db, "select id from app.exercise where owner_id is null")


def owned_by(db, member_id: str) -> set:
    return ids(db, "select id from app.exercise where owner_id = %s", (member_id,))


def test_anon_reads_only_the_public_catalog(db):
    public, alices, bobs = catalog(db), owned_by(db, ALICE_ID), owned_by(db, BOB_ID)
    assert len(public) >= 40 and alices and bobs
    with acting(db, ANON):
        assert ids(db, "select id from app.exercise") == public
        assert_denied(db, "insert into app.exercise (name, category, metrics) values ('x', 'strength', '{reps}')")
        assert_denied(db, "update app.exercise set name = 'x'")
        assert_denied(db, "delete from app.exercise")


def test_members_read_the_catalog_and_their_own_exercises(db):
    public, alices, bobs = catalog(db), owned_by(db, ALICE_ID), owned_by(db, BOB_ID)
    with acting(db, ALICE):
        assert ids(db, "select id from app.exercise") == public | alices
    with acting(db, BOB):
        assert ids(db, "select id from app.exercise") == public | bobs
    with acting(db, CAROL):
        assert ids(db, "select id from app.exercise") == public


def test_member_adds_and_edits_private_exercises_only(db):
    public_id = min(catalog(db))
    bobs_id = min(owned_by(db, BOB_ID))
    with acting(db, ALICE):
        rows = assert_allowed(db, "insert into app.exercise (name, category, metrics) values ('Ring Row', 'strength', '{reps}') returning owner_id::text")
        assert rows == [(ALICE_ID,)]
        # cannot choose the owner, so cannot add to the public catalog or to bob's list
        assert_denied(db, "insert into app.exercise (name, category, metrics, owner_id) values ('x', 'strength', '{reps}', null)")
        assert rowcount(db, "update app.exercise set name = 'Squat!' where id = %s", (public_id,)) == 0
        assert rowcount(db, "delete from app.exercise where id = %s", (bobs_id,)) == 0
        assert rowcount(db, "update app.exercise set attributes = '{\"band\": \"green\"}' where owner_id = %s", (ALICE_ID,)) == 1


def test_exercise_metrics_must_be_known_keys(db):
    with acting(db, ALICE):
        assert_denied(db, "insert into app.exercise (name, category, metrics) values ('x', 'strength', '{speed_kmh}')",
                      sqlstate="23514")


def test_admin_curates_the_public_catalog(db):
    with acting(db, ADMIN):
        assert_allowed(db, "insert into app.exercise (name, category, metrics, owner_id) values ('Sled Push', 'strength', '{weight_kg,distance_m}', null)")
        assert rowcount(db, "update app.exercise set attributes = '{}' where owner_id = %s", (BOB_ID,)) == 1


def test_worker_reads_everything_writes_nothing(db):
    everything = ids(db, "select id from app.exercise")
    with acting(db, WORKER):
        assert ids(db, "select id from app.exercise") == everything
        assert_denied(db, "insert into app.exercise (name, category, metrics) values ('x', 'strength', '{reps}')")
        assert_denied(db, "delete from app.exercise")
