"""Shared test vocabulary: the demo users, their claims, and acting as a request role.

Each DB test acts as a given user inside a transaction that is rolled back (graphile
starter's pattern), so tests never share mutable state and the suite can run twice in a
row on the same database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import psycopg

ALICE_ID = "a11ce000-0000-4000-8000-000000000001"
BOB_ID = "b0b00000-0000-4000-8000-000000000002"
CAROL_ID = "ca201000-0000-4000-8000-000000000003"
ADMIN_ID = "ad000000-0000-4000-8000-000000000004"


@dataclass(frozen=True)
class Actor:
    """Who a test acts as: a Postgres role plus the claims the proxy would set."""

    name: str
    role: str
    claims: dict | None = field(default=None)


def user_claims(sub: str, username: str, *realm_roles: str, role: str = "authenticated") -> dict:
    return {
        "sub": sub,
        "preferred_username": username,
        "role": role,
        "realm_access": {"roles": list(realm_roles)},
    }


ANON = Actor("anon", "anon", None)
ALICE = Actor("alice", "authenticated", user_claims(ALICE_ID, "alice", "member"))
BOB = Actor("bob", "authenticated", user_claims(BOB_ID, "bob", "member"))
CAROL = Actor("carol", "authenticated", user_claims(CAROL_ID, "carol", "member", "coach"))
ADMIN = Actor("admin", "admin", user_claims(ADMIN_ID, "admin", "admin", role="admin"))
WORKER = Actor("worker", "worker", None)
ALL_ACTORS = (ANON, ALICE, BOB, CAROL, ADMIN, WORKER)


def act_as(conn: psycopg.Connection, actor: Actor) -> None:
    """Switch the current transaction to the actor's role and claims (as the proxy does)."""
    conn.execute("select set_config('role', %s, true)", (actor.role,))
    conn.execute(
        "select set_config('request.jwt.claims', %s, true)",
        (json.dumps(actor.claims) if actor.claims is not None else "",),
    )
