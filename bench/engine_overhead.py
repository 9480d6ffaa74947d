"""Engine overhead: one GraphQL operation through ``graphql.resolve`` against the SQL the
engine compiles it to, run directly as a server-side prepared statement with the same
parameters, interleaved in one run on one connection, as the same role with the same claims
(row-level security applies to both). Prints both medians and their ratio (target: at most
1.25 at steady state), then the time of the first request on fresh connections on the sample
schema (target: under 300 ms).

    .venv/bin/python bench/engine_overhead.py [--rounds 2000] [--fresh 15] [--query NAME]

Needs the demo database (DATABASE_URL, default the local ``jim``), migrated and seeded.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg  # noqa: E402

from jimgql import reflect  # noqa: E402
from jimgql.compile import document  # noqa: E402
from jimgql.compile.planner import compile_operation  # noqa: E402
from jimgql.schema.builder import build  # noqa: E402

ALICE = {"sub": "a11ce000-0000-4000-8000-000000000001", "role": "authenticated",
         "preferred_username": "alice", "realm_access": {"roles": ["member"]}}
QUERIES = {
    # A typical screen: the member's recent workouts with their entries and exercises.
    "workouts": """
        query Recent($n: Int!) {
          workoutCollection(first: $n, orderBy: [{startedAt: DescNullsLast}]) {
            pageInfo { hasNextPage endCursor }
            edges { node { id title startedAt tags visibility
              workoutEntryCollection(first: 10) { edges { node { position metrics exercise { name category } } } } } }
          }
        }""",
    # The catalog list (small rows, one table).
    "exercises": """
        query Exercises($n: Int!) {
          exerciseCollection(first: $n) { edges { node { id name category metrics } } }
        }""",
}


def as_alice(conn: psycopg.Connection) -> None:
    conn.execute("select set_config('role', 'authenticated', false)")
    conn.execute("select set_config('request.jwt.claims', %s, false)", (json.dumps(ALICE),))


def compiled(conn: psycopg.Connection, query: str, variables: dict) -> tuple[str, list]:
    catalog = reflect.load(conn.execute("select graphql._catalog()").fetchone()[0])
    plan = compile_operation(build(catalog), document.load(query, None), variables)
    (step,) = [s for s in plan.steps if s.sql]
    return step.sql, step.bind(variables)


def timed(fn, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def steady(url: str, query: str, variables: dict, rounds: int) -> tuple[float, float, float]:
    with psycopg.connect(url, autocommit=True) as conn:
        as_alice(conn)
        sql, params = compiled(conn, query, variables)
        # The same statement as a psycopg prepared statement ($n -> named placeholders, which
        # may repeat), so both sides run server-side prepared plans.
        statement = re.sub(r"\$(\d+)", r"%(p\1)s", sql.replace("%", "%%"))
        named = {f"p{i + 1}": value for i, value in enumerate(params)}
        resolve = "select graphql.resolve(%s, %s::jsonb)"
        var_text = json.dumps(variables)

        def direct() -> None:
            conn.execute(statement, named, prepare=True).fetchone()

        def engine() -> None:
            row = conn.execute(resolve, (query, var_text), prepare=True).fetchone()
            assert "errors" not in row[0], row[0]

        direct_result = conn.execute(statement, named).fetchone()[0]
        engine_result = conn.execute(resolve, (query, var_text)).fetchone()[0]
        assert engine_result["data"] == {"workoutCollection" if "workout" in query else
                                         "exerciseCollection": direct_result}, "results differ"
        for fn in (direct, engine, direct, engine):  # warm both paths (plans, caches)
            timed(fn, 200)
        d, e, ratios = [], [], []
        for _ in range(rounds // 100):  # interleave so load bursts hit both sides alike
            block_d, block_e = timed(direct, 50), timed(engine, 50)
            block_d += timed(direct, 50)
            d += block_d
            e += block_e
            ratios.append(statistics.median(block_e) / statistics.median(block_d))
        return statistics.median(d), statistics.median(e), statistics.median(ratios)


def first_calls(url: str, query: str, variables: dict, count: int) -> list[float]:
    out = []
    for _ in range(count):
        with psycopg.connect(url, autocommit=True) as conn:
            as_alice(conn)
            conn.execute("select 1")
            t = time.perf_counter()
            conn.execute("select graphql.resolve(%s, %s::jsonb)", (query, json.dumps(variables))).fetchone()
            out.append(time.perf_counter() - t)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("DATABASE_URL", "postgresql://jim:jim@127.0.0.1:5432/jim"))
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--fresh", type=int, default=15)
    parser.add_argument("--query", choices=sorted(QUERIES), default=None)
    args = parser.parse_args()
    names = [args.query] if args.query else list(QUERIES)
    print(f"engine overhead on {args.url.rsplit('/', 1)[-1]} (as alice, RLS on): {args.rounds // 100} blocks "
          "of 50 direct, 50 through the engine, 50 direct")
    for name in names:
        variables = {"n": 10}
        direct, engine, ratio = steady(args.url, QUERIES[name], variables, args.rounds)
        print(f"  {name:10s} compiled SQL {direct * 1000:7.3f} ms   graphql.resolve {engine * 1000:7.3f} ms"
              f"   ratio {ratio:5.2f}x   (target <= 1.25x; median of per-block ratios)")
    fresh = first_calls(args.url, QUERIES[names[0]], {"n": 10}, args.fresh)
    print(f"  first call on a fresh connection ({len(fresh)} connections): median "
          f"{statistics.median(fresh) * 1000:.0f} ms, max {max(fresh) * 1000:.0f} ms   (target < 300 ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
