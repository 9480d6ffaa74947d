"""Installing the engine: on a freshly initdb'd cluster (its own port, nothing installed by
hand), idempotently, and sessions picking up an upgrade."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from jimgql.install import install_into
from tests.engine.support import resolve


def _bindir(url: str) -> Path:
    """The server's own binaries (initdb, pg_ctl): the same PostgreSQL as the test server."""
    with psycopg.connect(url) as conn:
        row = conn.execute("select setting from pg_config where name = 'BINDIR'").fetchone()
    assert row is not None
    return Path(row[0])


def _as_postgres(args: list[str]) -> None:
    """initdb and pg_ctl refuse to run as root: run them as the postgres OS user then."""
    if os.geteuid() == 0:
        args = ["su", "postgres", "-c", " ".join(args)]
    subprocess.run(args, check=True, capture_output=True, timeout=120)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def fresh_cluster(engine_url: str) -> Iterator[str]:
    bindir = _bindir(engine_url)
    data = Path(tempfile.mkdtemp(prefix="jimgql-cluster-", dir="/tmp"))
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
    port = _free_port()
    _as_postgres([str(bindir / "initdb"), "-D", str(data / "pg"), "-U", "jim", "--auth=trust",
                  "--no-sync", "-E", "UTF8"])
    _as_postgres([str(bindir / "pg_ctl"), "-D", str(data / "pg"), "-l", str(data / "pg" / "log"), "-w",
                  "-o", f"'-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off'", "start"])
    try:
        yield f"postgresql://jim@127.0.0.1:{port}/postgres"
    finally:
        _as_postgres([str(bindir / "pg_ctl"), "-D", str(data / "pg"), "-m", "immediate", "stop"])
        shutil.rmtree(data, ignore_errors=True)


def test_install_and_resolve_on_a_fresh_cluster(fresh_cluster: str):
    with psycopg.connect(fresh_cluster, autocommit=True) as conn:
        first = install_into(conn)
        again = install_into(conn)
        conn.execute("create table public.thing (id int primary key, name text)")
        conn.execute("insert into public.thing values (1, 'one'), (2, 'two')")
        conn.execute("""comment on schema public is e'@graphql({"inflect_names": true})'""")
    assert (first.status, again.status) == ("installed", "unchanged")
    with psycopg.connect(fresh_cluster) as conn:  # a new session: modules come from the table
        assert resolve(conn, "{ thingCollection(first: 1) { edges { node { name } } } }") == {
            "data": {"thingCollection": {"edges": [{"node": {"name": "one"}}]}}}
        compiled = conn.execute("select count(*) = count(code) from graphql._module").fetchone()[0]
        assert compiled, "every module was compiled by the server's Python at install"


def test_a_running_session_picks_up_an_upgrade(fresh_cluster: str):
    with psycopg.connect(fresh_cluster, autocommit=True) as session, \
            psycopg.connect(fresh_cluster, autocommit=True) as admin:
        assert "data" in resolve(session, "{ thingCollection { edges { node { id } } } }")
        # What an upgrade changes for running sessions: the installed code's hash.
        admin.execute("update graphql._engine set hash = 'an older build'")
        assert "data" in resolve(session, "{ thingCollection { edges { node { id } } } }")
        upgraded = install_into(admin)
        assert upgraded.status == "upgraded"
        assert resolve(session, "{ thingCollection { edges { node { id } } } }") == {
            "data": {"thingCollection": {"edges": [{"node": {"id": 1}}, {"node": {"id": 2}}]}}}
