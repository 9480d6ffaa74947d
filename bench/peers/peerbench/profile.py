"""Where jim spends its time under load: py-spy samples the proxy's processes and the
PostgreSQL backends (the engine runs in PL/Python inside them) while wrk drives a scenario.

Run after the timed cells with the peers stopped, so every `authenticator` backend of the
bench database belongs to jim. Writes the collapsed stacks (py-spy's raw format, loadable
in speedscope or flamegraph.pl) and a summary of the hottest functions, inclusive and self,
as a share of the samples. The proxy is sampled only while a thread holds the GIL (its
Python CPU time; time blocked in the kernel is not counted), the backends whenever they
run Python code (the engine; the SQL it executes shows as the engine's `run` frame).
"""

from __future__ import annotations

import argparse
import re
import subprocess
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from peerbench import procs, tokens, wrk
from peerbench.scenarios import Scenario

_LINE = re.compile(r":\d+\)$")


def backends(url: str, database: str, limit: int) -> list[int]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select pid from pg_stat_activity where usename = 'authenticator' and datname = %s"
            " order by backend_start limit %s",
            (database, limit),
        ).fetchall()
    return [int(r[0]) for r in rows]


def record(py_spy: Path, server: procs.Server, admin_url: str, database: str, url: str,
           script: Path, seconds: int, out: Path, name: str, connections: int, threads: int) -> dict[str, list[str]]:
    out.mkdir(parents=True, exist_ok=True)
    load = subprocess.Popen(  # noqa: S603 - our own command line
        ["wrk", f"--connections={connections}", f"--threads={threads}", f"--duration={seconds + 2}s",
         f"--script={script}", url], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    samplers = []
    proxy_out = out / f"{name}-proxy.txt"
    samplers.append(subprocess.Popen(  # noqa: S603
        [str(py_spy), "record", "--pid", str(server.process.pid), "--subprocesses", "--gil", "--rate", "200",
         "--duration", str(seconds), "--format", "raw", "--nonblocking", "--output", str(proxy_out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    engine_outs = []
    for pid in backends(admin_url, database, limit=3):
        target = out / f"{name}-engine-{pid}.txt"
        engine_outs.append(target)
        samplers.append(subprocess.Popen(  # noqa: S603
            [str(py_spy), "record", "--pid", str(pid), "--rate", "200", "--duration", str(seconds),
             "--format", "raw", "--nonblocking", "--output", str(target)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    for sampler in samplers:
        sampler.wait(timeout=seconds + 60)
    load.wait(timeout=seconds + 60)
    summary = {"proxy": summarise([proxy_out]), "engine": summarise(engine_outs)}
    (out / f"{name}-summary.txt").write_text(
        "\n".join(f"== {part} ==\n" + "\n".join(lines) for part, lines in summary.items()) + "\n")
    return summary


def _package(frame: str) -> str:
    """The library or project package a frame belongs to: 'psycopg', 'proxy', 'jimgql' ..."""
    match = re.search(r"\((.*?)(?::\d+)?\)$", frame)
    path = match.group(1) if match else frame
    if path.startswith("<graphql._module:"):
        return path.removeprefix("<graphql._module:").split(".")[0]
    return path.split("/")[0] if "/" in path else path


def summarise(paths: list[Path], top: int = 12) -> list[str]:
    """Self time by package and by function, and inclusive time of the project's own
    functions (proxy/, jimgql), as shares of all samples."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    total = 0
    for path in paths:
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            stack, _, count_text = line.rpartition(" ")
            if not stack or not count_text.isdigit():
                continue
            count = int(count_text)
            frames = [_LINE.sub(")", f) for f in stack.split(";")]
            # skip the process/thread header frames py-spy puts first
            frames = [f for f in frames if not f.startswith(("process ", "thread "))]
            if not frames:
                continue
            total += count
            for frame in set(frames):
                if _package(frame) in ("proxy", "jimgql"):
                    inclusive[frame] += count
            own[frames[-1]] += count
            packages[_package(frames[-1])] += count
    if not total:
        return ["(no samples)"]
    lines = [f"{total} samples; self time by package:"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in packages.most_common(top)]
    lines.append("self time by function:")
    lines += [f"  {100 * n / total:5.1f}%  {frame}" for frame, n in own.most_common(top)]
    lines.append("inclusive time of jim's own functions:")
    lines += [f"  {100 * n / total:5.1f}%  {frame}" for frame, n in inclusive.most_common(top)]
    return lines


def lua_script(out: Path, name: str, body: str, authorization: str | None) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    script = out / f"{name}.lua"
    wrk.write_script(script, body, authorization, first=90_000_000)
    return script


def run_profiles(args: argparse.Namespace, scenarios: list[Scenario], runs: list[Any], server: procs.Server,
                 admin_url: str, fixtures: dict[str, Any], realm: tokens.Realm,
                 jim: Any, say: Callable[[str], None]) -> dict[str, Any]:
    """py-spy on jim (proxy processes and engine backends) for the scenarios it loses."""
    rps = {(r.scenario, r.system): r.load.get("rps") for r in runs if r.status == "ok"}
    py_spy = args.cache_dir / "venv" / "bin" / "py-spy"
    out = args.out / "profiles"
    chosen = []
    for scenario in scenarios:
        if not scenario.is_read:
            continue
        mine = rps.get((scenario.name, "jim"))
        targets = [("pg4", 1.5), ("pg5", 1.0), ("ceiling", 0.5)]
        loses = mine is not None and any(
            rps.get((scenario.name, other)) and mine < goal * rps[(scenario.name, other)]  # type: ignore[operator]
            for other, goal in targets)
        if args.profile_all or loses:
            chosen.append(scenario)
    user_tokens = {u: realm.token(u) for u in ("alice", "carol")}
    for stale in out.glob("*") if out.exists() else []:
        stale.unlink()  # only this run's profiles in the folder
    profiles = {}
    for scenario in chosen:
        say(f"profiling jim on {scenario.name} ({args.profile_seconds} s)")
        try:
            script = lua_script(out, scenario.name, scenario.body("jim", fixtures),
                                        tokens.authorization(user_tokens, scenario.user))
            profiles[scenario.name] = record(
                py_spy, server, admin_url, args.database, jim.url, script, args.profile_seconds, out,
                scenario.name, args.connections, args.threads)
        except (OSError, subprocess.SubprocessError) as error:  # a profile is extra: keep the results
            say(f"  profiling failed: {error}")
    return profiles
