"""The peer benchmark, start to finish: data, tokens, servers, answer checks, timed runs,
memory, results. `bench/peers/run.sh` installs what this needs and calls it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from peerbench import ceiling, checks, dataset, procs, profile, report, systems, timing, tokens, wrk
from peerbench.scenarios import Scenario, _fill, load_all

ROLE = {"anon": "anon"}  # every other user is a plain member or coach: `authenticated`


@dataclass
class Run:
    scenario: str
    system: str
    label: str
    status: str  # ok | refused | failed | unavailable
    note: str = ""
    load: dict[str, Any] = field(default_factory=dict)


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bench/peers/run.sh", description=__doc__)
    p.add_argument("--scale", type=int, default=1000, help="jim db seed --scale N (default 1000 members)")
    p.add_argument("--duration", type=int, default=3, help="seconds per timed round")
    p.add_argument("--rounds", type=int, default=3, help="timed rounds per cell, systems interleaved; the median counts")
    p.add_argument("--warmup", type=int, default=5, help="seconds of untimed HTTP load per cell before its first round "
                   "(covers the engine loading into the pool's fresh backends)")
    p.add_argument("--sql-warmup", type=int, default=3, help="seconds of untimed pgbench load before each pgbench round")
    p.add_argument("--connections", type=int, default=16, help="concurrent connections (wrk and pgbench)")
    p.add_argument("--threads", type=int, default=2, help="load generator threads")
    p.add_argument("--workers", type=int, default=2, help="server processes per HTTP system")
    p.add_argument("--pool", type=int, default=8, help="Postgres connections per server process")
    p.add_argument("--systems", default="jim,jim_cached,pg4,pg5,ceiling,jim_sql")
    p.add_argument("--scenarios", default="", help="comma-separated subset (default: all)")
    p.add_argument("--database", default="jim_bench")
    p.add_argument("--base-port", type=int, default=18600)
    p.add_argument("--out", type=Path, default=systems.BENCH_DIR.parent / "results")
    p.add_argument("--cache-dir", type=Path, default=Path(os.environ.get("JIM_CACHE_DIR", Path.home() / ".cache" / "jim")) / "bench")
    p.add_argument("--profile", action="store_true", help="profile jim (py-spy) on the scenarios it loses")
    p.add_argument("--profile-all", action="store_true", help="profile jim on every scenario")
    p.add_argument("--profile-seconds", type=int, default=6)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    wanted = {s.strip() for s in args.systems.split(",") if s.strip()}
    scenarios = load_all([s for s in args.scenarios.split(",") if s] or None)
    args.out.mkdir(parents=True, exist_ok=True)
    run_dir = args.out / "logs"
    run_dir.mkdir(exist_ok=True)
    admin_url = os.environ.get("DATABASE_URL", "postgresql://jim:jim@127.0.0.1:5432/jim")
    started = datetime.now(UTC)

    say(f"bench database {args.database} (scale {args.scale})")
    url = dataset.prepare(admin_url, args.database, args.scale, systems.REPO)
    with psycopg.connect(url) as conn:
        conn.execute("create sequence if not exists public.bench_position")
        conn.execute("grant usage on sequence public.bench_position to authenticated")
        server_version = str(conn.execute("show server_version").fetchone()[0])
        engine_ready = conn.execute("select to_regprocedure('graphql.resolve(text,jsonb,text,jsonb)') is not null").fetchone()[0]
    if engine_ready:
        with psycopg.connect(url) as conn:  # the engine's compiled SQL, for the ceiling
            conn.execute((systems.BENCH_DIR / "compiled_sql.sql").read_text())  # type: ignore[arg-type]
    fixtures = dataset.fixtures(url)
    outbox_mark = dataset.outbox_mark(url)
    auth_url = dataset.url_for(admin_url, args.database, user="authenticator",
                               password=os.environ.get("AUTHENTICATOR_PASSWORD", "authenticator"))

    realm = tokens.Realm(os.environ.get("KEYCLOAK_URL", "http://127.0.0.1:8180").rstrip("/"))
    ctx = systems.Context(
        cache_dir=args.cache_dir, run_dir=run_dir, database_url=url, authenticator_url=auth_url,
        workers=args.workers, pool=args.pool, keycloak_url=realm.base_url, issuer=realm.issuer,
        jwks=json.dumps(realm.jwks()),
    )
    runs: list[Run] = []
    profiles: dict[str, Any] = {}
    servers: dict[str, procs.Server] = {}
    http = [s for s in systems.http_systems(args.base_port) if s.key in wanted]
    if not engine_ready:
        for s in [s for s in http if s.dialect == "jim"]:
            runs += [Run(sc.name, s.key, s.label, "unavailable", "graphql.resolve is not installed in the bench database (jim's engine is not ready)") for sc in scenarios]
        http = [s for s in http if s.dialect != "jim"]
        wanted.discard("jim_sql")
    try:
        busy = [s for s in http if not procs.port_free(s.port)]
        if busy:
            raise SystemExit(f"port(s) {', '.join(str(s.port) for s in busy)} already in use; pick others with --base-port")
        for system in http:
            say(f"starting {system.label} on port {system.port}")
            servers[system.key] = systems.start(system, ctx)
        catalog_body = next((sc for sc in load_all(["catalog"])), None)
        for system in http:
            assert catalog_body is not None
            procs.wait_ready(servers[system.key], system.url, catalog_body.body(system.dialect, fixtures),
                             {"Content-Type": "application/json"}, seconds=90)
        for scenario in scenarios:
            say(f"scenario {scenario.name}: {scenario.title}")
            user_tokens = {u: realm.token(u) for u in ("alice", "carol")}  # fresh: tokens expire
            runs += run_scenario(scenario, args, http, wanted, url, auth_url, fixtures, user_tokens)
        memory = {key: round(server.rss_mb(), 1) for key, server in servers.items()}
        if (args.profile or args.profile_all) and "jim" in servers:
            for key in [k for k in servers if k != "jim"]:
                servers[key].stop()  # every authenticator backend left is jim's
            profiles = profile.run_profiles(args, scenarios, runs, servers["jim"], admin_url, fixtures, realm,
                                            next(s for s in http if s.key == "jim"), say)
    finally:
        for server in servers.values():
            server.stop()
        dataset.cleanup(url, outbox_mark)

    results = {
        "meta": meta(args, started, engine_ready, server_version),
        "scenarios": [{"name": s.name, "title": s.title, "description": s.description,
                       "user": s.user, "kind": s.kind} for s in scenarios],
        "runs": [r.__dict__ for r in runs],
        "memory_mb": memory,
        "profiles": profiles,
    }
    results["ratios"] = report.ratios(results)
    paths = report.write(results, args.out)
    say("results: " + ", ".join(str(p) for p in paths))
    print(report.markdown(results))
    return 0


def say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def meta(args: argparse.Namespace, started: datetime, engine_ready: bool, server_version: str) -> dict[str, Any]:
    return {
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "scale": args.scale, "duration_s": args.duration, "rounds": args.rounds, "warmup_s": args.warmup,
        "sql_warmup_s": args.sql_warmup,
        "connections": args.connections, "threads": args.threads, "workers": args.workers,
        "pool_per_worker": args.pool, "cores": os.cpu_count(), "load_average": os.getloadavg(),
        "engine_installed": engine_ready,
        "versions": report.versions(args.cache_dir, server_version),
    }


def claims_for(user: str, user_tokens: dict[str, str]) -> tuple[str, dict[str, Any]]:
    if user == "anon":
        return "anon", {"role": "anon"}
    return "authenticated", {**tokens.claims(user_tokens[user]), "role": "authenticated"}


def run_scenario(scenario: Scenario, args: argparse.Namespace, http: list[systems.System],
                 wanted: set[str], url: str, auth_url: str, fixtures: dict[str, Any],
                 user_tokens: dict[str, str]) -> list[Run]:
    role, claims = claims_for(scenario.user, user_tokens)
    authorization = tokens.authorization(user_tokens, scenario.user)
    mutation = not scenario.is_read
    runs: list[Run] = []
    plain = [s for s in http if s.key != "jim_cached"]
    cached = next((s for s in http if s.key == "jim_cached"), None) if scenario.cache else None

    # Per system: its variables (a mutation writes into a workout of its own).
    fx: dict[str, dict[str, Any]] = {}
    for key in [s.key for s in plain] + [k for k in ("ceiling", "jim_sql") if k in wanted]:
        fx[key] = {**fixtures, "mutation_workout": dataset.new_mutation_workout(url, key)} if mutation else fixtures

    def variables(key: str, dialect: str) -> dict[str, Any]:
        raw = {**scenario.variables, **scenario.variables_by_system.get(dialect, {})}
        return {k: _fill(v, {**fx[key], "position": 0}) for k, v in raw.items()}

    # 1. answers, before anything is timed
    answers: dict[str, Any] = {}
    failures: dict[str, str] = {}
    for system in plain:
        status, payload, _ = checks.post(system.url, scenario.body(system.dialect, fx[system.key], position=0), authorization)
        data, error = checks.graphql_data(status, payload)
        if error:
            failures[system.key] = error
        else:
            answers[system.key] = data
    statements: dict[str, ceiling.Statement] = {}
    if "ceiling" in wanted:
        stmt = ceiling.compiled(auth_url, role, claims, scenario, variables("ceiling", "jim")) \
            or ceiling.hand_written(scenario, variables("ceiling", "jim"))
        if stmt is None:
            failures["ceiling"] = "no SQL for this scenario"
        else:
            statements["ceiling"] = stmt
            answers["ceiling"] = _safe(lambda s=stmt: ceiling.run_once(auth_url, role, claims, s, position=0), failures, "ceiling")
    if "jim_sql" in wanted:
        body = scenario.body("jim", fx["jim_sql"], position=0)
        stmt = ceiling.engine(scenario, body, vary_position=mutation)
        statements["jim_sql"] = stmt
        result = _safe(lambda s=stmt: ceiling.run_once(auth_url, role, claims, s, position=0), failures, "jim_sql")
        if result is not None:
            data, error = checks.graphql_data(200, result)
            if error:
                failures["jim_sql"] = error
                answers.pop("jim_sql", None)
            else:
                answers["jim_sql"] = data
    answers = {k: v for k, v in answers.items() if k not in failures}

    verdicts: dict[str, checks.Verdict] = {}
    if mutation:
        for key, data in answers.items():
            dialect = next((s.dialect for s in plain if s.key == key), "jim")
            row = {"workoutId": fx[key]["mutation_workout"], "position": 0, "metrics": variables(key, dialect)["metrics"]}
            verdicts[key] = checks.expected_mutation(data, scenario.normalise, {"logged": {"rows": [row]}})
    else:
        verdicts = checks.agree(answers, scenario.normalise, tie_breaker="ceiling")
    for key, error in failures.items():
        verdicts[key] = checks.Verdict(False, error)
    if cached is not None:
        verdicts["jim_cached"] = checks.check_cached(cached, scenario, fixtures, authorization, answers.get("jim"), verdicts.get("jim"))

    # 2. timed rounds, the systems interleaved (peerbench.timing)
    labels = {s.key: s.label for s in http} | {"ceiling": "raw SQL ceiling (pgbench)", "jim_sql": "jim engine, SQL only (pgbench)"}
    order = [s.key for s in plain] + [k for k in ("ceiling", "jim_sql") if k in statements] + (["jim_cached"] if cached else [])
    cells: list[timing.Cell] = []
    notes: dict[str, str] = {}
    for key in order:
        verdict = verdicts.get(key) or checks.Verdict(False, "no answer")
        notes[key] = verdict.note + (f" [{statements[key].source}]" if key in statements else "")
        if not verdict.ok:
            say(f"  {labels[key]}: REFUSED — {verdict.note}")
            runs.append(Run(scenario.name, key, labels[key], "refused", notes[key]))
            continue
        if key in statements:
            cells.append(timing.Cell(key, labels[key], _pgbench_round(args, auth_url, role, claims, statements[key])))
        else:
            system = next(s for s in http if s.key == key)
            warm, round_ = _wrk_cell(args, system, scenario, fx.get(key, fixtures), authorization)
            cells.append(timing.Cell(key, labels[key], round_, warm))
    timed = timing.run(cells, args.rounds, say)
    for cell in cells:
        outcome = timed[cell.key]
        if outcome.result is None:
            say(f"  {cell.label}: FAILED — {outcome.error}")
            runs.append(Run(scenario.name, cell.key, cell.label, "failed", outcome.error))
            continue
        result = outcome.result
        status = "ok" if result.failures == 0 and result.socket_errors == 0 else "failed"
        note = notes[cell.key] if status == "ok" else (
            f"{result.failures} failed responses, {result.socket_errors} socket errors; first: {result.first_failure}")
        say(f"  {cell.label:<32} {result.rps:9.1f} req/s  p50 {result.p50_ms:7.2f} ms  p99 {result.p99_ms:7.2f} ms"
            f"  {status}  (rounds: {', '.join(f'{x:.0f}' for x in outcome.rounds_rps)})")
        runs.append(Run(scenario.name, cell.key, cell.label, status, note,
                        {**result.as_dict(), "rounds_rps": outcome.rounds_rps}))
        if mutation and cell.key in fx:
            runs[-1].load["rows_written"] = dataset.entry_count(url, fx[cell.key]["mutation_workout"])
    return runs


def _safe(fn: Any, failures: dict[str, str], key: str) -> Any:
    try:
        return fn()
    except psycopg.Error as error:
        failures[key] = f"SQL error: {str(error).splitlines()[0]}"
        return None


def _wrk_cell(args: argparse.Namespace, system: systems.System, scenario: Scenario, fx: dict[str, Any],
              authorization: str | None) -> tuple[Any, Any]:
    """(warm-up, one round) for an HTTP system; a mutation's rounds draw disjoint integers."""
    script = args.out / "logs" / f"{scenario.name}-{system.key}.lua"
    body = scenario.body(system.dialect, fx)

    def warm() -> None:
        if args.warmup:
            wrk.write_script(script, body, authorization, first=80_000_000)
            wrk.run(system.url, script, connections=args.connections, threads=args.threads, seconds=args.warmup)

    def round_(number: int) -> wrk.LoadResult:
        wrk.write_script(script, body, authorization, first=number * 10_000_000)
        return wrk.run(system.url, script, connections=args.connections, threads=args.threads, seconds=args.duration)

    return warm, round_


def _pgbench_round(args: argparse.Namespace, url: str, role: str, claims: dict[str, Any],
                   statement: ceiling.Statement) -> Any:
    """One round of pgbench: its own connections, so its own warm-up first."""
    def round_(number: int) -> wrk.LoadResult:
        return ceiling.run(url, role, claims, statement, clients=args.connections, threads=args.threads,
                           seconds=args.duration, warmup=args.sql_warmup)
    return round_
