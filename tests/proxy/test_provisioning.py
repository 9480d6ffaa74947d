"""A member row is provisioned from the token on a user's first authenticated request, as
the member's own role, and only once per proxy process."""

from __future__ import annotations

import uuid

import psycopg

from tests.proxy.keycloak_admin import temporary_user
from tests.proxy.servers import ProxyServer, keycloak_token


def member(database_url: str, user_id: str) -> tuple[str, str] | None:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("select username, display_name from app.member where id = %s", (user_id,)).fetchone()
    return (row[0], row[1]) if row else None


def test_first_request_provisions_the_member_once(proxy: ProxyServer, database_url: str) -> None:
    username = f"dave{uuid.uuid4().hex[:8]}"
    with temporary_user(username) as user_id:
        try:
            assert member(database_url, user_id) is None
            token = keycloak_token(username)
            for _ in range(3):
                assert proxy.post("{ __typename }", token=token).status_code == 200
            assert member(database_url, user_id) == (username, f"Test {username.title()}")
            provisioned = [e for e in proxy.logs()
                           if e.get("msg") == "provisioned a member row" and e.get("member") == user_id]
            assert len(provisioned) == 1
        finally:
            with psycopg.connect(database_url) as conn:
                conn.execute("delete from app.member where id = %s", (user_id,))


def test_existing_members_are_not_touched(proxy: ProxyServer, tokens, database_url) -> None:
    from tests.support import ALICE_ID

    before = member(database_url, ALICE_ID)
    assert proxy.post("{ __typename }", token=tokens["alice"]).status_code == 200
    assert member(database_url, ALICE_ID) == before
