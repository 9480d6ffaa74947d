"""Engine overhead: GraphQL operations through ``graphql.resolve`` against the SQL the engine
compiles them to, run directly as server-side prepared statements with the same parameters,
interleaved in one run, as the same role with the same claims (row-level security applies to
both). Prints the medians and their ratio (target: at most 1.25 at steady state), beside the
ratio to the same statement with its answer cast to jsonb (the compiled SQL builds json, and
graphql.resolve returns jsonb as pg_graphql's signature says: the cast is the part of the
overhead that is the return type's parse), then the time of the first request on fresh
connections (target: under 300 ms).

    .venv/bin/python bench/engine_overhead.py [--rounds 2000] [--fresh 15] [--query NAME ...]
    .venv/bin/python bench/engine_overhead.py --baseline-ref HEAD~3 --pgbench 5

``--baseline-ref REF`` also measures the engine as it was at git REF, in the same rounds: it
migrates and seeds a copy of the demo data into ``<database>_engine_baseline``, installs REF's
engine there, and prints current ÷ baseline. ``--pgbench SECONDS`` adds a load run of the
one-row query (pgbench, prepared, interleaved rounds): the compiled SQL, graphql.resolve, and
the baseline's graphql.resolve. Cases: ``workouts`` (a member's screen: 10 workouts with their
entries), ``exercises`` (10 catalog rows), ``exercise`` (one row by id, the same request
each time) and ``exercise-varying`` (one row, a different variables text every call, so no
request is ever answered from the engine's per-request cache).

Needs the demo database (DATABASE_URL, default the local ``jim``), migrated and seeded.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import psycopg  # noqa: E402
from psycopg.conninfo import conninfo_to_dict  # noqa: E402

from jim.db.connect import database_name, with_database  # noqa: E402
from jimgql import reflect  # noqa: E402
from jimgql.compile import document  # noqa: E402
from jimgql.compile.planner import Step, compile_operation  # noqa: E402
from jimgql.schema.builder import build  # noqa: E402

ALICE = {"sub": "a11ce000-0000-4000-8000-000000000001", "role": "authenticated",
         "preferred_username": "alice", "realm_access": {"roles": ["member"]}}
WORKOUTS = """query Recent($n: Int!) {
  workoutCollection(first: $n, orderBy: [{startedAt: DescNullsLast}]) {
    pageInfo { hasNextPage endCursor }
    edges { node { id title startedAt tags visibility
      workoutEntryCollection(first: 10) { edges { node { position metrics exercise { name category } } } } } }
  }
}"""
EXERCISES = "query Exercises($n: Int!) { exerciseCollection(first: $n) { edges { node { id name category metrics } } } }"
EXERCISE = "query Exercise($id: BigInt!) { exerciseByPk(id: $id) { id name category metrics } }"
# name -> (document, variables of call k, whether every call sends a new variables text)
CASES: dict[str, tuple[str, Callable[[int], dict], bool]] = {
    "workouts": (WORKOUTS, lambda k: {"n": 10}, False),
    "exercises": (EXERCISES, lambda k: {"n": 10}, False),
    "exercise": (EXERCISE, lambda k: {"id": "7"}, False),
    # an unused variable makes each text new (pg_graphql ignores undeclared variables)
    "exercise-varying": (EXERCISE, lambda k: {"id": str(k % 40 + 1), "call": k}, True),
}
RESOLVE = "select graphql.resolve(%s, %s::jsonb)"


def as_alice(conn: psycopg.Connection) -> None:
    conn.execute("select set_config('role', 'authenticated', false)")
    conn.execute("select set_config('request.jwt.claims', %s, false)", (json.dumps(ALICE),))


def one(conn: psycopg.Connection, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None, *,
        prepare: bool | None = None) -> Any:
    row = conn.execute(sql, params, prepare=prepare).fetchone()
    assert row is not None
    return row[0]


def compiled(conn: psycopg.Connection, query: str, variables: dict) -> Step:
    """The operation's one statement, compiled here from the catalog the connection sees."""
    catalog = reflect.load(one(conn, "select graphql._catalog()"))
    plan = compile_operation(build(catalog), document.load(query, None), variables)
    (step,) = [s for s in plan.steps if s.sql]
    return step


def timed(fn: Callable[[int], object], start: int, count: int) -> list[float]:
    out = []
    for k in range(start, start + count):
        t = time.perf_counter()
        fn(k)
        out.append(time.perf_counter() - t)
    return out


def steady(url: str, base_url: str | None, name: str, rounds: int) -> dict[str, float]:
    query, variables_of, _varying = CASES[name]
    with psycopg.connect(url, autocommit=True) as conn, psycopg.connect(url, autocommit=True) as eng, \
            psycopg.connect(base_url or url, autocommit=True) as base:
        for c in (conn, eng, base):
            as_alice(c)
        step = compiled(conn, query, variables_of(0))
        assert step.sql is not None
        # The same statement as a psycopg prepared statement ($n -> named placeholders, which
        # may repeat), so both sides run server-side prepared plans.
        statement = re.sub(r"\$(\d+)", r"%(p\1)s", step.sql.replace("%", "%%"))

        def named(k: int) -> dict[str, Any]:
            return {f"p{i + 1}": value for i, value in enumerate(step.bind(variables_of(k)))}

        def direct(k: int) -> object:
            return one(conn, statement, named(k), prepare=True)

        # The same statement with its answer as jsonb, the type graphql.resolve must return
        # (pg_graphql's signature): the share of the overhead that is that type's parse.
        as_jsonb = "select (" + statement + ")::jsonb"

        def direct_jsonb(k: int) -> object:
            return one(conn, as_jsonb, named(k), prepare=True)

        def engine_of(c: psycopg.Connection) -> Callable[[int], object]:
            def call(k: int) -> object:
                answer = one(c, RESOLVE, (query, json.dumps(variables_of(k))), prepare=True)
                assert "errors" not in answer, answer
                return answer["data"]
            return call

        sides: dict[str, Callable[[int], object]] = {"direct": direct, "engine": engine_of(eng)}
        if base_url:
            sides["baseline"] = engine_of(base)
        for k in (0, 1, 5):  # same answers on every side
            expected = direct(k)
            assert direct_jsonb(k) == expected, "the jsonb cast answers differently"
            for side in list(sides)[1:]:
                got = sides[side](k)
                assert isinstance(got, dict) and list(got.values()) == [expected], f"{side} answers differently"
        sides["as jsonb"] = direct_jsonb
        for fn in sides.values():  # warm every path (plans, caches)
            timed(fn, 0, 200)
        samples: dict[str, list[float]] = {s: [] for s in sides}
        ratios: dict[str, list[float]] = {"engine": [], "baseline": [], "engine/baseline": [], "jsonb": []}
        k = 1000
        for _ in range(max(rounds // 100, 1)):  # interleave so load bursts hit every side alike
            block = {}
            for side, fn in sides.items():
                block[side] = timed(fn, k, 50)
                samples[side] += block[side]
            block["direct"] += timed(direct, k, 50)
            samples["direct"] += block["direct"][50:]
            k += 50
            med = {s: statistics.median(v) for s, v in block.items()}
            ratios["engine"].append(med["engine"] / med["direct"])
            ratios["jsonb"].append(med["engine"] / med["as jsonb"])
            if base_url:
                ratios["baseline"].append(med["baseline"] / med["direct"])
                ratios["engine/baseline"].append(med["engine"] / med["baseline"])
        out = {f"{s} ms": statistics.median(v) * 1000 for s, v in samples.items()}
        out |= {f"{r} ratio": statistics.median(v) for r, v in ratios.items() if v}
        return out


def first_calls(url: str, query: str, variables: dict, count: int) -> list[float]:
    out = []
    for _ in range(count):
        with psycopg.connect(url, autocommit=True) as conn:
            as_alice(conn)
            conn.execute("select 1")
            t = time.perf_counter()
            conn.execute(RESOLVE, (query, json.dumps(variables))).fetchone()
            out.append(time.perf_counter() - t)
    return out


def baseline_database(url: str, ref: str) -> str:
    """A database with the demo data and the engine as it was at ``ref``."""
    base_url = with_database(url, database_name(url) + "_engine_baseline")
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as admin:
        admin.execute(f'drop database if exists "{database_name(base_url)}" with (force)')
        admin.execute(f'create database "{database_name(base_url)}"')
    env = {**os.environ, "DATABASE_URL": base_url}
    jim = str(REPO / ".venv" / "bin" / "jim")
    for command in (["db", "migrate"], ["db", "seed"]):
        subprocess.run([jim, *command], env=env, check=True, capture_output=True)
    with tempfile.TemporaryDirectory(prefix="jimgql-baseline-") as tree:
        archive = subprocess.run(["git", "-C", str(REPO), "archive", ref, "jimgql"],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", tree], input=archive, check=True)
        install = ("import sys, psycopg, jimgql.install as i; "
                   "assert i.__file__.startswith(sys.argv[2]), i.__file__; "
                   "c = psycopg.connect(sys.argv[1], autocommit=True); print(i.install_into(c).message)")
        subprocess.run([sys.executable, "-c", install, base_url, tree], cwd=tree, check=True,
                       env={**os.environ, "PYTHONPATH": tree}, capture_output=True)
    return base_url


def pgbench_tps(url: str, script: str, seconds: int, clients: int) -> float:
    info = conninfo_to_dict(url)
    claims = json.dumps(ALICE, separators=(",", ":"))
    with tempfile.NamedTemporaryFile("w", suffix=".sql") as file:
        file.write(script)
        file.flush()
        out = subprocess.run(
            ["pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", str(clients), "-T", str(seconds),
             "-f", file.name, "-h", str(info.get("host", "127.0.0.1")), "-p", str(info.get("port", 5432)),
             "-U", str(info["user"]), str(info["dbname"])],
            capture_output=True, text=True, check=True,
            env={**os.environ, "PGPASSWORD": str(info.get("password", "")), "PGSSLMODE": "disable",
                 "PGOPTIONS": f"-c role=authenticated -c request.jwt.claims={claims}"})
    return float(re.search(r"tps = ([\d.]+)", out.stdout).group(1))  # type: ignore[union-attr]


def pgbench_rounds(url: str, base_url: str | None, seconds: int, clients: int, rounds: int = 3) -> None:
    variables = json.dumps(CASES["exercise"][1](0))
    with psycopg.connect(url, autocommit=True) as conn:
        as_alice(conn)
        step = compiled(conn, EXERCISE, json.loads(variables))
    params, literal = step.bind(json.loads(variables)), step.sql or ""
    for i in range(len(params), 0, -1):  # the statement with its (constant) parameters inline
        literal = literal.replace(f"${i}", "'" + str(params[i - 1]).replace("'", "''") + "'")
    resolve = f"select graphql.resolve($q${EXERCISE}$q$, '{variables}')::text;\n"
    scripts = {"compiled SQL": literal + ";\n", "graphql.resolve": resolve}
    if base_url:
        scripts["baseline resolve"] = resolve
    tps: dict[str, list[float]] = {s: [] for s in scripts}
    for _ in range(rounds):
        for side, script in scripts.items():
            target = base_url if side == "baseline resolve" and base_url else url
            tps[side].append(pgbench_tps(target, script, seconds, clients))
    med = {s: statistics.median(v) for s, v in tps.items()}
    print(f"  pgbench, one row by id, {clients} clients, {rounds} interleaved rounds of {seconds} s (median tps):")
    for side, value in med.items():
        print(f"    {side:18s} {value:9.0f} tps   {value / med['compiled SQL']:5.2f}x the compiled SQL")
    if base_url:
        print(f"    graphql.resolve / baseline: {med['graphql.resolve'] / med['baseline resolve']:5.2f}x the throughput")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("DATABASE_URL", "postgresql://jim:jim@127.0.0.1:5432/jim"))
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--fresh", type=int, default=15)
    parser.add_argument("--query", choices=sorted(CASES), nargs="*", default=None)
    parser.add_argument("--baseline-ref", metavar="REF", default=None)
    parser.add_argument("--pgbench", type=int, metavar="SECONDS", default=0)
    parser.add_argument("--clients", type=int, default=2)
    args = parser.parse_args()
    base_url = baseline_database(args.url, args.baseline_ref) if args.baseline_ref else None
    names = args.query or list(CASES)
    print(f"engine overhead on {database_name(args.url)} (as alice, RLS on): {args.rounds // 100} blocks of 50 "
          "calls per side, interleaved" + (f"; baseline: the engine at {args.baseline_ref}" if base_url else ""))
    for name in names:
        r = steady(args.url, base_url, name, args.rounds)
        line = (f"  {name:17s} compiled SQL {r['direct ms']:7.3f} ms   graphql.resolve {r['engine ms']:7.3f} ms"
                f"   ratio {r['engine ratio']:5.2f}x   (vs the SQL cast to jsonb {r['as jsonb ms']:7.3f} ms:"
                f" {r['jsonb ratio']:5.2f}x)")
        if base_url:
            line += (f"   baseline {r['baseline ms']:7.3f} ms ({r['baseline ratio']:5.2f}x)"
                     f"   current/baseline {r['engine/baseline ratio']:5.2f}x")
        print(line)
    print("  (ratios: median of per-block ratios; target <= 1.25x. The compiled SQL builds json; resolve\n"
          "   returns jsonb as pg_graphql's signature says, so the cast column shows what that parse costs)")
    query, variables_of, _ = CASES[names[0]]
    for label, target in [("current", args.url)] + ([("baseline", base_url)] if base_url else []):
        fresh = first_calls(target, query, variables_of(0), args.fresh)
        print(f"  first call on a fresh connection, {label} ({len(fresh)} connections): median "
              f"{statistics.median(fresh) * 1000:.0f} ms, max {max(fresh) * 1000:.0f} ms   (target < 300 ms)")
    if args.pgbench:
        pgbench_rounds(args.url, base_url, args.pgbench, args.clients)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
