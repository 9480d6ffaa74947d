"""The proxy's settings: one typed object per process, read from the environment and `.env`.

List-valued variables are comma-separated strings (``JWT_ISSUERS=a,b``) and mappings are
``key=value`` pairs (``ROLE_STATEMENT_TIMEOUTS=anon=2s,admin=30s``), so that every value is
easy to write in a shell, an `.env` file or a Compose file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qs, quote, urlsplit, urlunsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode

from jim.settings import ENVIRONMENT, BaseJimSettings

# Asymmetric signature algorithms only: never `none`, never HMAC (an HMAC "signed" with the
# public key is the classic algorithm-confusion forgery).
ASYMMETRIC_ALGORITHMS = (
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
)
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_DURATION = re.compile(r"^(\d+)(ms|s|min)?$")

CsvList = Annotated[list[str], NoDecode]
CsvMap = Annotated[dict[str, str], NoDecode]


def _csv(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _pairs(value: object) -> object:
    if not isinstance(value, str):
        return value
    pairs: dict[str, str] = {}
    for item in value.split(","):
        if not item.strip():
            continue
        key, sep, val = item.partition("=")
        if not sep or not key.strip() or not val.strip():
            raise ValueError(f"expected key=value pairs separated by commas, got {item!r}")
        pairs[key.strip()] = val.strip()
    return pairs


def duration_ms(text: str) -> int:
    """'250ms', '5s', '2min' or a bare number of milliseconds -> milliseconds."""
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"bad duration {text!r} (use e.g. 500ms, 5s, 1min)")
    number, unit = int(match.group(1)), match.group(2) or "ms"
    return number * {"ms": 1, "s": 1000, "min": 60_000}[unit]


class KeycloakSettings(BaseSettings):
    """Where Keycloak is: enough for `jim token`, which needs no database."""

    model_config = ENVIRONMENT

    keycloak_url: str = "http://127.0.0.1:8180"
    keycloak_realm: str = "jim"
    keycloak_client_id: str = "jim-app"

    @field_validator("keycloak_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s):// URL")
        return value.rstrip("/")

    @property
    def realm_url(self) -> str:
        return f"{self.keycloak_url}/realms/{self.keycloak_realm}"


class RedisSettings(BaseSettings):
    """Where Redis is: enough for `jim queries`, which needs no database."""

    model_config = ENVIRONMENT

    redis_url: str = "redis://127.0.0.1:6379/0"


class ProxySettings(BaseJimSettings, KeycloakSettings):
    """Everything `jim proxy` reads. See docs/proxy.md for the reference."""

    authenticator_password: str = "authenticator"
    # The proxy connects as `authenticator`; by default DATABASE_URL with that user swapped in.
    proxy_database_url: str | None = None
    db_pool_min_size: int = Field(2, ge=1)
    db_pool_max_size: int = Field(8, ge=1)

    # Token verification.
    keycloak_public_url: str | None = None  # as a browser reaches it (GraphiQL sign-in)
    jwt_issuers: CsvList = Field(default_factory=list)
    jwt_audience: str = "jim-api"
    jwt_authorized_parties: CsvList = Field(default_factory=lambda: ["jim-app"])
    jwt_algorithms: CsvList = Field(default_factory=lambda: ["RS256", "PS256", "ES256"])
    jwt_leeway_seconds: int = Field(30, ge=0, le=300)
    jwks_min_refresh_seconds: float = Field(10.0, ge=0)
    jwks_refresh_seconds: float = Field(300.0, ge=1)  # periodic refetch: drops removed keys
    token_cache_size: int = Field(10_000, ge=0)

    # Claims -> role.
    allow_anonymous: bool = True
    anon_role: str = "anon"
    # Ordered: the first Keycloak role the token carries decides (precedence). Keys are realm
    # roles, or client roles written client/role.
    role_mapping: CsvMap = Field(default_factory=lambda: {"admin": "admin"})
    default_role: str = "authenticated"  # a verified token with no mapped role
    allowed_roles: CsvList = Field(default_factory=lambda: ["anon", "authenticated", "admin"])
    role_statement_timeouts: CsvMap = Field(
        default_factory=lambda: {"anon": "3s", "authenticated": "5s", "admin": "30s"}
    )
    provision_members: bool = True

    # HTTP surface.
    cors_origins: CsvList = Field(default_factory=list)
    max_body_bytes: int = Field(100_000, ge=1024)
    graphiql: bool | None = None  # default: on in dev and test, off in production
    graphiql_assets_dir: Path = Path.home() / ".cache" / "jim" / "graphiql"

    # Redis: response cache, persisted queries, rate limits (issue 7).
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_timeout_ms: int = Field(100, ge=5)  # a slower Redis is treated as down: BYPASS
    redis_retry_seconds: float = Field(1.0, ge=0)  # after a failure, skip Redis this long
    cache_enabled: bool = True
    cache_ttl_seconds: int = Field(60, ge=1)
    cache_ttl_by_operation: CsvMap = Field(default_factory=dict)  # operationName=seconds (0: never)
    cache_lock_wait_ms: int = Field(3000, ge=0)  # identical misses wait this long for the first
    persisted_queries_only: bool = False  # allow-list mode: only registered operations run
    apq_ttl_seconds: int = Field(7 * 24 * 3600, ge=60)
    max_depth: int = Field(12, ge=1)
    max_fields: int = Field(250, ge=1)
    max_aliases: int = Field(30, ge=0)
    rate_limit_requests: int = Field(600, ge=0)  # per user per window; 0 disables
    rate_limit_anon_requests: int = Field(120, ge=0)  # per client IP per window; 0 disables
    rate_limit_window_seconds: int = Field(60, ge=1)

    # Serving (`jim proxy`).
    proxy_host: str = "127.0.0.1"
    proxy_port: int = Field(8000, ge=1, le=65535)
    proxy_workers: int = Field(2, ge=1, le=64)
    proxy_keepalive_seconds: int = Field(75, ge=1)

    _lists = field_validator(
        "jwt_issuers", "jwt_authorized_parties", "jwt_algorithms", "allowed_roles",
        "cors_origins", mode="before",
    )(_csv)
    _maps = field_validator(
        "role_mapping", "role_statement_timeouts", "cache_ttl_by_operation", mode="before"
    )(_pairs)

    @field_validator("cache_ttl_by_operation")
    @classmethod
    def _ttls(cls, value: dict[str, str]) -> dict[str, str]:
        for name, ttl in value.items():
            if not ttl.isdigit():
                raise ValueError(f"TTL of {name!r} must be a whole number of seconds, got {ttl!r}")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a redis:// URL")
        return value

    @field_validator("jwt_algorithms")
    @classmethod
    def _asymmetric_only(cls, value: list[str]) -> list[str]:
        bad = [alg for alg in value if alg not in ASYMMETRIC_ALGORITHMS]
        if bad or not value:
            raise ValueError(f"only asymmetric algorithms are allowed ({', '.join(ASYMMETRIC_ALGORITHMS)}), got {bad or 'none'}")
        return value

    @field_validator("allowed_roles")
    @classmethod
    def _role_names(cls, value: list[str]) -> list[str]:
        for role in value:
            if not _ROLE_NAME.match(role):
                raise ValueError(f"{role!r} is not a plain lower-case role name")
        return value

    @field_validator("role_statement_timeouts")
    @classmethod
    def _durations(cls, value: dict[str, str]) -> dict[str, str]:
        for text in value.values():
            duration_ms(text)
        return value

    def check(self) -> None:
        """Cross-field rules: every role the proxy may choose is on the allow-list."""
        self.refuse_dev_secret("authenticator_password", self.authenticator_password)
        chosen = {self.default_role, *self.role_mapping.values()}
        if self.allow_anonymous:
            chosen.add(self.anon_role)
        outside = sorted(chosen - set(self.allowed_roles))
        if outside:
            raise ValueError(f"ROLE_MAPPING/DEFAULT_ROLE/ANON_ROLE name roles outside ALLOWED_ROLES: {outside}")
        if self.db_pool_min_size > self.db_pool_max_size:
            raise ValueError("DB_POOL_MIN_SIZE is larger than DB_POOL_MAX_SIZE")

    @property
    def issuers(self) -> list[str]:
        return self.jwt_issuers or [self.realm_url]

    @property
    def graphiql_enabled(self) -> bool:
        return (not self.is_production) if self.graphiql is None else self.graphiql

    def ttl_for(self, operation_name: str | None) -> int:
        if operation_name and operation_name in self.cache_ttl_by_operation:
            return int(self.cache_ttl_by_operation[operation_name])
        return self.cache_ttl_seconds

    def statement_timeout_ms(self, role: str) -> int:
        return duration_ms(self.role_statement_timeouts.get(role, "5s"))

    @property
    def authenticator_url(self) -> str:
        """The proxy's connection string: it logs in as `authenticator`, never as the owner.

        On a loopback host without an explicit sslmode, sslmode=allow: plain TCP first, TLS
        only if the server insists. libpq's default (prefer) would encrypt and decrypt every
        message on both ends of a connection that never leaves the machine — about a tenth
        of the proxy's CPU per request, for nothing (a tunnel or cloud SQL proxy listening
        on loopback encrypts the hop that does leave). Any sslmode in the URL is kept."""
        if self.proxy_database_url:
            return _loopback_without_tls(self.proxy_database_url)
        parts = urlsplit(self.database_url)
        host = parts.hostname or ""
        netloc = f"authenticator:{quote(self.authenticator_password, safe='')}@{host}"
        if parts.port:
            netloc += f":{parts.port}"
        return _loopback_without_tls(urlunsplit(parts._replace(netloc=netloc)))


def _loopback_without_tls(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    loopback = host == "localhost" or host == "::1" or host.startswith("127.")
    if not loopback or "sslmode" in parse_qs(parts.query):
        return url
    return urlunsplit(parts._replace(query=parts.query + ("&" if parts.query else "") + "sslmode=allow"))
