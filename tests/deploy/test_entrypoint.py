"""The app image's entrypoint (secrets from files, ${NAME} references) and healthcheck,
run as the container runs them: as programs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.nginx import free_port, running_nginx
from tests.deploy.support import REPO

ENTRYPOINT = REPO / "deploy" / "app" / "entrypoint.py"
HEALTHCHECK = REPO / "deploy" / "app" / "healthcheck.py"
PRINT_ENV = [sys.executable, "-c", "import json, os; print(json.dumps(dict(os.environ)))"]


def run_entrypoint(env: dict[str, str], command: list[str] = PRINT_ENV) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ENTRYPOINT), *command],
        env={"PATH": "/usr/bin:/bin", **env}, capture_output=True, text=True, timeout=30,
    )


def secret(tmp_path: Path, name: str, value: str) -> str:
    path = tmp_path / name
    path.write_text(value)
    return str(path)


def test_file_secrets_become_variables_and_references_are_expanded(tmp_path: Path) -> None:
    result = run_entrypoint({
        "AUTHENTICATOR_PASSWORD_FILE": secret(tmp_path, "auth", "p@ss/w:rd%\n"),
        "DATABASE_URL": "postgresql://authenticator:${AUTHENTICATOR_PASSWORD}@db:5432/jim",
        "GREETING": "password is ${AUTHENTICATOR_PASSWORD}",
    })
    assert result.returncode == 0, result.stderr
    env = json.loads(result.stdout)
    assert env["AUTHENTICATOR_PASSWORD"] == "p@ss/w:rd%"  # trailing newline dropped
    assert "AUTHENTICATOR_PASSWORD_FILE" not in env
    # Inside a URL the secret is percent-encoded, so any character is safe there.
    assert env["DATABASE_URL"] == "postgresql://authenticator:p%40ss%2Fw%3Ard%25@db:5432/jim"
    assert env["GREETING"] == "password is p@ss/w:rd%"
    assert result.stderr == ""


def test_references_work_with_plain_variables_too() -> None:
    result = run_entrypoint({"REDIS_PASSWORD": "abc", "REDIS_URL": "redis://:${REDIS_PASSWORD}@redis:6379/0"})
    assert json.loads(result.stdout)["REDIS_URL"] == "redis://:abc@redis:6379/0"


def test_values_without_references_pass_unchanged() -> None:
    result = run_entrypoint({"CORS_ORIGINS": "https://a.example,https://b.example", "PRICE": "$5"})
    env = json.loads(result.stdout)
    assert env["CORS_ORIGINS"] == "https://a.example,https://b.example"
    assert env["PRICE"] == "$5"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DATABASE_URL": "postgresql://u:${MISSING_PASSWORD}@db/jim"},
         "DATABASE_URL refers to ${MISSING_PASSWORD}, which is not set"),
        ({"WORKER_PASSWORD": "x", "WORKER_PASSWORD_FILE": "/run/secrets/worker_password"},
         "both WORKER_PASSWORD and WORKER_PASSWORD_FILE are set"),
        ({"WORKER_PASSWORD_FILE": "/nonexistent/worker_password"},
         "WORKER_PASSWORD_FILE: cannot read /nonexistent/worker_password"),
    ],
)
def test_bad_configuration_stops_the_container_naming_the_variable(env: dict[str, str], message: str) -> None:
    result = run_entrypoint(env)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""  # the command never ran


def test_an_empty_secret_file_is_refused(tmp_path: Path) -> None:
    result = run_entrypoint({"REDIS_PASSWORD_FILE": secret(tmp_path, "redis", "\n")})
    assert result.returncode == 2 and "is empty" in result.stderr


def test_secret_values_are_never_printed(tmp_path: Path) -> None:
    result = run_entrypoint({
        "WORKER_PASSWORD_FILE": secret(tmp_path, "worker", "s3cret-value"),
        "DATABASE_URL": "postgresql://worker:${WORKER_PASSWORD}@db/jim ${NOPE}",
    })
    assert result.returncode == 2
    assert "s3cret-value" not in result.stderr + result.stdout


def test_exit_status_of_the_command_is_the_containers() -> None:
    result = run_entrypoint({}, [sys.executable, "-c", "raise SystemExit(7)"])
    assert result.returncode == 7
    missing = run_entrypoint({}, ["no-such-command-here"])
    assert missing.returncode == 127 and "cannot run no-such-command-here" in missing.stderr


def test_healthcheck_passes_on_2xx_and_fails_otherwise() -> None:
    def check(*urls: str) -> int:
        return subprocess.run([sys.executable, str(HEALTHCHECK), *urls], capture_output=True, timeout=30).returncode

    closed = free_port(18180, 18200)
    # A real nginx from the repo's template: /healthz answers 200 itself, /metrics is 404,
    # and with no proxy behind it everything else is 502.
    with running_nginx(upstream=f"127.0.0.1:{closed}") as nginx:
        assert check(f"{nginx.url}/healthz") == 0
        assert check(f"{nginx.url}/metrics") == 1
        assert check(f"{nginx.url}/readyz") == 1
        assert check(f"{nginx.url}/healthz", f"{nginx.url}/readyz") == 1
    assert check(f"http://127.0.0.1:{closed}/healthz") == 1
    assert check() == 2
