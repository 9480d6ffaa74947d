"""Drive wrk, the one HTTP load generator every system gets, and read back its numbers.

The Lua script (load.lua) prints one `WRK_JSON {...}` line from its done() hook, so nothing
here parses wrk's human-readable table.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

LUA_TEMPLATE = Path(__file__).with_name("load.lua")
POSITION_MARKER = 987654321  # stands for the per-request integer in a mutation's body


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    failures: int
    socket_errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    first_failure: str

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "requests": self.requests, "seconds": round(self.seconds, 3), "rps": round(self.rps, 1),
            "failures": self.failures, "socket_errors": self.socket_errors,
            "p50_ms": self.p50_ms, "p90_ms": self.p90_ms, "p99_ms": self.p99_ms,
            "max_ms": self.max_ms, "mean_ms": self.mean_ms, "first_failure": self.first_failure,
        }


def _lua_long_string_safe(text: str) -> str:
    if "]==]" in text:
        raise ValueError("request body contains the Lua long-string terminator")
    return text


def write_script(path: Path, body: str, authorization: str | None, *, first: int) -> None:
    """Write a wrk script posting `body`; POSITION_MARKER in it becomes a per-request integer."""
    marker = str(POSITION_MARKER)
    varying = marker in body
    prefix, _, suffix = body.partition(marker) if varying else (body, "", "")
    script = (
        LUA_TEMPLATE.read_text()
        .replace("__PREFIX__", _lua_long_string_safe(prefix))
        .replace("__SUFFIX__", _lua_long_string_safe(suffix))
        .replace("__VARYING__", "true" if varying else "false")
        .replace("__AUTH__", _lua_long_string_safe(authorization or ""))
        .replace("__FIRST__", str(first))
    )
    path.write_text(script)


def run(url: str, script: Path, *, connections: int, threads: int, seconds: int) -> LoadResult:
    command = [
        "wrk", f"--connections={connections}", f"--threads={threads}", f"--duration={seconds}s",
        "--timeout=10s", f"--script={script}", url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("WRK_JSON "):
            data = json.loads(line.removeprefix("WRK_JSON "))
            return LoadResult(
                requests=data["requests"],
                seconds=data["duration_us"] / 1e6,
                failures=data["failures"],
                socket_errors=data["socket_errors"],
                p50_ms=data["p50_us"] / 1000, p90_ms=data["p90_us"] / 1000,
                p99_ms=data["p99_us"] / 1000, max_ms=data["max_us"] / 1000,
                mean_ms=round(data["mean_us"] / 1000, 3),
                first_failure=data["first_failure"],
            )
    raise RuntimeError(f"wrk printed no result (exit {done.returncode}): {done.stderr or done.stdout}")
