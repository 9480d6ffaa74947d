"""Hand-made JWTs for the refusal tests: signed by a key of our choosing, unsigned (`none`),
or HMAC-signed with a public key (algorithm confusion)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

from jwcrypto import jwk, jws

from tests.proxy.servers import REALM_URL
from tests.support import ALICE_ID


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims(**overrides) -> dict:
    now = int(time.time())
    base = {
        "exp": now + 300, "iat": now, "iss": REALM_URL, "aud": "jim-api", "azp": "jim-app",
        "sub": ALICE_ID, "typ": "Bearer", "preferred_username": "alice",
        "realm_access": {"roles": ["member"]},
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def signed(payload: dict, key: jwk.JWK, kid: str, alg: str = "RS256") -> str:
    token = jws.JWS(json.dumps(payload).encode())
    token.add_signature(key, alg=alg, protected={"alg": alg, "kid": kid, "typ": "JWT"})
    return token.serialize(compact=True)


def unsigned(payload: dict, kid: str) -> str:
    header = {"alg": "none", "kid": kid, "typ": "JWT"}
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}."


def hmac_with_public_key(payload: dict, public_pem: bytes, kid: str) -> str:
    header = {"alg": "HS256", "kid": kid, "typ": "JWT"}
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"
