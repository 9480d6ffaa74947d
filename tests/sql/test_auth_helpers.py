"""auth.jwt(), auth.uid(), auth.role(), auth.has_realm_role(): read the request's claims,
and return null (not an error) when there are none."""

from __future__ import annotations

import json

from tests.sql.rls import acting
from tests.support import ALICE, ALICE_ID, ANON, CAROL


def helpers(db) -> tuple:
    return db.execute("select auth.jwt(), auth.uid()::text, auth.role(), auth.has_realm_role('coach')").fetchone()


def test_helpers_are_null_without_claims(db):
    assert helpers(db) == (None, None, None, None)
    with acting(db, ANON):
        assert helpers(db) == (None, None, None, None)


def test_helpers_read_the_claims(db):
    with acting(db, ALICE):
        jwt, uid, role, coach = helpers(db)
        assert jwt["sub"] == ALICE_ID and uid == ALICE_ID and role == "authenticated" and coach is False
    with acting(db, CAROL):
        assert helpers(db)[3] is True


def test_malformed_claims_do_not_raise(db):
    with db.transaction(force_rollback=True):
        db.execute("select set_config('request.jwt.claims', %s, true)", (json.dumps({"sub": "not-a-uuid"}),))
        assert helpers(db) == ({"sub": "not-a-uuid"}, None, None, False)
