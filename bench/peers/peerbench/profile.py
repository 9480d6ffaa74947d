"""Where jim spends its time under load: py-spy samples the proxy's processes and the
PostgreSQL backends (the engine runs in PL/Python inside them) while wrk drives a scenario.

Run after the timed cells with the peers stopped, so every `authenticator` backend of the
bench database belongs to jim. Writes the collapsed stacks (py-spy's raw format, loadable
in speedscope or flamegraph.pl) and a summary of the hottest functions, inclusive and self,
as a share of the sampled (non-idle) time.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from pathlib import Path

import psycopg

from peerbench import procs, wrk

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
        [str(py_spy), "record", "--pid", str(server.process.pid), "--subprocesses", "--rate", "200",
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


def summarise(paths: list[Path], top: int = 15) -> list[str]:
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
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
                inclusive[frame] += count
            own[frames[-1]] += count
    if not total:
        return ["(no samples)"]
    lines = [f"{total} samples; inclusive:"]
    lines += [f"  {100 * n / total:5.1f}%  {frame}" for frame, n in inclusive.most_common(top)]
    lines.append("self:")
    lines += [f"  {100 * n / total:5.1f}%  {frame}" for frame, n in own.most_common(top)]
    return lines


def lua_script(out: Path, name: str, body: str, authorization: str | None) -> Path:
    script = out / f"{name}.lua"
    wrk.write_script(script, body, authorization, first=90_000_000)
    return script
