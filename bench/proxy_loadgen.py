"""A small closed-loop load generator shared by the proxy benchmarks.

`run(make_client, seconds, concurrency)` starts `concurrency` processes; each builds one
client with `make_client()` (an HTTP keep-alive session or a database connection) and
calls it in a loop for `seconds`, recording each call's latency. Processes rather than
threads so the client side is not held back by the GIL; the numbers are comparable only
within one run on one machine, which is why every benchmark prints ratios.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

Client = Callable[[], None]


@dataclass(frozen=True)
class Result:
    label: str
    calls: int
    seconds: float
    latencies_ms: list[float]
    reported: dict[int, float] | None = None  # percentiles as a tool reported them

    @property
    def rate(self) -> float:
        return self.calls / self.seconds

    def percentile(self, p: float) -> float:
        if self.reported is not None:
            return self.reported.get(int(p), float("nan"))
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


# C load generators (wrk for HTTP, pgbench for SQL): they take far less CPU than Python
# clients, so on a 2-core machine more of it is left to what is being measured.

def wrk(label: str, url: str, headers: dict[str, str], body: dict, *, seconds: int, connections: int) -> Result:
    lines = ['wrk.method = "POST"', f"wrk.body = {json.dumps(json.dumps(body))}"]
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    lines.append("""done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %.3f %.3f\\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end""")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write("\n".join(lines))
    try:
        out = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", script.name, url],
            capture_output=True, text=True, timeout=seconds + 60, check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    match = re.search(r"RESULT (\d+) (\d+) ([\d.]+) ([\d.]+)", out)
    if not match:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    if int(match[2]):
        raise RuntimeError(f"{label}: {match[2]} failed requests (non-2xx or socket errors)")
    return _summary(label, int(match[1]), seconds, float(match[3]), float(match[4]))


def pgbench(label: str, conninfo: dict[str, str], script: str, variables: dict[str, str], *,
            seconds: int, clients: int, options: str = "") -> Result:
    """`options`: session settings for every connection (PGOPTIONS, e.g. "-c statement_timeout=5s")."""
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as file:
        file.write(script)
    args = ["pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", "2", "-T", str(seconds),
            "-f", file.name, "-h", conninfo["host"], "-p", conninfo["port"], "-U", conninfo["user"],
            "--log", "--sampling-rate=1"]
    for name, value in variables.items():
        args += ["-D", f"{name}={value}"]
    workdir = tempfile.mkdtemp(prefix="jim-pgbench-")
    try:
        out = subprocess.run([*args, conninfo["dbname"]], capture_output=True, text=True, cwd=workdir,
                             timeout=seconds + 60, env={**os.environ, "PGPASSWORD": conninfo["password"], "PGOPTIONS": options,
                                                          "PGSSLMODE": conninfo.get("sslmode", "prefer")})
        if out.returncode != 0 or "failed transactions: 0 " not in out.stdout:
            raise RuntimeError(f"{label}: pgbench failed:\n{out.stdout}\n{out.stderr}")
        latencies = []
        for name in os.listdir(workdir):
            with open(os.path.join(workdir, name)) as log:
                latencies += [int(line.split()[2]) / 1000 for line in log if line.strip()]
    finally:
        os.unlink(file.name)
        subprocess.run(["rm", "-rf", workdir], check=False)
    return Result(label, len(latencies), seconds, latencies)


def _summary(label: str, calls: int, seconds: float, p50: float, p99: float) -> Result:
    """A Result from a tool that reports percentiles, not every latency."""
    return Result(label, calls, seconds, [], reported={50: p50, 99: p99})


# Before/after: the proxy as it was at an earlier commit, run beside the current one.

REPO = Path(__file__).resolve().parents[1]


@contextmanager
def baseline_tree(ref: str) -> Iterator[Path]:
    """A directory holding `jim/` and `proxy/` as they were at git `ref` (and the repository's
    `.env`, so both proxies read the same settings): `running_proxy(..., source=dir)` runs
    that proxy, so a change is measured against its baseline in the same run."""
    path = Path(tempfile.mkdtemp(prefix="jim-baseline-"))
    try:
        archive = subprocess.run(["git", "-C", str(REPO), "archive", ref, "jim", "proxy"],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(path)], input=archive, check=True)
        if (REPO / ".env").exists():
            shutil.copy(REPO / ".env", path / ".env")
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
