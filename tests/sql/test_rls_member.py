"""app.member under RLS, for every role: allowed and denied."""

from __future__ import annotations

import uuid

from tests.sql.rls import acting, assert_allowed, assert_denied, ids, rowcount
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
    Actor,
    user_claims,
)

ALL_DEMO = {uuid.UUID(x) for x in (ALICE_ID, BOB_ID, CAROL_ID, ADMIN_ID)}


def test_anon_cannot_read_or_write_members(db):
    with acting(db, ANON):
        assert_denied(db, "select * from app.member")
        assert_denied(db, "insert into app.member (id, username, display_name) values (gen_random_uuid(), 'x1', 'X')")
        assert_denied(db, "update app.member set display_name = 'x'")
        assert_denied(db, "delete from app.member")


def test_members_read_themselves_and_their_coaching_links(db):
    with acting(db, ALICE):  # alice <- carol (accepted)
        assert ids(db, "select id from app.member") == {uuid.UUID(ALICE_ID), uuid.UUID(CAROL_ID)}
    with acting(db, BOB):  # bob <- carol (pending: bob must see who asked)
        assert ids(db, "select id from app.member") == {uuid.UUID(BOB_ID), uuid.UUID(CAROL_ID)}
    with acting(db, CAROL):
        assert ids(db, "select id from app.member") == {
            uuid.UUID(CAROL_ID), uuid.UUID(ALICE_ID), uuid.UUID(BOB_ID)}


def test_admin_and_worker_read_every_member(db):
    everyone = ids(db, "select id from app.member")  # as the owner: ground truth
    for actor in (ADMIN, WORKER):
        with acting(db, actor):
            assert ids(db, "select id from app.member") == everyone
            assert ALL_DEMO <= everyone


def test_member_updates_own_profile_only(db):
    with acting(db, ALICE):
        assert rowcount(db, "update app.member set display_name = 'Al', profile = '{\"units\": \"imperial\"}'") == 1
        # bob's row is invisible, so the update matches nothing
        assert rowcount(db, "update app.member set display_name = 'hacked' where id = %s", (BOB_ID,)) == 0
        # username is not an updatable column for members
        assert_denied(db, "update app.member set username = 'alice2' where id = %s", (ALICE_ID,))
        assert_denied(db, "delete from app.member where id = %s", (ALICE_ID,))


def test_member_row_is_provisioned_only_for_oneself(db):
    newcomer_id = str(uuid.uuid4())
    newcomer = Actor("dora", "authenticated", user_claims(newcomer_id, "dora", "member"))
    with acting(db, newcomer):
        assert_allowed(db, "insert into app.member (id, username, display_name) values (%s, 'dora', 'Dora')",
                       (newcomer_id,))
        assert_denied(db, "insert into app.member (id, username, display_name) values (gen_random_uuid(), 'eve', 'Eve')")
        # created_at is not an insertable column for members
        assert_denied(db, "insert into app.member (id, username, display_name, created_at) values (%s, 'dora', 'D', now())",
                      (newcomer_id,))


def test_profile_must_be_a_json_object(db):
    with acting(db, ALICE):
        assert_denied(db, "update app.member set profile = '[1, 2]' where id = %s", (ALICE_ID,), sqlstate="23514")


def test_admin_writes_any_member(db):
    with acting(db, ADMIN):
        assert rowcount(db, "update app.member set display_name = 'Robert' where id = %s", (BOB_ID,)) == 1
        assert rowcount(db, "delete from app.member where id = %s", (BOB_ID,)) == 1


def test_worker_cannot_write_members(db):
    with acting(db, WORKER):
        assert_denied(db, "update app.member set display_name = 'x'")
        assert_denied(db, "insert into app.member (id, username, display_name) values (gen_random_uuid(), 'w', 'W')")
