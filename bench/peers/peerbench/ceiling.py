"""The raw SQL ceiling: the statement behind a scenario, run by pgbench at the same
concurrency, in the same transaction shape as jim's proxy (one implicit transaction: the
role, claims and timeout set LOCAL by set_config, then the statement), pipelined in one
round trip and prepared once per connection. Nothing HTTP, nothing GraphQL: what PostgreSQL alone costs.

The statement is the SQL jim's engine compiles for the operation (read through
bench.compiled_sql, see compiled_sql.sql); when that is unavailable, a hand-written
equivalent from the scenario folder (ceiling.sql), and the report says which one ran.
The same machinery also runs graphql.resolve itself under pgbench ("jim, SQL only"): jim
without its proxy, which tells the engine's share of jim's cost from the proxy's.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from peerbench.scenarios import SCENARIOS_DIR, Scenario
from peerbench.wrk import POSITION_MARKER, LoadResult

_VARIABLE = re.compile(r"(?<![:\w]):([A-Za-z_][A-Za-z0-9_]*)")
NEXT_POSITION = "nextval('public.bench_position')::int"


@dataclass(frozen=True)
class Statement:
    sql: str  # with :name placeholders (pgbench variables)
    values: dict[str, str]
    source: str  # "compiled by jim" | "hand-written" | "graphql.resolve"
    alias: str | None = None  # the engine's statement returns one root field's value


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def hand_written(scenario: Scenario, variables: dict[str, Any]) -> Statement | None:
    path = SCENARIOS_DIR / scenario.name / "ceiling.sql"
    if not path.exists():
        return None
    text = "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("--"))
    return Statement(text.strip().rstrip(";"), {k: _text(v) for k, v in variables.items()}, "hand-written")


def compiled(url: str, role: str, claims: dict, scenario: Scenario, variables: dict[str, Any]) -> Statement | None:
    """The engine's own SQL for the operation and its bound parameters, compiled as the role.

    Read through bench.compiled_sql (compiled_sql.sql, installed into the bench database).
    A mutation's position is compiled as POSITION_MARKER and becomes `:position`, which the
    pgbench script draws from a sequence (pgbench has no per-client counter).
    """
    if not scenario.is_read:
        variables = {**variables, "position": POSITION_MARKER}
    with psycopg.connect(url) as conn:
        conn.execute("select set_config('role', %s, true), set_config('request.jwt.claims', %s, true)",
                     (role, json.dumps(claims)))
        if conn.execute("select to_regprocedure('bench.compiled_sql(text,jsonb)')").fetchone()[0] is None:
            return None
        try:
            row = conn.execute("select bench.compiled_sql(%s, %s::jsonb)",
                               (scenario.documents["jim"], json.dumps(variables))).fetchone()
        except psycopg.Error:
            return None  # the engine changed shape: the caller falls back to hand-written SQL
    statements = (row[0] or {}).get("statements", []) if row else []
    if len(statements) != 1:
        return None  # one root field per scenario: anything else is not comparable
    stmt = statements[0]
    values: dict[str, str] = {}

    def name(match: re.Match[str]) -> str:
        index = int(match.group(1))
        value = stmt["params"][index - 1]
        if value == str(POSITION_MARKER):
            return ":position"
        values[f"p{index}"] = value
        return f":p{index}"

    text = re.sub(r"\$(\d+)", name, stmt["sql"])
    return Statement(text, values, "compiled by jim", alias=stmt["alias"])


_ENGINE = (
    "select t.r::text from (select graphql.resolve(c.query, c.variables, null, null) as r from ("
    "select set_config('role', :role, true) as role, set_config('request.jwt.claims', :claims, true)"
    " as claims, cast(:query as text) as query, cast(:variables as jsonb) as variables"
    " offset 0) as c offset 0) as t"
)
_ENGINE_VARYING_POSITION = _ENGINE.replace(
    "cast(:variables as jsonb) as variables",
    "cast(:variables as jsonb) || jsonb_build_object('position', cast(:position as int)) as variables",
)


def engine(scenario: Scenario, body: str, *, vary_position: bool = False) -> Statement:
    """graphql.resolve itself, in the proxy's one-statement form (proxy/executor.py): the
    role and claims are set in a subquery whose row feeds resolve's arguments, so they are
    in effect when it runs (a mutation gets a fresh position per call)."""
    request = json.loads(body)
    # Two fixed texts (no input reaches them): the values travel as pgbench variables.
    text = _ENGINE_VARYING_POSITION if vary_position else _ENGINE
    return Statement(
        text,
        {"query": request["query"], "variables": json.dumps(request["variables"])},
        "graphql.resolve",
    )


def run_once(url: str, role: str, claims: dict, statement: Statement, position: int | None = None) -> Any:
    """Run the statement once as the role (the answer check); returns its JSON."""
    values = dict(statement.values, role=role, claims=json.dumps(claims))
    text = statement.sql
    if ":position" in text:
        values["position"] = str(position or 0)
    query = _VARIABLE.sub(lambda m: f"%({m.group(1)})s", text.replace("%", "%%"))
    with psycopg.connect(url) as conn:
        conn.execute(sql.SQL("set local role {}").format(sql.Identifier(role)))
        conn.execute("select set_config('request.jwt.claims', %s, true)", (json.dumps(claims),))
        row = conn.execute(query, values).fetchone()  # type: ignore[arg-type]  # repository SQL
    if not row:
        return None
    value = row[0] if not isinstance(row[0], str) else json.loads(row[0])
    return {statement.alias: value} if statement.alias else value


def _script(statement: Statement) -> str:
    """The request shape of a transaction. Compiled SQL: two statements pipelined as one
    implicit transaction (the role, claims and statement timeout as LOCAL settings, then the
    work; its tables must be planned as the request role). graphql.resolve itself: the
    proxy's one statement (proxy/executor.py), whose SPI queries run after the role is set."""
    body = statement.sql.replace(":position", NEXT_POSITION)
    one_line = " ".join(body.split())  # a pgbench SQL command ends at its line's end
    if statement.source == "graphql.resolve":
        return f"{one_line};\n"  # already the proxy's one statement (see engine())
    return (
        "\\startpipeline\n"
        "select set_config('role', :role, true), set_config('request.jwt.claims', :claims, true),"
        " set_config('statement_timeout', '5000ms', true);\n"
        f"{one_line};\n"
        "\\endpipeline\n"
    )


def run(url: str, role: str, claims: dict, statement: Statement, *, clients: int, threads: int,
        seconds: int, warmup: int = 0) -> LoadResult:
    """One pgbench run of warmup + seconds; only transactions that end after the warm-up count.

    A single run keeps the connections of the warm-up for the timed part, as the HTTP
    systems keep their pools: a fresh connection's first call (the engine loading itself
    into the backend) is paid in the warm-up, not in the timed window.
    """
    with tempfile.TemporaryDirectory(prefix="jim-bench-pgbench-") as tmp:
        script = Path(tmp) / "script.sql"
        script.write_text(_script(statement))
        command = [
            "pgbench", "--no-vacuum", "--protocol=prepared", f"--client={clients}",
            f"--jobs={threads}", f"--time={seconds + warmup}", f"--file={script}", "--log",
            f"--log-prefix={tmp}/tx", "-D", f"claims={json.dumps(claims)}", "-D", f"role={role}",
        ]
        for key, value in statement.values.items():
            command += ["-D", f"{key}={value}"]
        command.append(url)
        # pgbench prepares a pipeline's statements before running any of them, i.e. before
        # the role is set: the session starts as the request role so that they can be parsed
        # (authenticator itself may use nothing). Each transaction still sets it, like jim.
        # No TLS on loopback, like jim's proxy (sslmode=allow) and node-postgres (the
        # PostGraphiles): libpq's default (prefer) would encrypt every message here.
        env = {**os.environ, "PGOPTIONS": f"-c role={role}", "PGSSLMODE": os.environ.get("PGSSLMODE", "allow")}
        started = time.time()
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + warmup + 60,  # noqa: S603
                              check=False, env=env)
        if done.returncode != 0:
            raise RuntimeError(f"pgbench failed ({done.returncode}): {done.stderr[-800:]}")
        cut = started + warmup
        latencies: list[int] = []
        ends: list[float] = []
        failures = 0
        for log in Path(tmp).glob("tx*"):
            for line in log.read_text().splitlines():
                # client_id transaction_no latency_us script_no epoch_s epoch_us
                fields = line.split()
                if len(fields) < 6:
                    continue
                end = int(fields[4]) + int(fields[5]) / 1e6
                if end < cut:
                    continue
                if fields[2].isdigit():
                    latencies.append(int(fields[2]))
                    ends.append(end)
                else:
                    failures += 1  # "failed" / "skipped" in the latency column
    failed = re.search(r"number of failed transactions: (\d+)", done.stdout)
    if failed and int(failed.group(1)) and not failures:
        failures = int(failed.group(1))
    elapsed = (max(ends) - cut) if ends else float(seconds)
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] / 1000 if latencies else 0.0

    return LoadResult(
        requests=len(latencies), seconds=elapsed, failures=failures, socket_errors=0,
        p50_ms=pct(50), p90_ms=pct(90), p99_ms=pct(99), max_ms=(latencies[-1] / 1000 if latencies else 0.0),
        mean_ms=round(statistics.fmean(latencies) / 1000, 3) if latencies else 0.0,
        first_failure="",
    )
