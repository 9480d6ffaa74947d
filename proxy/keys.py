"""The realm's signing keys (JWKS), cached in memory.

Keys are fetched through python-keycloak at start and again whenever a token names a key id
we do not know — that is how a key rotated in Keycloak is picked up without a restart. The
refetch is rate-limited (JWKS_MIN_REFRESH_SECONDS), so a flood of tokens with made-up `kid`s
cannot turn the proxy into a amplifier against Keycloak.
"""

from __future__ import annotations

import asyncio
import logging
import time

from jwcrypto import jwk
from keycloak import KeycloakOpenID

from proxy.metrics import JWKS_FETCHES

log = logging.getLogger("jim.proxy.keys")

# Only signature keys of asymmetric types are ever used to verify a token.
_SIGNING_KEY_TYPES = {"RSA", "EC", "OKP"}


class KeyStore:
    """kid -> public key, refreshed from Keycloak's certs endpoint on demand."""

    def __init__(self, openid: KeycloakOpenID, *, min_refresh_seconds: float) -> None:
        self._openid = openid
        self._min_refresh = min_refresh_seconds
        self._keys: dict[str, jwk.JWK] = {}
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()
        self.fetch_count = 0

    @property
    def loaded(self) -> bool:
        return bool(self._keys)

    async def get(self, kid: str) -> jwk.JWK | None:
        key = self._keys.get(kid)
        if key is not None:
            return key
        await self.refresh(force=False)
        return self._keys.get(kid)

    async def refresh(self, *, force: bool = True) -> bool:
        """Fetch the JWKS unless it was fetched too recently. True when a fetch happened."""
        async with self._lock:
            if not force and time.monotonic() - self._fetched_at < self._min_refresh:
                return False
            self._fetched_at = time.monotonic()
            JWKS_FETCHES.inc()
            try:
                document = await self._openid.a_certs()
                keys = self._parse(document)
            except Exception as exc:  # network, HTTP, JSON or shape errors: keep the keys we have
                log.warning("could not fetch the realm's signing keys", extra={"error": type(exc).__name__})
                return False
            self._keys = keys
            self.fetch_count += 1
            log.info("signing keys loaded", extra={"kids": sorted(self._keys)})
            return True

    @staticmethod
    def _parse(document: dict) -> dict[str, jwk.JWK]:
        keys: dict[str, jwk.JWK] = {}
        for entry in document.get("keys", []):
            if entry.get("use", "sig") != "sig" or entry.get("kty") not in _SIGNING_KEY_TYPES:
                continue
            kid = entry.get("kid")
            if not kid:
                continue
            try:
                keys[kid] = jwk.JWK(**entry)
            except Exception:  # a malformed entry must not hide the good ones
                log.warning("ignoring a malformed key in the JWKS", extra={"kid": kid})
        return keys
