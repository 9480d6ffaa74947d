"""Proxy overhead: one authenticated query through `jim proxy` (HTTP, token verification,
role switch, one pipelined transaction) against the same query through graphql.resolve
directly (the same transaction sent by a client holding its own connection), side by side
in one run, with the same concurrency. Prints both rates and their ratio.

    .venv/bin/python bench/proxy_overhead.py [--seconds 5] [--concurrency 4] [--workers 2]

Load: wrk (HTTP) and pgbench (SQL, the same pipelined transaction) when both are installed
(`apt-get install wrk`; pgbench comes with PostgreSQL) — C clients that leave the 2 cores
to what is measured — else Python client processes for both sides (bench/proxy_loadgen.py).

Needs the stack's PostgreSQL (DATABASE_URL, migrated and seeded, with the engine) and
Keycloak; it starts its own proxy on a free port.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
import psycopg  # noqa: E402
from proxy_loadgen import best_of, pgbench, wrk  # noqa: E402  (bench/ is sys.path[0])
from psycopg.conninfo import conninfo_to_dict  # noqa: E402

from proxy.executor import CONTEXT_SQL, RESOLVE_SQL  # noqa: E402
from proxy.settings import ProxySettings  # noqa: E402
from tests.proxy.servers import keycloak_token, running_proxy  # noqa: E402

QUERY = "{ exerciseCollection(first: 10) { edges { node { id name category metrics } } } }"


def claims_of(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def direct_client(url: str, claims: dict, query: str):
    def make():
        conn = psycopg.connect(url, autocommit=True)
        claims_text = json.dumps(claims)

        def call() -> None:
            with conn.pipeline():
                conn.execute(CONTEXT_SQL, (claims["role"], claims_text, "5000ms"))
                cur = conn.execute(RESOLVE_SQL, (query, "{}", None, None))
            body, has_errors = cur.fetchone()
            assert not has_errors, body
        return call
    return make


def proxy_client(url: str, token: str, query: str):
    def make():
        client = httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=30)
        payload = {"query": query}

        def call() -> None:
            response = client.post(url, json=payload)
            assert response.status_code == 200 and b'"errors"' not in response.content, response.text
        return call
    return make


PGBENCH_SCRIPT = """\\startpipeline
select set_config('role', 'authenticated', true), set_config('request.jwt.claims', :claims, true), set_config('statement_timeout', '5000ms', true);
select graphql.resolve(:query, '{}'::jsonb, null, null)::text;
\\endpipeline
"""


def measure_with_c(args, settings, url: str, token: str, claims: dict):
    info = conninfo_to_dict(settings.authenticator_url)
    conn = {"host": str(info.get("host", "127.0.0.1")), "port": str(info.get("port", "5432")),
            "user": str(info["user"]), "password": str(info.get("password", "")), "dbname": str(info["dbname"])}
    seconds = max(1, int(args.seconds))
    best = {}
    for _ in range(args.rounds):  # alternate the two sides, keep the best of each
        direct = pgbench("graphql.resolve direct (baseline)", conn, PGBENCH_SCRIPT,
                         {"claims": json.dumps(claims), "query": args.query},
                         seconds=seconds, clients=args.concurrency)
        through = wrk("through the proxy (HTTP + JWT)", url,
                      {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
                      {"query": args.query}, seconds=seconds, connections=args.concurrency)
        for r in (direct, through):
            if r.label not in best or r.rate > best[r.label].rate:
                best[r.label] = r
    return best["graphql.resolve direct (baseline)"], best["through the proxy (HTTP + JWT)"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="proxy worker processes")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--user", default="alice")
    parser.add_argument("--query", default=QUERY)
    parser.add_argument("--client", choices=["auto", "c", "python"], default="auto")
    args = parser.parse_args()
    use_c = args.client == "c" or (args.client == "auto" and shutil.which("wrk") and shutil.which("pgbench"))

    settings = ProxySettings(database_url=os.environ.get("DATABASE_URL", "postgresql://jim:jim@127.0.0.1:5432/jim"))
    token = keycloak_token(args.user)
    claims = {**claims_of(token), "role": "authenticated"}
    print(f"load: {'wrk + pgbench' if use_c else 'Python processes'}; ", end="")
    print(f"query: {args.query}\nas {args.user}, concurrency {args.concurrency}, "
          f"{args.seconds}s x best of {args.rounds}, proxy workers {args.workers}\n")
    # Uncached and unthrottled: this measures the proxy's own cost (bench/cache.py the cache's).
    with running_proxy(settings.database_url, PROXY_WORKERS=str(args.workers), LOG_LEVEL="WARNING",
                       CACHE_ENABLED="false", RATE_LIMIT_REQUESTS="0",
                       DB_POOL_MAX_SIZE=str(max(2, args.concurrency))) as server:
        if use_c:
            direct, through = measure_with_c(args, settings, server.graphql_url, token, claims)
        else:
            direct = best_of(args.rounds, "graphql.resolve direct (baseline)",
                             direct_client(settings.authenticator_url, claims, args.query),
                             seconds=args.seconds, concurrency=args.concurrency)
            through = best_of(args.rounds, "through the proxy (HTTP + JWT)",
                              proxy_client(server.graphql_url, token, args.query),
                              seconds=args.seconds, concurrency=args.concurrency)
    print(direct.line())
    print(through.line())
    print(f"\nproxy / direct throughput ratio: {through.rate / direct.rate:.2f}x"
          f"   (latency p50 ratio {through.percentile(50) / direct.percentile(50):.2f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
