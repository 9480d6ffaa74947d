"""Reusable helpers to run the real proxy and talk to the real Keycloak in tests.

`ProxyServer` starts `jim proxy` as a subprocess on a free port against a given database
and stops it (SIGTERM, then SIGKILL) when the block ends; its JSON log lines are kept in a
file so tests can read them. The e2e tests through nginx reuse these helpers.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
KEYCLOAK_URL = os.environ.get("KEYCLOAK_URL", "http://127.0.0.1:8180")
REALM = "jim"
REALM_URL = f"{KEYCLOAK_URL}/realms/{REALM}"
CLIENT_ID = "jim-app"
DEV_USERS = ("alice", "bob", "carol", "admin")


def free_port(start: int = 18000, end: int = 18100) -> int:
    """A free loopback port in the tests' range (ports.md: 18000-18099 for proxies), picked
    at random so concurrent test runs rarely race for the same one."""
    ports = list(range(start, end))
    random.shuffle(ports)
    for port in ports:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {start}-{end}")


def keycloak_token(user: str, password: str | None = None, *, client_id: str = CLIENT_ID,
                   base_url: str = KEYCLOAK_URL) -> str:
    """An access token from the real Keycloak (password grant of the dev realm)."""
    response = httpx.post(
        f"{base_url}/realms/{REALM}/protocol/openid-connect/token",
        data={"grant_type": "password", "client_id": client_id, "username": user,
              "password": password or user, "scope": "openid"},
        timeout=15,
    )
    response.raise_for_status()
    return response.json()["access_token"]


class PortTaken(RuntimeError):
    """Another process bound the port between our check and the proxy's bind."""


class RedisServer:
    """A private redis-server on its own port (killed and restarted by the outage tests, so
    the shared Redis of the other engineers is never touched)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--maxmemory", "64mb", "--maxmemory-policy", "volatile-lru"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:  # could not bind: someone else has the port
                raise PortTaken(self.url)
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    time.sleep(0.05)
                    if self.process.poll() is not None:
                        raise PortTaken(self.url)
                    return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on {self.port}")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)

    def client(self):
        import redis

        return redis.Redis(port=self.port)


@contextmanager
def running_redis(port: int | None = None) -> Iterator[RedisServer]:
    for attempt in range(3):
        server = RedisServer(port or free_port(16400, 16500))
        try:
            server.start()
            break
        except PortTaken:
            if port is not None or attempt == 2:
                raise
    try:
        yield server
    finally:
        server.kill()


class ProxyServer:
    """A running `jim proxy`; use through :func:`running_proxy`."""

    def __init__(self, url: str, process: subprocess.Popen, log_path: Path) -> None:
        self.url = url
        self.process = process
        self.log_path = log_path

    @property
    def graphql_url(self) -> str:
        return f"{self.url}/graphql"

    def logs(self) -> list[dict]:
        lines = []
        for line in self.log_path.read_text().splitlines():
            try:
                lines.append(json.loads(line))
            except ValueError:
                lines.append({"raw": line})
        return lines

    def metric(self, name: str, **labels: str) -> float:
        """The value of one sample of /metrics (0 when absent)."""
        wanted = name + ("{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}" if labels else "")
        for line in httpx.get(f"{self.url}/metrics", timeout=10).text.splitlines():
            if line.startswith(wanted + " "):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    def post(self, query: str, variables: dict | None = None, *, token: str | None = None,
             headers: dict | None = None, **fields) -> httpx.Response:
        payload = {"query": query, **({"variables": variables} if variables is not None else {}), **fields}
        merged = {**({"Authorization": f"Bearer {token}"} if token else {}), **(headers or {})}
        return httpx.post(self.graphql_url, json=payload, headers=merged, timeout=30)


def proxy_environment(database_url: str, **overrides: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "JIM_ENV": "test",
        "KEYCLOAK_URL": KEYCLOAK_URL,
        "PROXY_WORKERS": "1",
        "LOG_LEVEL": "INFO",
        # Generous: on a loaded test machine a 100 ms Redis bound would turn hits into
        # bypasses at random. The slow-Redis test sets its own.
        "REDIS_TIMEOUT_MS": "2000",
    }
    cache = os.environ.get("JIM_CACHE_DIR")
    if cache:
        env.setdefault("GRAPHIQL_ASSETS_DIR", str(Path(cache) / "graphiql"))
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(overrides)
    return env


@contextmanager
def running_proxy(database_url: str, *, port: int | None = None, source: Path | None = None,
                  **overrides: str) -> Iterator[ProxyServer]:
    """Start `jim proxy` (gunicorn + uvicorn workers) and wait until it answers /healthz
    (on another free port if the chosen one was taken meanwhile). `source`: a directory
    holding other `jim/` and `proxy/` packages to run instead of the repository's (the
    benchmarks' baseline from an earlier commit)."""
    for attempt in range(3):
        try:
            with _running_proxy(database_url, port or free_port(), overrides, source or REPO) as server:
                yield server
                return
        except PortTaken:
            if port is not None or attempt == 2:
                raise


@contextmanager
def _running_proxy(database_url: str, port: int, overrides: dict[str, str], source: Path) -> Iterator[ProxyServer]:
    log_file = tempfile.NamedTemporaryFile(prefix="jim-proxy-", suffix=".log", delete=False)
    env = proxy_environment(database_url, PROXY_PORT=str(port), PROXY_HOST="127.0.0.1", **overrides)
    process = subprocess.Popen(
        [sys.executable, "-m", "jim.cli", "proxy"],  # `-m`: the packages in cwd come first
        cwd=source, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
    )
    server = ProxyServer(f"http://127.0.0.1:{port}", process, Path(log_file.name))
    try:
        _wait_healthy(server)
        yield server
    finally:
        stop(process)
        log_file.close()


def _wait_healthy(server: ProxyServer, seconds: float = 30) -> None:
    """Until /healthz answers — from *this* process: gunicorn must have logged that it
    bound the port (another test run's proxy could hold it after our free_port check)."""
    deadline = time.monotonic() + seconds
    bound = f"Listening at: {server.url}"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"jim proxy exited with {server.process.returncode}:\n{server.log_path.read_text()[-3000:]}")
        if "Connection in use" in server.log_path.read_text():
            stop(server.process)
            raise PortTaken(server.url)
        try:
            if bound in server.log_path.read_text() and httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop(server.process)
    raise RuntimeError(f"jim proxy did not answer in {seconds}s:\n{server.log_path.read_text()[-3000:]}")


def stop(process: subprocess.Popen, timeout: float = 15) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)
