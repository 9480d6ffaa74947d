"""Start and stop the systems under test, and measure their memory.

Each system runs as a process group of its own (started here, stopped here by its pid);
memory is the resident set size summed over the process and all its descendants (a server
with several worker processes counts them all), read from /proc after the timed runs.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)

    def rss_mb(self) -> float:
        return tree_rss_kb(self.process.pid) / 1024

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(line[:300] for line in self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def start(name: str, command: list[str], env: dict[str, str], log: Path, cwd: Path) -> Server:
    log.parent.mkdir(parents=True, exist_ok=True)
    handle = log.open("wb")
    process = subprocess.Popen(  # noqa: S603 - our own command line
        command, env={**os.environ, **env}, cwd=cwd, stdout=handle, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return Server(name, process, log)


def wait_ready(server: Server, url: str, body: str, headers: dict[str, str], seconds: float = 60) -> None:
    """Wait until the server answers a GraphQL POST with HTTP 200."""
    deadline = time.monotonic() + seconds
    last = ""
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited ({server.process.returncode}):\n{server.log_tail()}")
        try:
            response = httpx.post(url, content=body, headers=headers, timeout=5)
            if response.status_code == 200:
                return
            last = f"HTTP {response.status_code}: {response.text[:200]}"
        except httpx.HTTPError as error:
            last = str(error)
        time.sleep(0.5)
    raise RuntimeError(f"{server.name} did not become ready in {seconds:.0f}s ({last}):\n{server.log_tail()}")


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the command name may hold spaces and parentheses: fields start after the last ')'
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def tree_pids(pid: int) -> list[int]:
    children = _children()
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        todo.extend(children.get(current, []))
    return pids


def tree_rss_kb(pid: int) -> int:
    total = 0
    for p in tree_pids(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total
