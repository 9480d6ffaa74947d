"""Timed rounds, interleaved: every system of a scenario runs once per round, in an order that
rotates from round to round, and a cell's figure is its median round.

On a shared 2-core machine the background load drifts within seconds; timing system A for
6 s and then system B for 6 s lets that drift decide the ratio. Interleaving short rounds
spreads it over every system, and the median drops a round that a burst disturbed. A round
with failed responses is run once more (a later round number: a mutation's integers stay
unique); if it fails again, its failures count and the cell is reported as failed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from peerbench.wrk import LoadResult


@dataclass
class Cell:
    key: str
    label: str
    run_round: Callable[[int], LoadResult]  # round number -> one timed round
    warm: Callable[[], None] | None = None  # untimed load before the first round


@dataclass
class Timed:
    result: LoadResult | None  # the median round, with the failures of every round
    rounds_rps: list[float]
    error: str = ""


def run(cells: list[Cell], rounds: int, say: Callable[[str], None]) -> dict[str, Timed]:
    for cell in cells:
        if cell.warm is not None:
            try:
                cell.warm()
            except RuntimeError as error:
                say(f"  {cell.label}: warm-up failed — {error}")
    results: dict[str, list[LoadResult]] = {cell.key: [] for cell in cells}
    errors: dict[str, str] = {}
    for number in range(rounds):
        shift = number % max(len(cells), 1)
        for cell in cells[shift:] + cells[:shift]:
            if cell.key in errors:
                continue
            try:
                result = cell.run_round(number)
                if result.failures or result.socket_errors:
                    # Usually PostgreSQL restarted under another engineer's test: one more try.
                    say(f"  {cell.label}: round {number + 1} had failures, running it again")
                    time.sleep(3)
                    result = cell.run_round(number + rounds)
                results[cell.key].append(result)
            except RuntimeError as error:
                errors[cell.key] = str(error)[:500]
    timed = {}
    for cell in cells:
        done = results[cell.key]
        if cell.key in errors or not done:
            timed[cell.key] = Timed(None, [r.rps for r in done], errors.get(cell.key, "no round ran"))
            continue
        ordered = sorted(done, key=lambda r: r.rps)
        median = ordered[(len(ordered) - 1) // 2]
        failed = [r for r in done if r.failures or r.socket_errors]
        median = replace(
            median,
            failures=sum(r.failures for r in done),
            socket_errors=sum(r.socket_errors for r in done),
            first_failure=failed[0].first_failure if failed else "",
        )
        timed[cell.key] = Timed(median, [round(r.rps, 1) for r in done])
    return timed
