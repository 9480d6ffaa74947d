"""app.coaching under RLS: both parties read; coaches (realm role) ask; athletes accept."""

from __future__ import annotations

from tests.sql.rls import acting, assert_allowed, assert_denied, rowcount
from tests.support import (
    ADMIN,
    ADMIN_ID,
    ALICE,
    ALICE_ID,
    ANON,
    BOB,
    BOB_ID,
    CAROL,
    CAROL_ID,
    WORKER,
)


def links(db) -> set:
    return {(str(c), str(a), s) for c, a, s in db.execute("select coach_id, athlete_id, status::text from app.coaching")}


def test_parties_see_their_links(db):
    with acting(db, ALICE):
        assert links(db) == {(CAROL_ID, ALICE_ID, "accepted")}
    with acting(db, BOB):
        assert links(db) == {(CAROL_ID, BOB_ID, "pending")}
    with acting(db, CAROL):
        assert links(db) == {(CAROL_ID, ALICE_ID, "accepted"), (CAROL_ID, BOB_ID, "pending")}


def test_admin_and_worker_see_all_links(db):
    everything = links(db)
    for actor in (ADMIN, WORKER):
        with acting(db, actor):
            assert links(db) == everything


def test_anon_has_no_access(db):
    with acting(db, ANON):
        assert_denied(db, "select * from app.coaching")


def test_only_coaches_ask_and_only_as_themselves(db):
    with acting(db, CAROL):
        assert_allowed(db, "insert into app.coaching (athlete_id) values (%s)", (ADMIN_ID,))
        # a request cannot be created already accepted (status is not an insertable column)
        assert_denied(db, "insert into app.coaching (athlete_id, status) values (%s, 'accepted')", (ADMIN_ID,))
    with acting(db, BOB):  # bob lacks the realm role `coach`
        assert_denied(db, "insert into app.coaching (athlete_id) values (%s)", (ALICE_ID,))
    with acting(db, ALICE):
        assert_denied(db, "insert into app.coaching (coach_id, athlete_id) values (%s, %s)", (CAROL_ID, BOB_ID))


def test_only_the_athlete_accepts(db):
    with acting(db, CAROL):  # the coach cannot accept on the athlete's behalf
        assert rowcount(db, "update app.coaching set status = 'accepted' where athlete_id = %s", (BOB_ID,)) == 0
    with acting(db, BOB):
        assert rowcount(db, "update app.coaching set status = 'accepted' where coach_id = %s", (CAROL_ID,)) == 1
        assert_denied(db, "update app.coaching set coach_id = %s", (ALICE_ID,))


def test_either_party_ends_the_link_others_cannot(db):
    with acting(db, ALICE):
        assert rowcount(db, "delete from app.coaching where coach_id = %s", (CAROL_ID,)) == 1
    with acting(db, BOB):
        assert rowcount(db, "delete from app.coaching where athlete_id = %s", (ALICE_ID,)) == 0
    with acting(db, WORKER):
        assert_denied(db, "delete from app.coaching")
    with acting(db, ADMIN):
        assert rowcount(db, "update app.coaching set status = 'accepted' where athlete_id = %s", (BOB_ID,)) == 1
