"""Access-token verification: Keycloak's JWTs checked against the realm's JWKS.

Order of checks (cheapest first, nothing trusted before the signature is):
  1. shape: three base64url parts, a JSON header naming an allowed asymmetric `alg` and a
     `kid` — `none` and HMAC are refused here, before any key is looked at;
  2. the key: known `kid` (unknown -> one rate-limited JWKS refetch), same `alg` as the key;
  3. signature and expiry (python-keycloak's decode_token, jwcrypto underneath), with leeway;
  4. not-before, issuer (one of a configured list), token type, and audience or authorized
     party.
A verified token is cached (by its SHA-256) until it expires, so repeated requests with the
same token pay one dictionary lookup.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from keycloak import KeycloakOpenID

from proxy.keys import KeyStore


class InvalidToken(Exception):
    """The bearer token cannot be trusted. ``reason`` is a short code for logs and metrics."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class VerifierConfig:
    issuers: tuple[str, ...]
    audience: str
    authorized_parties: tuple[str, ...]
    algorithms: tuple[str, ...]
    leeway_seconds: int
    cache_size: int


def _b64json(segment: str) -> Any:
    padded = segment + "=" * (-len(segment) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))


class TokenVerifier:
    def __init__(self, openid: KeycloakOpenID, keys: KeyStore, config: VerifierConfig) -> None:
        self._openid = openid
        self._keys = keys
        self._config = config
        self._cache: OrderedDict[bytes, dict] = OrderedDict()

    async def verify(self, token: str) -> dict:
        digest = hashlib.sha256(token.encode("utf-8", "surrogateescape")).digest()
        cached = self._cache.get(digest)
        now = time.time()
        if cached is not None:
            if cached["exp"] + self._config.leeway_seconds > now:
                return cached
            del self._cache[digest]
        claims = await self._verify(token, now)
        self._remember(digest, claims)
        return claims

    def _remember(self, digest: bytes, claims: dict) -> None:
        if self._config.cache_size <= 0:
            return
        self._cache[digest] = claims
        while len(self._cache) > self._config.cache_size:
            self._cache.popitem(last=False)  # oldest first; tokens are short-lived anyway

    async def _verify(self, token: str, now: float) -> dict:
        header = self._header(token)
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in self._config.algorithms:
            raise InvalidToken("algorithm")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("no_kid")
        key = await self._keys.get(kid)
        if key is None:
            raise InvalidToken("unknown_kid")
        key_alg = key.get("alg")
        if key_alg and key_alg != alg:
            raise InvalidToken("algorithm")
        try:
            claims = self._openid.decode_token(  # type: ignore[misc]  # kwargs typed as dict
                token,
                key=key,  # type: ignore[arg-type]
                algs=[alg],  # type: ignore[arg-type]
                check_claims={"exp": None},
                leeway=self._config.leeway_seconds,  # type: ignore[arg-type]
            )
        except Exception as exc:  # jwcrypto raises a family of errors; all mean "invalid"
            name = type(exc).__name__
            raise InvalidToken("expired" if "Expired" in name else "signature_or_claims") from None
        if not isinstance(claims, dict):
            raise InvalidToken("claims")
        self._check_claims(claims, now)
        return claims

    @staticmethod
    def _header(token: str) -> dict:
        parts = token.split(".")
        if len(parts) != 3 or not all(parts[:2]):
            raise InvalidToken("malformed")
        try:
            header = _b64json(parts[0])
        except (ValueError, UnicodeError, RecursionError):  # RecursionError: absurd nesting
            raise InvalidToken("malformed") from None
        if not isinstance(header, dict):
            raise InvalidToken("malformed")
        return header

    def _check_claims(self, claims: dict, now: float) -> None:
        leeway = self._config.leeway_seconds
        exp = claims.get("exp")
        if not isinstance(exp, int) or exp + leeway <= now:
            raise InvalidToken("expired")
        nbf = claims.get("nbf")
        if nbf is not None and (not isinstance(nbf, int) or nbf - leeway > now):
            raise InvalidToken("not_yet_valid")
        iat = claims.get("iat")
        if iat is not None and (not isinstance(iat, int) or iat - leeway > now):
            raise InvalidToken("not_yet_valid")
        if claims.get("iss") not in self._config.issuers:
            raise InvalidToken("issuer")
        # Keycloak marks access tokens typ=Bearer: an ID or refresh token is not a credential.
        if claims.get("typ", "Bearer") != "Bearer":
            raise InvalidToken("token_type")
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self._config.audience not in audiences and claims.get("azp") not in self._config.authorized_parties:
            raise InvalidToken("audience")
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise InvalidToken("subject")
