"""Every kind of untrustworthy token gets 401 with WWW-Authenticate and touches no data;
a key rotated in Keycloak is accepted without restarting the proxy."""

from __future__ import annotations

import time

import httpx
import psycopg
import pytest
from jwcrypto import jwk

from tests.proxy import forge
from tests.proxy.keycloak_admin import (
    ensure_other_client,
    realm_kids,
    rotated_key,
    trusted_test_key,
)
from tests.proxy.servers import KEYCLOAK_URL, ProxyServer, keycloak_token
from tests.support import ALICE_ID

# A write that would change alice's row if it ever ran as her.
RENAME_ALICE = (
    'mutation { updateMemberCollection(set: {displayName: "pwned"}, '
    f'filter: {{id: {{eq: "{ALICE_ID}"}}}}) {{ affectedCount }} }}'
)


def alice_display_name(database_url: str) -> str:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("select display_name from app.member where id = %s", (ALICE_ID,)).fetchone()
    assert row is not None
    return row[0]


def assert_refused(proxy: ProxyServer, token: str, database_url: str) -> None:
    before = alice_display_name(database_url)
    response = proxy.post(RENAME_ALICE, token=token)
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "data" not in body
    assert token not in response.text
    assert alice_display_name(database_url) == before


@pytest.fixture(scope="module")
def test_key(keycloak: str):
    with trusted_test_key() as key:
        yield key


def realm_kid() -> str:
    return sorted(realm_kids())[0]


def test_a_valid_keycloak_token_is_accepted(proxy: ProxyServer, tokens: dict[str, str]) -> None:
    response = proxy.post("{ __typename }", token=tokens["alice"])
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"__typename": "Query"}}


def test_a_token_signed_by_the_trusted_test_key_is_accepted(proxy: ProxyServer, test_key) -> None:
    # The control for the claim tests below: the same key and claims, nothing altered.
    token = forge.signed(forge.claims(), test_key.private, test_key.kid)
    assert proxy.post("{ __typename }", token=token).status_code == 200


@pytest.mark.parametrize(
    ("case", "overrides"),
    [
        ("expired", {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}),
        ("not yet valid", {"nbf": int(time.time()) + 3600}),
        ("issued in the future", {"iat": int(time.time()) + 3600}),
        ("wrong issuer", {"iss": "http://evil.invalid/realms/jim"}),
        ("wrong audience and party", {"aud": "someone-else", "azp": "someone-else"}),
        ("no expiry", {"exp": None}),
        ("refresh token type", {"typ": "Refresh"}),
        ("no subject", {"sub": None}),
    ],
)
def test_bad_claims_are_refused(proxy, test_key, database_url, case, overrides) -> None:
    token = forge.signed(forge.claims(**overrides), test_key.private, test_key.kid)
    assert_refused(proxy, token, database_url)


def test_forged_signature_is_refused(proxy, database_url) -> None:
    impostor = jwk.JWK.generate(kty="RSA", size=2048)
    token = forge.signed(forge.claims(), impostor, realm_kid())
    assert_refused(proxy, token, database_url)


def test_alg_none_is_refused(proxy, database_url) -> None:
    assert_refused(proxy, forge.unsigned(forge.claims(), realm_kid()), database_url)


def test_hmac_signed_with_the_public_key_is_refused(proxy, test_key, database_url) -> None:
    public_pem = test_key.private.export_to_pem(private_key=False)
    token = forge.hmac_with_public_key(forge.claims(), public_pem, test_key.kid)
    assert_refused(proxy, token, database_url)


def test_unknown_kid_is_refused(proxy, database_url) -> None:
    stranger = jwk.JWK.generate(kty="RSA", size=2048)
    assert_refused(proxy, forge.signed(forge.claims(), stranger, "no-such-kid"), database_url)


@pytest.mark.parametrize("mangle", ["truncated", "garbage", "two parts", "bad base64", "empty payload"])
def test_malformed_tokens_are_refused(proxy, tokens, database_url, mangle) -> None:
    real = tokens["alice"]
    token = {
        "truncated": real[:-12],
        "garbage": "definitely-not-a-jwt",
        "two parts": ".".join(real.split(".")[:2]),
        "bad base64": "%%%." + real.split(".", 1)[1],
        "empty payload": real.split(".")[0] + ".." + real.split(".")[2],
    }[mangle]
    assert_refused(proxy, token, database_url)


def test_other_schemes_and_empty_bearer_are_refused(proxy, tokens) -> None:
    for header in (f"Basic {tokens['alice']}", "Bearer", tokens["alice"], "Bearer x y"):
        response = httpx.post(proxy.graphql_url, json={"query": "{ __typename }"},
                              headers={"Authorization": header}, timeout=10)
        assert response.status_code == 401, header[:10]


def test_wrong_issuer_from_real_keycloak_is_refused(proxy, database_url) -> None:
    # Keycloak names itself after the host it was reached through: localhost is not trusted.
    token = keycloak_token("alice", base_url=KEYCLOAK_URL.replace("127.0.0.1", "localhost"))
    assert_refused(proxy, token, database_url)


def test_wrong_audience_from_real_keycloak_is_refused(proxy, database_url) -> None:
    token = keycloak_token("alice", client_id=ensure_other_client())
    assert_refused(proxy, token, database_url)


def test_refusals_are_counted_by_reason(proxy) -> None:
    proxy.post("{ __typename }", token="garbage")
    metrics = httpx.get(f"{proxy.url}/metrics", timeout=10).text
    assert 'jim_proxy_auth_failures_total{reason="malformed"}' in metrics


def test_a_rotated_key_is_accepted_without_restart(proxy, tokens) -> None:
    # The proxy already holds the old keys (it verified tokens above).
    assert proxy.post("{ __typename }", token=tokens["bob"]).status_code == 200
    with rotated_key() as new_kid:
        token = keycloak_token("bob")
        assert forge_kid(token) == new_kid, "Keycloak should sign with the rotated key"
        time.sleep(0.6)  # the session proxy's JWKS_MIN_REFRESH_SECONDS
        response = proxy.post("{ __typename }", token=token)
        assert response.status_code == 200, response.text
    # Tokens signed with the previous key keep working meanwhile and afterwards.
    assert proxy.post("{ __typename }", token=tokens["bob"]).status_code == 200


def forge_kid(token: str) -> str:
    import base64
    import json

    header = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]


def test_tokens_are_never_logged(proxy, tokens) -> None:
    proxy.post("{ __typename }", token=tokens["carol"])
    proxy.post("{ __typename }", token=tokens["carol"][:-5])
    text = proxy.log_path.read_text()
    assert tokens["carol"][:-5] not in text
    assert tokens["carol"].split(".")[1] not in text


def test_unknown_kids_refetch_the_keys_at_most_once_per_interval(database_url, keycloak) -> None:
    from tests.proxy.servers import running_proxy

    with running_proxy(database_url, JWKS_MIN_REFRESH_SECONDS="60", RATE_LIMIT_ANON_REQUESTS="0") as server:
        before = server.metric("jim_proxy_jwks_fetches_total")
        for i in range(5):
            stranger = jwk.JWK.generate(kty="RSA", size=2048)
            token = forge.signed(forge.claims(), stranger, f"made-up-kid-{i}")
            assert server.post("{ __typename }", token=token).status_code == 401
        assert server.metric("jim_proxy_jwks_fetches_total") - before <= 1


def test_the_proxy_refuses_to_start_with_roles_authenticator_lacks(database_url) -> None:
    import subprocess
    import sys

    from tests.proxy.servers import REPO, proxy_environment

    env = proxy_environment(database_url, ALLOWED_ROLES="anon,authenticated,admin,worker", PROXY_PORT="18099")
    result = subprocess.run([sys.executable, "-m", "jim.cli", "proxy"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "worker" in result.stderr and "Traceback" not in result.stderr


def test_a_key_removed_from_keycloak_stops_being_trusted(database_url, keycloak) -> None:
    from tests.proxy.servers import running_proxy

    with running_proxy(database_url, JWKS_REFRESH_SECONDS="1", JWKS_MIN_REFRESH_SECONDS="0.5") as server:
        with trusted_test_key() as key:
            time.sleep(0.6)
            token = forge.signed(forge.claims(), key.private, key.kid)
            assert server.post("{ __typename }", token=token).status_code == 200
        time.sleep(2.5)  # the periodic refetch ran without the removed key
        fresh = forge.signed(forge.claims(jti="after-removal"), key.private, key.kid)
        assert server.post("{ __typename }", token=fresh).status_code == 401


@pytest.mark.parametrize("power", ["BYPASSRLS", "LOGIN", "IN ROLE pg_read_all_data"])
def test_the_proxy_refuses_to_start_with_roles_too_powerful_to_run_requests(database_url, power) -> None:
    """Before the fix only membership was checked: an allow-list naming e.g. `authenticator`,
    an RLS-bypassing role or one holding pg_read_all_data started, and a mapped Keycloak role
    would have run requests past every policy."""
    import subprocess
    import sys
    import uuid

    import psycopg

    from tests.proxy.servers import REPO, proxy_environment, stop

    role = f"jim_test_powerful_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"create role {role} nologin {power}".replace("nologin LOGIN", "login"))
        conn.execute(f"grant {role} to authenticator")
    try:
        env = proxy_environment(database_url, ALLOWED_ROLES=f"anon,authenticated,admin,{role}",
                                PROXY_PORT="18098")
        process = subprocess.Popen([sys.executable, "-m", "jim.cli", "proxy"], cwd=REPO, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   start_new_session=True)
        try:
            _, stderr = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            stop(process)  # it started: the whole process group goes
            pytest.fail(f"the proxy started with {role} ({power}) allowed")
        assert process.returncode == 1, stderr[-2000:]
        assert role in stderr and "Traceback" not in stderr
    finally:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(f"drop role {role}")
