"""Real access tokens from the running Keycloak (realm `jim`, dev users whose password is their
name), and the realm's public keys. jim and both peers receive the very same token per user.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

import httpx

CLIENT_ID = "jim-app"
AUDIENCE = "jim-api"


@dataclass(frozen=True)
class Realm:
    base_url: str  # e.g. http://127.0.0.1:8180
    name: str = "jim"

    @property
    def issuer(self) -> str:
        return f"{self.base_url}/realms/{self.name}"

    def jwks(self) -> dict:
        response = httpx.get(f"{self.issuer}/protocol/openid-connect/certs", timeout=10)
        response.raise_for_status()
        return response.json()

    def token(self, user: str) -> str:
        """An access token for a dev user (direct grant; dev password = user name)."""
        response = httpx.post(
            f"{self.issuer}/protocol/openid-connect/token",
            data={"grant_type": "password", "client_id": CLIENT_ID, "username": user,
                  "password": user, "scope": "openid"},
            timeout=15,
        )
        if response.status_code != 200:
            raise SystemExit(f"Keycloak refused a token for {user}: HTTP {response.status_code} {response.text[:200]}")
        return response.json()["access_token"]


def claims(token: str) -> dict:
    """The payload of a token we obtained ourselves (no verification needed here)."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def authorization(tokens: dict[str, str], user: str) -> str | None:
    return None if user == "anon" else f"Bearer {tokens[user]}"
