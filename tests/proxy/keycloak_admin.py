"""Changes to the real Keycloak that tests make and undo: signing keys, clients, users.

Everything goes through Keycloak's admin REST API (python-keycloak's KeycloakAdmin), as
the dev realm's bootstrap admin (admin/admin, a documented dev password).

`trusted_test_key()` registers an RSA key whose private half the test holds as a realm
key of the lowest priority: Keycloak keeps signing with its own key, but publishes ours in
the realm's JWKS. Tokens the test signs with it are therefore *trusted by signature*, which
isolates the claim checks (expiry, not-before, issuer, audience) from the signature check.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
from jwcrypto import jwk
from keycloak import KeycloakAdmin

from tests.proxy.servers import KEYCLOAK_URL, REALM, REALM_URL

KEY_PROVIDER = "org.keycloak.keys.KeyProvider"


def admin() -> KeycloakAdmin:
    return KeycloakAdmin(
        server_url=KEYCLOAK_URL + "/", username="admin", password="admin",
        realm_name=REALM, user_realm_name="master", timeout=20,
    )


def realm_kids() -> set[str]:
    keys = httpx.get(f"{REALM_URL}/protocol/openid-connect/certs", timeout=10).json()["keys"]
    return {k["kid"] for k in keys if k.get("use", "sig") == "sig"}


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private: jwk.JWK


def _realm_id(kc: KeycloakAdmin) -> str:
    return kc.get_realm(REALM)["id"]


@contextmanager
def key_provider(config: dict[str, list[str]], provider_id: str) -> Iterator[str]:
    """Add a key provider component to the realm for the duration of the block."""
    kc = admin()
    name = f"test-{provider_id}-{uuid.uuid4().hex[:8]}"
    component_id = kc.create_component({
        "name": name, "providerId": provider_id, "providerType": KEY_PROVIDER,
        "parentId": _realm_id(kc), "config": config,
    })
    try:
        yield component_id
    finally:
        kc.delete_component(component_id)


@contextmanager
def trusted_test_key() -> Iterator[SigningKey]:
    private = jwk.JWK.generate(kty="RSA", size=2048)
    pem = private.export_to_pem(private_key=True, password=None).decode()
    before = realm_kids()
    config = {"priority": ["1"], "enabled": ["true"], "active": ["true"],
              "algorithm": ["RS256"], "privateKey": [pem]}
    with key_provider(config, "rsa"):
        added = realm_kids() - before
        assert len(added) == 1, f"expected one new realm key, got {added}"
        yield SigningKey(added.pop(), private)


@contextmanager
def rotated_key() -> Iterator[str]:
    """A new generated key that outranks the realm's current one: Keycloak signs with it."""
    before = realm_kids()
    config = {"priority": ["1000"], "enabled": ["true"], "active": ["true"],
              "algorithm": ["RS256"], "keySize": ["2048"]}
    with key_provider(config, "rsa-generated"):
        added = realm_kids() - before
        assert len(added) == 1, f"expected one new realm key, got {added}"
        yield added.pop()


def ensure_other_client(client_id: str = "jim-test-other") -> str:
    """A public client WITHOUT the jim-api audience mapper (for wrong-audience tokens)."""
    kc = admin()
    if kc.get_client_id(client_id) is None:
        kc.create_client({
            "clientId": client_id, "publicClient": True, "directAccessGrantsEnabled": True,
            "standardFlowEnabled": False, "protocol": "openid-connect",
        }, skip_exists=True)
    return client_id


@contextmanager
def temporary_user(username: str, roles: tuple[str, ...] = ("member",)) -> Iterator[str]:
    """A realm user (password = username) that exists for the block; yields its id."""
    kc = admin()
    user_id = kc.create_user({
        "username": username, "enabled": True, "emailVerified": True,
        "email": f"{username}@jim.invalid", "firstName": "Test", "lastName": username.title(),
        "credentials": [{"type": "password", "value": username, "temporary": False}],
    })
    try:
        kc.assign_realm_roles(user_id, [kc.get_realm_role(r) for r in roles])
        yield user_id
    finally:
        kc.delete_user(user_id)
