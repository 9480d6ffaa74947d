"""A rehearsal of the Compose stack's database side without Docker: what the images and the
compose file would do, done with the same programs on this machine.

- A fresh PostgreSQL 15 cluster, initialised as the postgres image does it (superuser
  `postgres` with POSTGRES_PASSWORD, scram-sha-256, database POSTGRES_DB) and started with
  the database image's server settings (deploy/db/Dockerfile's CMD).
- deploy/db/initdb/*.sh run against it as the image's entrypoint runs them.
- The migration job runs through the app image's entrypoint with the migrate service's
  environment from docker-compose.yml (secret references expanded), installing the
  GraphQL engine and migrating.
- `jim proxy` starts with the proxy service's environment, logs in as `authenticator` with
  its own password, and answers through graphql.resolve.

Only addresses differ from the containers: db, redis and keycloak are swapped for this
machine's, since no Docker network resolves those names here.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.deploy.nginx import free_port
from tests.deploy.support import COMPOSE_FILE, REPO, compose_environment, load_project

PG_BIN = Path("/usr/lib/postgresql/15/bin")
ENTRYPOINT = REPO / "deploy" / "app" / "entrypoint.py"
LOCAL_KEYCLOAK = "http://127.0.0.1:8180"
LOCAL_REDIS = "redis://127.0.0.1:6379/0"


@dataclass
class Cluster:
    port: int
    password: str
    socket_dir: Path

    def url(self, user: str, password: str, database: str = "jim") -> str:
        return f"postgresql://{user}:{password}@127.0.0.1:{self.port}/{database}"


def as_postgres(*args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["runuser", "-u", "postgres", "--", *args], capture_output=True, text=True,
                          timeout=120, **kwargs)


def image_server_options() -> list[str]:
    """The `-c name=value` settings of the database image's CMD (listening on loopback here)."""
    text = (REPO / "deploy" / "db" / "Dockerfile").read_text()
    cmd = json.loads(text[text.index("CMD [") + 4:].split("]", 1)[0].replace("\\\n", "") + "]")
    assert cmd[0] == "postgres"
    options = [value for flag, value in zip(cmd[1::2], cmd[2::2], strict=True) if flag == "-c"]
    return ["listen_addresses=127.0.0.1" if o.startswith("listen_addresses=") else o for o in options]


@pytest.fixture(scope="module")
def compose() -> dict:
    return load_project(COMPOSE_FILE, compose_environment())


@pytest.fixture(scope="module")
def cluster(compose: dict) -> Iterator[Cluster]:
    db_env = compose["services"]["db"]["environment"]
    root = Path(tempfile.mkdtemp(prefix="jim-db-image-"))
    shutil.chown(root, "postgres")
    data, pwfile = root / "data", root / "pwfile"
    pwfile.write_text(db_env["POSTGRES_PASSWORD"])
    shutil.chown(pwfile, "postgres")
    port = free_port(55400, 55500)
    init = as_postgres(str(PG_BIN / "initdb"), "-D", str(data), "-U", db_env["POSTGRES_USER"],
                       f"--pwfile={pwfile}", "--auth=scram-sha-256")
    assert init.returncode == 0, init.stderr
    options = " ".join(f"-c {option}" for option in image_server_options())
    started = as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w",
                          "-o", f"-p {port} -k {root} {options}", "start")
    assert started.returncode == 0, started.stderr + (root / "log").read_text()
    cluster = Cluster(port, db_env["POSTGRES_PASSWORD"], root)
    try:
        with psycopg.connect(cluster.url("postgres", cluster.password, "postgres"), autocommit=True) as conn:
            conn.execute(f'create database "{db_env["POSTGRES_DB"]}"')
        # The image's entrypoint runs /docker-entrypoint-initdb.d/*.sh once, as POSTGRES_USER,
        # on the local socket. The Keycloak password comes as a file, as in Swarm.
        secret = root / "keycloak_db_password"
        secret.write_text(db_env["KEYCLOAK_DB_PASSWORD"] + "\n")
        for script in sorted((REPO / "deploy" / "db" / "initdb").glob("*.sh")):
            result = subprocess.run(
                ["bash", str(script)], capture_output=True, text=True, timeout=60,
                env={"PATH": "/usr/bin:/bin", "POSTGRES_USER": "postgres", "PGHOST": str(root),
                     "PGPORT": str(port), "PGPASSWORD": cluster.password,
                     "KEYCLOAK_DB_PASSWORD_FILE": str(secret)},
            )
            assert result.returncode == 0, f"{script.name}: {result.stderr}"
        yield cluster
    finally:
        as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


def service_env(compose: dict, service: str, cluster: Cluster, **extra: str) -> dict[str, str]:
    """The service's container environment, with this machine's addresses for db, redis and
    keycloak."""
    env = {}
    for name, value in compose["services"][service]["environment"].items():
        value = (value or "").replace("@db:5432/", f"@127.0.0.1:{cluster.port}/")
        env[name] = value.replace("://db:5432/", f"://127.0.0.1:{cluster.port}/")
    env.update(extra)
    return {"PATH": f"{REPO / '.venv' / 'bin'}:/usr/bin:/bin", "HOME": tempfile.gettempdir(), **env}


def run_in_container(env: dict[str, str], *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ENTRYPOINT), *command], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=300)


def test_db_image_settings_are_applied(cluster: Cluster) -> None:
    with psycopg.connect(cluster.url("postgres", cluster.password)) as conn:
        assert conn.execute("show max_connections").fetchone()[0] == "200"
        assert conn.execute("show shared_buffers").fetchone()[0] == "256MB"


def test_initdb_script_creates_keycloak_s_database_and_login(cluster: Cluster, compose: dict) -> None:
    password = compose["services"]["keycloak"]["environment"]["KC_DB_PASSWORD"]
    with psycopg.connect(cluster.url("keycloak", password, "keycloak")) as conn:
        assert conn.execute("select current_user, current_database()").fetchone() == ("keycloak", "keycloak")
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(cluster.url("keycloak", "wrong-password", "keycloak")).close()


@pytest.fixture(scope="module")
def migrated(cluster: Cluster, compose: dict) -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
    """The migration job, run twice (a second deploy of the same image)."""
    assert compose["services"]["migrate"]["command"] == ["jim", "db", "migrate"]
    env = service_env(compose, "migrate", cluster)
    assert "${POSTGRES_PASSWORD}" in env["DATABASE_URL"]  # resolved by the entrypoint, not Compose
    return run_in_container(env, "jim", "db", "migrate"), run_in_container(env, "jim", "db", "migrate")


def test_migration_job_installs_the_engine_and_migrates_idempotently(cluster: Cluster, migrated) -> None:
    first, again = migrated
    assert first.returncode == 0, first.stdout + first.stderr
    assert "applied" in first.stdout and not first.stdout.startswith("applied 0 ")
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("applied 0 migration(s)")
    with psycopg.connect(cluster.url("postgres", cluster.password)) as conn:
        assert conn.execute("select count(*) from pg_language where lanname = 'plpython3u'").fetchone()[0] == 1
        assert conn.execute("select to_regprocedure('graphql.resolve(text, jsonb, text, jsonb)')").fetchone()[0]


def test_proxy_runs_with_its_service_environment(cluster: Cluster, compose: dict, migrated) -> None:
    assert migrated[0].returncode == 0
    port = free_port(18040, 18099)
    env = service_env(compose, "proxy", cluster, KEYCLOAK_URL=LOCAL_KEYCLOAK, REDIS_URL=LOCAL_REDIS,
                      PROXY_HOST="127.0.0.1", PROXY_PORT=str(port), PROXY_WORKERS="1")
    assert env["JIM_ENV"] == "production" and env["DATABASE_URL"].startswith("postgresql://127.0.0.1:")
    log = tempfile.NamedTemporaryFile(prefix="jim-rehearsal-proxy-", suffix=".log")
    process = subprocess.Popen([sys.executable, str(ENTRYPOINT), "jim", "proxy"], env=env, cwd=REPO,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 40
        ready = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                ready = httpx.get(f"{url}/readyz", timeout=2)
                if ready.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        output = Path(log.name).read_text()
        assert ready is not None and ready.status_code == 200, output[-3000:]
        answer = httpx.post(f"{url}/graphql", json={"query": "{ __typename }"}, timeout=10)
        assert answer.status_code == 200 and answer.json() == {"data": {"__typename": "Query"}}
        # Production defaults: no GraphiQL.
        assert httpx.get(f"{url}/graphiql", timeout=5).status_code == 404
        with psycopg.connect(cluster.url("postgres", cluster.password)) as conn:
            users = {row[0] for row in conn.execute(
                "select usename from pg_stat_activity where datname = 'jim' and usename is not null")}
        assert "authenticator" in users, users  # never the owner
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


# --- the relay and the consumers with their service environment ---------------------------

REHEARSAL_VHOST = "jim-deploy-rehearsal"
# The broker is shared: the rehearsal's user has a name no one else uses.
REHEARSAL_USER = "jim-deploy-rehearsal"


def rabbitmqctl(*args: str) -> None:
    result = subprocess.run(["rabbitmqctl", "-q", *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"rabbitmqctl {' '.join(args)}: {result.stderr}"


def rabbit_password_hash(password: str) -> str:
    """RabbitMQ's stored form (rabbit_password_hashing_sha256): base64(salt + sha256(salt + password))."""
    salt = os.urandom(4)
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


@pytest.fixture(scope="module")
def broker_user(compose: dict) -> Iterator[str]:
    """A RabbitMQ user with the Compose password, on a vhost of its own (the shared broker's
    other users and queues are untouched), imported in one call (definitions merge, so a
    leftover from an interrupted run is simply updated); removed afterwards. Yields what
    replaces `jim:...@rabbitmq:5672/%2F` in the service's RABBITMQ_URL."""
    password = compose["services"]["rabbitmq"]["environment"]["RABBITMQ_PASSWORD"]
    definitions = json.dumps({
        "vhosts": [{"name": REHEARSAL_VHOST}],
        "users": [{"name": REHEARSAL_USER, "password_hash": rabbit_password_hash(password),
                   "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": []}],
        "permissions": [{"user": REHEARSAL_USER, "vhost": REHEARSAL_VHOST,
                         "configure": ".*", "write": ".*", "read": ".*"}],
    })
    # The broker reads the file itself (as its own user): a readable folder of its own.
    folder = Path(tempfile.mkdtemp(prefix="jim-rabbitmq-"))
    folder.chmod(0o755)
    (folder / "definitions.json").write_text(definitions)
    (folder / "definitions.json").chmod(0o644)
    try:
        rabbitmqctl("import_definitions", str(folder / "definitions.json"))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    try:
        yield REHEARSAL_VHOST
    finally:
        subprocess.run(["rabbitmqctl", "-q", "delete_user", REHEARSAL_USER], capture_output=True, timeout=60)
        subprocess.run(["rabbitmqctl", "-q", "delete_vhost", REHEARSAL_VHOST], capture_output=True, timeout=60)


@pytest.mark.parametrize(("service", "port_setting"), [
    ("relay", "WORKER_RELAY_METRICS_PORT"), ("worker", "WORKER_CONSUMER_METRICS_PORT"),
])
def test_worker_processes_run_with_their_service_environment(
    cluster: Cluster, compose: dict, migrated, broker_user: str, service: str, port_setting: str,
) -> None:
    assert migrated[0].returncode == 0
    spec = compose["services"][service]
    # The healthcheck asks the port the settings default to; here a free one stands in.
    from worker.settings import WorkerSettings

    default_port = WorkerSettings.model_fields[port_setting.lower()].default
    assert spec["healthcheck"]["test"] == ["CMD", "jim-healthcheck", f"http://127.0.0.1:{default_port}/metrics"]
    port = free_port(19100, 19200)
    env = service_env(compose, service, cluster, **{port_setting: str(port)})
    assert env["JIM_ENV"] == "production" and env["WORKER_METRICS_HOST"] == "0.0.0.0"
    url = env["RABBITMQ_URL"]
    assert url == "amqp://jim:${RABBITMQ_PASSWORD}@rabbitmq:5672/%2F"  # the entrypoint fills it in
    env["RABBITMQ_URL"] = f"amqp://{REHEARSAL_USER}:${{RABBITMQ_PASSWORD}}@127.0.0.1:5672/{broker_user}"
    log = tempfile.NamedTemporaryFile(prefix=f"jim-rehearsal-{service}-", suffix=".log")
    process = subprocess.Popen([sys.executable, str(ENTRYPOINT), *spec["command"]], env=env, cwd=REPO,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    healthcheck = [sys.executable, str(REPO / "deploy" / "app" / "healthcheck.py"), f"http://127.0.0.1:{port}/metrics"]
    try:
        deadline = time.monotonic() + 30
        healthy = False
        while time.monotonic() < deadline and process.poll() is None and not healthy:
            healthy = subprocess.run(healthcheck, capture_output=True, timeout=10).returncode == 0
            time.sleep(0.3)
        assert healthy, Path(log.name).read_text()[-3000:]
        if service == "relay":  # the relay listens for NOTIFY from the start; consumers connect per task
            with psycopg.connect(cluster.url("postgres", cluster.password)) as conn:
                users = {row[0] for row in conn.execute(
                    "select usename from pg_stat_activity where datname = 'jim' and usename is not null")}
            assert "worker" in users, users
    finally:
        process.terminate()  # SIGTERM: the worker's graceful stop
        try:
            assert process.wait(30) == 0, Path(log.name).read_text()[-3000:]
        finally:
            if process.poll() is None:
                process.kill()
            log.close()
