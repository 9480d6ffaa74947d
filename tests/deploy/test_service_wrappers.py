"""The one-line shell wrappers the compose files put around RabbitMQ, Redis and Keycloak
(which read no password files) do what they say: run with `sh`/`bash` as the containers
would, with the image's programs replaced by stubs that report their arguments and
environment, and the container paths moved into a temporary folder."""

from __future__ import annotations

import json
import stat
import subprocess
from pathlib import Path

import pytest

from tests.deploy.support import (
    COMPOSE_FILE,
    STACK_FILE,
    SWARM_ENV,
    compose_environment,
    load_project,
)

PASSWORD = "pa ss'w\"rd$1"  # quotes, a space and a dollar: the wrappers must keep it whole
STUB = """#!/bin/sh
python3 -c 'import json, os, sys; print(json.dumps({"argv": sys.argv[1:], "env": dict(os.environ)}))' "$@"
"""


def project(path: Path) -> dict:
    return load_project(path, compose_environment(**(SWARM_ENV if path == STACK_FILE else {})))


def run_wrapper(argv: list[str], tmp_path: Path, env: dict[str, str]) -> tuple[dict, Path]:
    """Run a container's wrapper with stubs for the image's programs; return what the stub
    saw and the folder standing in for the container's filesystem."""
    root = tmp_path / "container"
    bin_dir = root / "bin"
    for folder in (bin_dir, root / "etc/rabbitmq/conf.d", root / "run/secrets", root / "opt/keycloak/bin"):
        folder.mkdir(parents=True, exist_ok=True)
    for stub in (bin_dir / "docker-entrypoint.sh", root / "opt/keycloak/bin/kc.sh"):
        stub.write_text(STUB)
        stub.chmod(stub.stat().st_mode | stat.S_IEXEC)
    for name in ("rabbitmq_password", "redis_password", "keycloak_db_password", "keycloak_admin_password"):
        (root / "run/secrets" / name).write_text(f"{PASSWORD}-{name}")
    moved = [arg.replace("/etc/rabbitmq/", f"{root}/etc/rabbitmq/")
                .replace("/run/secrets/", f"{root}/run/secrets/")
                .replace("/opt/keycloak/", f"{root}/opt/keycloak/") for arg in argv]
    result = subprocess.run(moved, capture_output=True, text=True, timeout=30,
                            env={"PATH": f"{bin_dir}:/usr/bin:/bin", **env})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), root


@pytest.mark.parametrize("path", [COMPOSE_FILE, STACK_FILE], ids=["compose", "swarm"])
def test_rabbitmq_wrapper_writes_the_default_user_and_starts_the_server(path: Path, tmp_path: Path) -> None:
    service = project(path)["services"]["rabbitmq"]
    env = {"RABBITMQ_PASSWORD": PASSWORD + "-rabbitmq_password"} if path == COMPOSE_FILE else {}
    seen, root = run_wrapper([*service["entrypoint"], *(service.get("command") or [])], tmp_path, env)
    assert seen["argv"] == ["rabbitmq-server"]
    conf = (root / "etc/rabbitmq/conf.d/90-jim-user.conf").read_text()
    assert conf == f"default_user = jim\ndefault_pass = {PASSWORD}-rabbitmq_password\n"


@pytest.mark.parametrize("path", [COMPOSE_FILE, STACK_FILE], ids=["compose", "swarm"])
def test_redis_wrapper_requires_the_password(path: Path, tmp_path: Path) -> None:
    service = project(path)["services"]["redis"]
    env = {"REDIS_PASSWORD": PASSWORD + "-redis_password"} if path == COMPOSE_FILE else {}
    seen, _ = run_wrapper(service["command"], tmp_path, env)
    assert seen["argv"] == ["redis-server", "--appendonly", "yes", "--requirepass", f"{PASSWORD}-redis_password"]


def test_keycloak_wrapper_exports_its_secrets_and_runs_kc_sh(tmp_path: Path) -> None:
    service = project(STACK_FILE)["services"]["keycloak"]
    assert service["command"] == ["start", "--import-realm"]
    seen, _ = run_wrapper([*service["entrypoint"], *service["command"]], tmp_path, {})
    assert seen["argv"] == ["start", "--import-realm"]
    assert seen["env"]["KC_DB_PASSWORD"] == f"{PASSWORD}-keycloak_db_password"
    assert seen["env"]["KC_BOOTSTRAP_ADMIN_PASSWORD"] == f"{PASSWORD}-keycloak_admin_password"


def test_healthchecks_that_need_a_password_read_it(tmp_path: Path) -> None:
    """Swarm's Redis healthcheck passes the secret to redis-cli through REDISCLI_AUTH."""
    test = project(STACK_FILE)["services"]["redis"]["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL"
    root = tmp_path / "container"
    (root / "run/secrets").mkdir(parents=True)
    (root / "run/secrets/redis_password").write_text(PASSWORD)
    bin_dir = root / "bin"
    bin_dir.mkdir()
    cli = bin_dir / "redis-cli"
    cli.write_text('#!/bin/sh\n[ "$REDISCLI_AUTH" = "$EXPECTED" ] && [ "$1" = ping ] && echo PONG\n')
    cli.chmod(0o755)
    command = test[1].replace("/run/secrets/", f"{root}/run/secrets/")
    ok = subprocess.run(["sh", "-c", command], env={"PATH": f"{bin_dir}:/usr/bin:/bin", "EXPECTED": PASSWORD},
                        capture_output=True, timeout=30)
    assert ok.returncode == 0
    wrong = subprocess.run(["sh", "-c", command], env={"PATH": f"{bin_dir}:/usr/bin:/bin", "EXPECTED": "other"},
                           capture_output=True, timeout=30)
    assert wrong.returncode != 0
