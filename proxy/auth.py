"""Who is calling: Authorization header -> (Postgres role, claims for request.jwt.claims).

The claims handed to PostgreSQL are the verified token's, plus a ``role`` claim naming the
Postgres role the proxy chose (auth.role() reads it). Anonymous requests carry only that
claim. A member's row is provisioned from the token on the first authenticated request this
process sees from them; later requests pay one set lookup.

Everything derived from a token (role, claims JSON, cache identity) depends on its verified
claims and the configuration only, so it is computed once per token and kept beside the
verifier's cache: a request with a known token pays two dictionary lookups.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

import psycopg
from psycopg_pool import PoolTimeout

from proxy.errors import ApiError, invalid_token
from proxy.executor import Executor
from proxy.metrics import AUTH_FAILURES
from proxy.roles import NoRole, RoleMapper, keycloak_roles
from proxy.tokens import InvalidToken, TokenVerifier

log = logging.getLogger("jim.proxy.auth")


@dataclass(frozen=True)
class Identity:
    role: str
    claims: dict
    user_id: str | None  # the token's sub; None for anonymous callers
    claims_text: str = field(init=False)  # the claims as request.jwt.claims receives them
    cache_identity: str = field(init=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: derived fields are set once, here
        set_(self, "claims_text", json.dumps(self.claims, separators=(",", ":")))
        # Whose cached results this caller may share: one entry for every anonymous caller;
        # per user otherwise, and per set of Keycloak roles, because policies may read them
        # (auth.has_realm_role), so a role granted or revoked in Keycloak is never answered
        # from an entry computed under the old roles.
        # JSON, not joined text: no `sub` or role name containing a separator can spell
        # another user's identity ("x|coach" with no roles vs "x" with the role coach).
        set_(self, "cache_identity", "anon" if self.user_id is None
             else json.dumps([self.user_id, sorted(keycloak_roles(self.claims))], separators=(",", ":")))

    @property
    def anonymous(self) -> bool:
        return self.user_id is None


class Authenticator:
    MAX_REMEMBERED = 100_000

    def __init__(
        self, verifier: TokenVerifier, mapper: RoleMapper, executor: Executor, *, provision: bool,
        identity_cache_size: int = 10_000,
    ) -> None:
        self._verifier = verifier
        self._mapper = mapper
        self._executor = executor
        self._provision = provision
        self._provisioned: set[str] = set()
        # id(verified claims) -> (those claims, their identity). The verifier hands back the
        # same dict for the same token while it is cached; keeping the dict referenced here
        # keeps its id from being reused, and the `is` check below makes a stale entry miss.
        self._identities: dict[int, tuple[dict, Identity]] = {}
        self._identity_cache_size = identity_cache_size  # = the verifier's (0: no caching)
        self._anonymous: Identity | None = None

    async def identify(self, authorization: str | None) -> Identity:
        if authorization is None:
            try:
                role = self._mapper.anonymous()
            except NoRole:
                AUTH_FAILURES.labels("anonymous_refused").inc()
                raise ApiError(
                    401, "UNAUTHENTICATED", "An access token is required.",
                    headers=(("WWW-Authenticate", 'Bearer realm="jim"'),),
                ) from None
            if self._anonymous is None or self._anonymous.role != role:
                self._anonymous = Identity(role, {"role": role}, None)
            return self._anonymous
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            AUTH_FAILURES.labels("malformed").inc()
            raise invalid_token()
        try:
            claims = await self._verifier.verify(token)
        except InvalidToken as exc:
            AUTH_FAILURES.labels(exc.reason).inc()
            log.info("refused a bearer token", extra={"reason": exc.reason})
            raise invalid_token() from None
        known = self._identities.get(id(claims))
        if known is not None and known[0] is claims:
            identity = known[1]
        else:
            role = self._mapper.for_claims(claims)
            identity = Identity(role, {**claims, "role": role}, claims["sub"])
            if self._identity_cache_size > 0:
                if len(self._identities) >= self._identity_cache_size:
                    self._identities.clear()
                self._identities[id(claims)] = (claims, identity)
        if self._provision and identity.user_id not in self._provisioned:
            await self._provision_member(identity)
        return identity

    async def _provision_member(self, identity: Identity) -> None:
        try:
            claims = identity.claims
            username = str(claims.get("preferred_username") or "").lower()
            display = str(claims.get("name") or username)[:80] or username
            added = await self._executor.provision_member(identity.role, identity.claims_text, username, display)
        except (psycopg.OperationalError, PoolTimeout) as exc:  # try again on the next request
            log.warning("member provisioning postponed", extra={"error": type(exc).__name__})
            return
        except Exception as exc:  # e.g. a username the table refuses: never fail the request
            log.warning("member provisioning failed", extra={"error": type(exc).__name__,
                                                             "sqlstate": getattr(exc, "sqlstate", None)})
            added = False
        if added:
            log.info("provisioned a member row", extra={"member": identity.user_id})
        if len(self._provisioned) >= self.MAX_REMEMBERED:
            self._provisioned.clear()
        self._provisioned.add(identity.user_id or "")
