"""Proxy overhead: one authenticated query through `jim proxy` (HTTP, token verification,
role switch, one statement) against the same query through graphql.resolve directly (the
same statement sent by a client holding its own connection), side by side in one run, with
the same concurrency. Prints both rates and their ratio.

    .venv/bin/python bench/proxy_overhead.py [--seconds 5] [--concurrency 4] [--workers 2]
    .venv/bin/python bench/proxy_overhead.py --baseline-ref HEAD~3   # before/after a change

Load: wrk (HTTP) and pgbench (SQL, the same statement) when both are installed
(`apt-get install wrk`; pgbench comes with PostgreSQL) — C clients that leave the 2 cores
to what is measured — else Python client processes for both sides (bench/proxy_loadgen.py).
The sides are timed in interleaved rounds and each figure is the median round.
`--baseline-ref REF` also runs the proxy as it was at git REF (its jim/ and proxy/
packages) in the same rounds, and prints the current ÷ baseline ratio.

Needs the stack's PostgreSQL (DATABASE_URL, migrated and seeded, with the engine) and
Keycloak; it starts its own proxies on free ports.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import itertools
import json
import os
import re
import shutil
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
import psycopg  # noqa: E402
from proxy_loadgen import Result, baseline_tree, pgbench, run, wrk  # noqa: E402  (bench/ is sys.path[0])
from psycopg.conninfo import conninfo_to_dict  # noqa: E402

from proxy.executor import RESOLVE_AS_ROLE_SQL  # noqa: E402
from proxy.settings import ProxySettings  # noqa: E402
from tests.proxy.servers import keycloak_token, running_proxy  # noqa: E402

QUERY = "{ exerciseCollection(first: 10) { edges { node { id name category metrics } } } }"
TIMEOUT = "5000ms"  # authenticated's statement timeout, as the proxy's connections carry it
DIRECT = "graphql.resolve direct (baseline)"
PROXY = "through the proxy (HTTP + JWT)"


def claims_of(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def direct_client(url: str, claims: dict, query: str):
    def make():
        conn = psycopg.connect(url, autocommit=True)
        conn.execute("select set_config('statement_timeout', %s, false)", (TIMEOUT,))
        params = (claims["role"], json.dumps(claims), query, "{}", None, None)

        def call() -> None:
            body, has_errors = conn.execute(RESOLVE_AS_ROLE_SQL, params).fetchone()
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


def pgbench_script() -> str:
    """The proxy's own statement, its parameters as pgbench variables."""
    values = iter(["'authenticated'", ":claims", ":query", "'{}'", "null", "null"])
    return re.sub("%s", lambda _: next(values), RESOLVE_AS_ROLE_SQL.as_string()) + ";\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="proxy worker processes")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the median round counts")
    parser.add_argument("--user", default="alice")
    parser.add_argument("--query", default=QUERY)
    parser.add_argument("--client", choices=["auto", "c", "python"], default="auto")
    parser.add_argument("--baseline-ref", help="also run the proxy as it was at this git ref")
    args = parser.parse_args()
    use_c = args.client == "c" or (args.client == "auto" and shutil.which("wrk") and shutil.which("pgbench"))

    settings = ProxySettings.model_validate(
        {"database_url": os.environ.get("DATABASE_URL", "postgresql://jim:jim@127.0.0.1:5432/jim")})
    token = keycloak_token(args.user)
    claims = {**claims_of(token), "role": "authenticated"}
    info = conninfo_to_dict(settings.authenticator_url)
    conn = {"host": str(info.get("host", "127.0.0.1")), "port": str(info.get("port", "5432")),
            "user": str(info["user"]), "password": str(info.get("password", "")), "dbname": str(info["dbname"]),
            "sslmode": str(info.get("sslmode", "prefer"))}  # as the proxy connects
    seconds = max(1, int(args.seconds)) if use_c else args.seconds
    print(f"load: {'wrk + pgbench' if use_c else 'Python processes'}; ", end="")
    print(f"query: {args.query}\nas {args.user}, concurrency {args.concurrency}, "
          f"{seconds}s x {args.rounds} interleaved rounds (median), proxy workers {args.workers}\n")
    # Uncached and unthrottled: this measures the proxy's own cost (bench/cache.py the cache's).
    env: dict[str, Any] = {"PROXY_WORKERS": str(args.workers), "LOG_LEVEL": "WARNING", "CACHE_ENABLED": "false",
           "RATE_LIMIT_REQUESTS": "0", "DB_POOL_MAX_SIZE": str(max(2, args.concurrency))}
    with contextlib.ExitStack() as stack:
        proxies = {PROXY: stack.enter_context(running_proxy(settings.database_url, **env))}
        if args.baseline_ref:
            source = stack.enter_context(baseline_tree(args.baseline_ref))
            proxies[f"the proxy at {args.baseline_ref}"] = stack.enter_context(
                running_proxy(settings.database_url, source=source, **env))

        def measure_direct() -> Result:
            if use_c:
                return pgbench(DIRECT, conn, pgbench_script(), {"claims": json.dumps(claims), "query": args.query},
                               seconds=int(seconds), clients=args.concurrency,
                               options=f"-c statement_timeout={TIMEOUT}")
            return run(DIRECT, direct_client(settings.authenticator_url, claims, args.query),
                       seconds=seconds, concurrency=args.concurrency)

        def measure_proxy(label: str) -> Result:
            url = proxies[label].graphql_url
            if use_c:
                return wrk(label, url, {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
                           {"query": args.query}, seconds=int(seconds), connections=args.concurrency)
            return run(label, proxy_client(url, token, args.query), seconds=seconds, concurrency=args.concurrency)

        sides = [(DIRECT, measure_direct)] + [(label, lambda lb=label: measure_proxy(lb)) for label in proxies]
        rounds: dict[str, list[Result]] = {label: [] for label, _ in sides}
        for r in range(args.rounds):  # rotate the order so drifting background load hits every side alike
            shift = r % len(sides)
            for label, measure in itertools.chain(sides[shift:], sides[:shift]):
                rounds[label].append(measure())
    median = {label: sorted(results, key=lambda x: x.rate)[len(results) // 2] for label, results in rounds.items()}
    for label in rounds:
        print(median[label].line(), "  rounds:", ", ".join(f"{x.rate:.0f}" for x in rounds[label]))
    direct = median[DIRECT]
    for label in proxies:
        through = median[label]
        print(f"\n{label} / direct throughput ratio: {through.rate / direct.rate:.2f}x"
              f"   (latency p50 ratio {through.percentile(50) / direct.percentile(50):.2f}x)", end="")
    if args.baseline_ref:
        base = median[f"the proxy at {args.baseline_ref}"]
        ratios = [a.rate / b.rate for a, b in zip(rounds[PROXY], rounds[f"the proxy at {args.baseline_ref}"], strict=True)]
        print(f"\n\ncurrent / baseline ({args.baseline_ref}) throughput ratio: {median[PROXY].rate / base.rate:.2f}x"
              f"   (per round: {', '.join(f'{x:.2f}x' for x in ratios)}; median {statistics.median(ratios):.2f}x)")
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
