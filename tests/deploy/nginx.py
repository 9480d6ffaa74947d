"""Run a real nginx from the repository's template, for the tests.

`running_nginx(upstream=...)` renders deploy/nginx/nginx.conf.template with
deploy/nginx/render.py into a temporary folder, starts nginx from it on a free port
(18080 upward, ports.md) and stops it when the block ends. Any JIM_NGINX_* value can be
overridden (e.g. a low rate limit to test the 429 path).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.deploy.support import REPO

RENDER = REPO / "deploy" / "nginx" / "render.py"


def nginx_binary() -> str:
    path = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(path).exists(), "nginx is missing: run ./dev install (Debian package nginx)"
    return path


def free_port(start: int = 18080, end: int = 18180) -> int:
    for port in range(start, end):
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {start}-{end}")


def render(run_dir: Path, **values: str) -> subprocess.CompletedProcess[str]:
    """Render the template into run_dir/nginx.conf with JIM_NGINX_* overrides."""
    args = [sys.executable, str(RENDER), "--run-dir", str(run_dir), "--output", str(run_dir / "nginx.conf")]
    for name, value in values.items():
        args += ["--set", f"{name}={value}"]
    return subprocess.run(args, capture_output=True, text=True, timeout=30, env={"PATH": "/usr/bin:/bin"})


def config_test(conf: Path, run_dir: Path) -> subprocess.CompletedProcess[str]:
    """`nginx -t` on a config file."""
    return subprocess.run(
        [nginx_binary(), "-t", "-c", str(conf), "-p", str(run_dir), "-e", str(run_dir / "error.log")],
        capture_output=True, text=True, timeout=30,
    )


@dataclass
class Nginx:
    url: str
    run_dir: Path

    def access_log(self) -> str:
        path = self.run_dir / "access.log"
        return path.read_text() if path.exists() else ""

    def error_log(self) -> str:
        path = self.run_dir / "error.log"
        return path.read_text() if path.exists() else ""


@contextmanager
def running_nginx(upstream: str, **values: str) -> Iterator[Nginx]:
    run_dir = Path(tempfile.mkdtemp(prefix="jim-nginx-"))
    port = values.pop("JIM_NGINX_PORT", None) or str(free_port())
    rendered = render(run_dir, JIM_NGINX_PORT=port, JIM_NGINX_UPSTREAM=upstream, **values)
    assert rendered.returncode == 0, rendered.stderr
    conf = run_dir / "nginx.conf"
    started = subprocess.run(
        [nginx_binary(), "-c", str(conf), "-p", str(run_dir), "-e", str(run_dir / "error.log")],
        capture_output=True, text=True, timeout=30,
    )
    assert started.returncode == 0, f"nginx did not start: {started.stderr}\n{(run_dir / 'error.log').read_text()}"
    server = Nginx(f"http://127.0.0.1:{port}", run_dir)
    try:
        _wait_listening(int(port))
        yield server
    finally:
        _stop(run_dir)
        shutil.rmtree(run_dir, ignore_errors=True)


def _wait_listening(port: int, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nginx does not listen on {port}")


def _stop(run_dir: Path) -> None:
    pid_file = run_dir / "nginx.pid"
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text().strip())
    try:
        # SIGQUIT: graceful shutdown (finish in-flight requests), as `nginx -s quit`.
        os.kill(pid, signal.SIGQUIT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            os.kill(pid, 0)
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
