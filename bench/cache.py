"""Response cache: the same query through the same proxy, cached (X-Cache: HIT) and uncached
(the bypass header, so it runs in PostgreSQL every time), side by side in one run.
Prints both rates and their ratio (issue 7's target: cached >= 5x uncached).

    .venv/bin/python bench/cache.py [--seconds 5] [--connections 8] [--workers 2]
    .venv/bin/python bench/cache.py --baseline-ref HEAD~3   # before/after a change

The two sides are timed in interleaved rounds and each figure is the median round.
`--baseline-ref REF` also runs the proxy as it was at git REF (its jim/ and proxy/ packages,
on its own Redis) in the same rounds and prints current ÷ baseline for both sides.

The load comes from wrk when it is installed (apt-get install wrk: a C client, so the load
generator takes little of the 2 cores from the proxy) and otherwise from Python processes
(bench/proxy_loadgen.py), which saturate the machine sooner and understate both rates.
Needs the stack's PostgreSQL (DATABASE_URL: migrated, seeded, engine installed), Keycloak
and redis-server; starts its own proxy and its own Redis on free ports. Rate limiting is
on (with a limit never reached) so both sides pay for it as in production.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
from proxy_loadgen import baseline_tree, best_of, wrk  # noqa: E402  (bench/ is sys.path[0])

from tests.proxy.servers import keycloak_token, running_proxy, running_redis  # noqa: E402

QUERY = (
    "query Feed { workoutCollection(first: 10, orderBy: [{startedAt: DescNullsLast}]) { edges { node {"
    " title startedAt visibility workoutEntryCollection(first: 10) { edges { node {"
    " position metrics exercise { name category } } } } } } } }"
)


def wrk_rate(url: str, token: str, query: str, bypass: bool, seconds: float, connections: int) -> tuple[float, str]:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    if bypass:
        headers["X-Cache-Bypass"] = "1"
    result = wrk("cache", url, headers, {"query": query}, seconds=int(seconds), connections=connections)
    assert result.reported is not None
    p50, p99 = result.reported[50], result.reported[99]
    return result.rate, f"p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   ({result.calls} requests)"


def python_rate(url: str, token: str, query: str, bypass: bool, seconds: float, connections: int) -> tuple[float, str]:
    headers = {"Authorization": f"Bearer {token}", **({"X-Cache-Bypass": "1"} if bypass else {})}
    expected = "BYPASS" if bypass else "HIT"

    def make():
        client = httpx.Client(headers=headers, timeout=30)

        def call() -> None:
            response = client.post(url, json={"query": query})
            assert response.status_code == 200 and response.headers["x-cache"] == expected, response.text
        return call

    result = best_of(1, "", make, seconds=seconds, concurrency=connections)
    return result.rate, f"p50 {result.percentile(50):6.2f} ms   p99 {result.percentile(99):6.2f} ms   ({result.calls} requests)"


def warm_up(server, query: str, token: str) -> None:
    """Until the query is answered from the cache (the invalidation listener connects in the
    background after start: until it has, the proxy answers BYPASS)."""
    seen = []
    for _ in range(50):
        response = server.post(query, token=token)
        assert response.status_code == 200 and "errors" not in response.json(), response.text
        seen.append(response.headers["x-cache"])
        if seen[-1] == "HIT":
            return
        time.sleep(0.1)
    raise SystemExit(f"the query is not cacheable: X-Cache was {', '.join(seen[-5:])}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="proxy worker processes")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the median round counts")
    parser.add_argument("--user", default="alice")
    parser.add_argument("--query", default=QUERY)
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--baseline-ref", help="also run the proxy as it was at this git ref")
    args = parser.parse_args()

    database_url = os.environ.get("DATABASE_URL", "postgresql://jim:jim@127.0.0.1:5432/jim")
    client = "wrk" if args.client == "wrk" or (args.client == "auto" and shutil.which("wrk")) else "python"
    measure = wrk_rate if client == "wrk" else python_rate
    seconds = int(args.seconds) if client == "wrk" else args.seconds
    token = keycloak_token(args.user)
    print(f"query: {args.query}\nas {args.user}; load: {client}, {args.connections} connections, "
          f"{seconds}s x {args.rounds} interleaved rounds (median); proxy workers {args.workers}\n")
    env: dict[str, Any] = {"PROXY_WORKERS": str(args.workers), "LOG_LEVEL": "WARNING", "RATE_LIMIT_REQUESTS": "1000000000",
           "CACHE_TTL_SECONDS": "600", "DB_POOL_MAX_SIZE": str(max(2, args.connections))}
    labels = {"current": "current"}
    with contextlib.ExitStack() as stack:
        sources: dict[str, Path | None] = {"current": None}
        if args.baseline_ref:
            labels["baseline"] = f"at {args.baseline_ref}"
            sources["baseline"] = stack.enter_context(baseline_tree(args.baseline_ref))
        servers = {}
        for key, source in sources.items():  # each proxy with its own Redis: no shared entries
            redis_server = stack.enter_context(running_redis())
            servers[key] = stack.enter_context(running_proxy(database_url, source=source,
                                                             REDIS_URL=redis_server.url, **env))
            warm_up(servers[key], args.query, token)
        sides = [(key, bypass) for key in servers for bypass in (True, False)]
        rounds: dict[tuple[str, bool], list[tuple[float, str]]] = {side: [] for side in sides}
        for r in range(args.rounds):  # rotate the order so drifting background load hits every side alike
            shift = r % len(sides)
            for key, bypass in sides[shift:] + sides[:shift]:
                rounds[(key, bypass)].append(
                    measure(servers[key].graphql_url, token, args.query, bypass, seconds, args.connections))
    median = {side: sorted(results)[len(results) // 2] for side, results in rounds.items()}
    for key in servers:
        uncached, cached = median[(key, True)], median[(key, False)]
        print(f"{labels[key]}:")
        print(f"  {'uncached (X-Cache: BYPASS)':<30} {uncached[0]:>9.0f} req/s   {uncached[1]}"
              f"   rounds: {', '.join(f'{x[0]:.0f}' for x in rounds[(key, True)])}")
        print(f"  {'cached (X-Cache: HIT)':<30} {cached[0]:>9.0f} req/s   {cached[1]}"
              f"   rounds: {', '.join(f'{x[0]:.0f}' for x in rounds[(key, False)])}")
        print(f"  cached / uncached throughput ratio: {cached[0] / uncached[0]:.2f}x  (target >= 5x)\n")
    if args.baseline_ref:
        for bypass, name in ((True, "uncached"), (False, "cached")):
            per_round = [a[0] / b[0] for a, b in zip(rounds[("current", bypass)], rounds[("baseline", bypass)], strict=True)]
            print(f"current / baseline ({args.baseline_ref}), {name}: "
                  f"{median[('current', bypass)][0] / median[('baseline', bypass)][0]:.2f}x"
                  f"   (per round: {', '.join(f'{x:.2f}x' for x in per_round)}; median {statistics.median(per_round):.2f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
