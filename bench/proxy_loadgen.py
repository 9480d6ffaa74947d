"""A small closed-loop load generator shared by the proxy benchmarks.

`run(make_client, seconds, concurrency)` starts `concurrency` processes; each builds one
client with `make_client()` (an HTTP keep-alive session or a database connection) and
calls it in a loop for `seconds`, recording each call's latency. Processes rather than
threads so the client side is not held back by the GIL; the numbers are comparable only
within one run on one machine, which is why every benchmark prints ratios.
"""

from __future__ import annotations

import multiprocessing as mp
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

Client = Callable[[], None]


@dataclass(frozen=True)
class Result:
    label: str
    calls: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.calls / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else float("nan")

    def line(self) -> str:
        return (f"{self.label:<34} {self.rate:>9.0f} req/s   p50 {self.percentile(50):6.2f} ms"
                f"   p99 {self.percentile(99):6.2f} ms   ({self.calls} calls)")


def _worker(make_client: Callable[[], Client], seconds: float, start_at: float, queue: mp.Queue) -> None:
    try:
        _measure(make_client, seconds, start_at, queue)
    except BaseException as exc:  # report instead of leaving the parent waiting
        queue.put(exc if isinstance(exc, Exception) else RuntimeError(repr(exc)))


def _measure(make_client: Callable[[], Client], seconds: float, start_at: float, queue: mp.Queue) -> None:
    call = make_client()
    call()  # warm the connection outside the measurement
    while time.time() < start_at:
        time.sleep(0.001)
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    while True:
        t0 = time.perf_counter()
        if t0 >= deadline:
            break
        call()
        latencies.append((time.perf_counter() - t0) * 1000)
    queue.put(latencies)


def run(label: str, make_client: Callable[[], Client], *, seconds: float, concurrency: int) -> Result:
    ctx = mp.get_context("fork")
    queue: mp.Queue = ctx.Queue()
    start_at = time.time() + 1.5  # every process connected and warmed before the clock starts
    processes = [ctx.Process(target=_worker, args=(make_client, seconds, start_at, queue))
                 for _ in range(concurrency)]
    for p in processes:
        p.start()
    latencies: list[float] = []
    failure: Exception | None = None
    for _ in processes:
        got = queue.get(timeout=seconds + 60)
        if isinstance(got, Exception):
            failure = got
        else:
            latencies += got
    for p in processes:
        p.join(10)
    if failure is not None:
        raise RuntimeError(f"{label}: a client failed: {failure}")
    return Result(label, len(latencies), seconds, latencies)


def best_of(rounds: int, label: str, make_client: Callable[[], Client], *, seconds: float,
            concurrency: int) -> Result:
    """Best rate of several rounds: the least disturbed by the rest of the machine."""
    results = [run(label, make_client, seconds=seconds, concurrency=concurrency) for _ in range(rounds)]
    return max(results, key=lambda r: r.rate)


def median_ms(result: Result) -> float:
    return statistics.median(result.latencies_ms) if result.latencies_ms else float("nan")
