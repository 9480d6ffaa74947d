"""`jim proxy`: serve the proxy under gunicorn with uvicorn workers.

gunicorn supervises several worker processes (each with its own event loop and Postgres
pool; a crashed worker is replaced), uvicorn runs the ASGI app in each. Settings are read
and checked once here, so a bad variable fails before any worker starts.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="interface to bind (PROXY_HOST, default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to bind (PROXY_PORT, default 8000)")
    parser.add_argument("--workers", type=int, help="worker processes (PROXY_WORKERS, default 2)")
    parser.set_defaults(func=cmd_proxy)


def _metrics_dir() -> str:
    """A fresh directory for prometheus-client's multiprocess files (stale ones would be summed)."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or str(
        Path(tempfile.gettempdir()) / f"jim-proxy-metrics-{os.getpid()}"
    )
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    return path


def cmd_proxy(args: argparse.Namespace) -> int:
    # First: prometheus-client picks its storage when imported, and the workers inherit it.
    metrics_dir = _metrics_dir()
    from jim.settings import load
    from proxy.settings import ProxySettings

    settings = load(ProxySettings)
    overrides = {k: v for k, v in {"proxy_host": args.host, "proxy_port": args.port,
                                   "proxy_workers": args.workers}.items() if v is not None}
    if overrides:
        settings = settings.model_copy(update=overrides)
    import psycopg

    from proxy.app import check_roles
    from proxy.roles import RoleConfigError

    try:
        check_roles(settings)  # fail here, with one message, rather than in every worker
    except psycopg.OperationalError as exc:
        print(f"jim: cannot connect to PostgreSQL as authenticator: {str(exc).strip()}", file=sys.stderr)
        return 1
    except RoleConfigError as exc:
        print(f"jim: {exc}", file=sys.stderr)
        return 1

    from gunicorn.app.base import BaseApplication
    from prometheus_client import multiprocess
    from uvicorn.workers import UvicornWorker

    class ProxyWorker(UvicornWorker):
        # The proxy writes its own access line (with the request id); uvicorn's would
        # format its arguments on every response only to drop them. No `server: uvicorn`.
        CONFIG_KWARGS = {**UvicornWorker.CONFIG_KWARGS, "access_log": False, "server_header": False}

    class ProxyServer(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{settings.proxy_host}:{settings.proxy_port}")
            self.cfg.set("workers", settings.proxy_workers)
            self.cfg.set("worker_class", ProxyWorker)
            # Longer than nginx's upstream keepalive_timeout, so nginx closes idle connections first.
            self.cfg.set("keepalive", settings.proxy_keepalive_seconds)
            self.cfg.set("graceful_timeout", 20)
            self.cfg.set("timeout", 60)
            self.cfg.set("accesslog", None)
            self.cfg.set("proc_name", "jim-proxy")
            self.cfg.set("child_exit", lambda server, worker: multiprocess.mark_process_dead(worker.pid))

        def load(self):  # called in each worker: one pool and one key cache per process
            from proxy.app import create_app

            return create_app(settings)

    try:
        ProxyServer().run()
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0
