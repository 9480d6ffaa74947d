"""PNG plots of a peer-benchmark result (run with the bench venv, which has matplotlib):

    plots.py RESULTS_JSON OUT_DIR   ->  OUT_DIR/throughput.png, OUT_DIR/latency.png

Throughput: requests per second per scenario and system (log scale: the SQL ceiling and the
cache are an order of magnitude above the HTTP systems). Latency: p50, p90 and p99 per
scenario and system. Systems that were refused or failed have no bar.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - after choosing the backend

ORDER = ("jim", "jim_cached", "pg4", "pg5", "ceiling", "jim_sql")
LABELS = {"jim": "jim", "jim_cached": "jim (cached)", "pg4": "PostGraphile 4", "pg5": "PostGraphile 5",
          "ceiling": "raw SQL ceiling (pgbench)", "jim_sql": "jim engine, SQL only (pgbench)"}
COLORS = {"jim": "#1f77b4", "jim_cached": "#9ecae1", "pg4": "#d62728", "pg5": "#ff9896",
          "ceiling": "#2ca02c", "jim_sql": "#98df8a"}


def load(path: Path) -> tuple[dict, list[dict], list[str], dict[tuple[str, str], dict]]:
    results = json.loads(path.read_text())
    runs = {(r["scenario"], r["system"]): r["load"] for r in results["runs"] if r["status"] == "ok"}
    systems = [s for s in ORDER if any(k[1] == s for k in runs)]
    return results, results["scenarios"], systems, runs


def throughput(path: Path, out: Path) -> Path:
    results, scenarios, systems, runs = load(path)
    fig, ax = plt.subplots(figsize=(11, 5.5))
    width = 0.8 / max(len(systems), 1)
    for i, system in enumerate(systems):
        xs, ys = [], []
        for j, scenario in enumerate(scenarios):
            load_ = runs.get((scenario["name"], system))
            if load_:
                xs.append(j + (i - (len(systems) - 1) / 2) * width)
                ys.append(load_["rps"])
        bars = ax.bar(xs, ys, width, label=LABELS[system], color=COLORS[system])
        ax.bar_label(bars, labels=[f"{y:,.0f}" for y in ys], fontsize=7, rotation=90, padding=2)
    ax.set_yscale("log")
    top = max((load_["rps"] for load_ in runs.values()), default=1)
    ax.set_ylim(top=top * 4)  # room for the value labels
    ax.set_xticks(range(len(scenarios)), [s["title"] for s in scenarios], fontsize=9)
    ax.set_ylabel("requests per second (log scale)")
    meta = results["meta"]
    ax.set_title(f"Throughput — {meta['connections']} connections, median of {meta.get('rounds', 1)} interleaved "
                 f"rounds of {meta['duration_s']} s, scale {meta['scale']}, {meta['cores']} cores "
                 f"({meta['started'][:16].replace('T', ' ')} UTC)", fontsize=10)
    ax.legend(fontsize=8, ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.08))
    ax.grid(axis="y", which="both", alpha=0.3)
    fig.tight_layout()
    target = out / "throughput.png"
    fig.savefig(target, dpi=110)
    plt.close(fig)
    return target


def latency(path: Path, out: Path) -> Path:
    _, scenarios, systems, runs = load(path)
    fig, axes = plt.subplots(1, len(scenarios), figsize=(3.2 * len(scenarios), 4.5), squeeze=False)
    for ax, scenario in zip(axes[0], scenarios, strict=True):
        present = [s for s in systems if (scenario["name"], s) in runs]
        for i, system in enumerate(present):
            load_ = runs[(scenario["name"], system)]
            values = [load_["p50_ms"], load_["p90_ms"], load_["p99_ms"]]
            ax.bar([i - 0.25, i, i + 0.25], values, 0.25, color=COLORS[system],
                   edgecolor="black", linewidth=0.3, hatch=None)
            ax.plot([i - 0.25, i, i + 0.25], values, "k.", markersize=3)
        ax.set_xticks(range(len(present)), [LABELS[s].split(" (")[0] for s in present], rotation=45,
                      ha="right", fontsize=7)
        ax.set_yscale("log")
        ax.set_title(scenario["title"], fontsize=9)
        ax.grid(axis="y", which="both", alpha=0.3)
    axes[0][0].set_ylabel("latency, ms (p50 · p90 · p99 left to right)")
    fig.tight_layout()
    target = out / "latency.png"
    fig.savefig(target, dpi=110)
    plt.close(fig)
    return target


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    path, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    for target in (throughput(path, out), latency(path, out)):
        print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
