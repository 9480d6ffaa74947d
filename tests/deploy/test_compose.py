"""docker-compose.yml and the Swarm stack file, checked without a Docker engine:

- both validate against the Compose Specification's JSON schema (after interpolation
  with the values .env.example gives, as Compose does);
- both load with compose-go, the loader Docker Compose itself uses (schema, interpolation,
  and consistency: every service, network, volume, config and secret referred to exists);
- the stack file validates against docker/cli's version-3 schema, which `docker stack
  deploy` applies;
- and the properties issue 8 asks for hold (healthchecks, depends_on conditions, named
  volumes, replicas, rolling updates with rollback, secrets, overlay networks, limits,
  placement).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.deploy.support import (
    COMPOSE_FILE,
    REALM_FILE,
    REPO,
    STACK_FILE,
    SWARM_ENV,
    compose_environment,
    compose_spec_schema,
    interpolate,
    load_project,
    raw_yaml,
    run_composecheck,
    stack_schema,
)

FILES = pytest.mark.parametrize("path", [COMPOSE_FILE, STACK_FILE], ids=["compose", "swarm"])
SERVICES = {"db", "keycloak", "redis", "rabbitmq", "migrate", "proxy", "relay", "worker", "nginx"}
APP_SERVICES = {"migrate", "proxy", "relay", "worker"}
STATEFUL = {"db": "/var/lib/postgresql/data", "redis": "/data", "rabbitmq": "/var/lib/rabbitmq"}


def environment(path: Path) -> dict[str, str]:
    return compose_environment(**(SWARM_ENV if path == STACK_FILE else {}))


def schema_errors(schema: dict[str, Any], document: Any, validator: type = jsonschema.Draft202012Validator) -> list[str]:
    checker = validator.FORMAT_CHECKER
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator(schema, format_checker=checker).iter_errors(document)
    ]


# --- the Compose Specification ------------------------------------------------------------

@FILES
def test_validates_against_the_compose_spec_schema(path: Path) -> None:
    document = interpolate(raw_yaml(path), environment(path))
    assert schema_errors(compose_spec_schema(), document) == []


def test_the_schema_check_has_teeth() -> None:
    document = interpolate(raw_yaml(COMPOSE_FILE), compose_environment())
    document["services"]["proxy"]["depends_on"]["migrate"]["condition"] = "service_started_maybe"
    document["services"]["nginx"]["healthcheck"]["intervals"] = "10s"
    errors = schema_errors(compose_spec_schema(), document)
    assert any("services/proxy/depends_on" in error for error in errors)
    assert any("services/nginx/healthcheck" in error and "intervals" in error for error in errors)


@FILES
def test_compose_go_loads_it(path: Path) -> None:
    project = load_project(path, environment(path))
    assert set(project["services"]) == SERVICES


def test_compose_go_refuses_an_inconsistent_file(tmp_path: Path) -> None:
    """The consistency check has teeth: a depends_on to a service that does not exist."""
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(COMPOSE_FILE.read_text().replace("      redis:\n        condition: service_healthy",
                                                       "      rediss:\n        condition: service_healthy"))
    result = run_composecheck(broken, compose_environment())
    assert result.returncode != 0
    assert "rediss" in result.stderr


@pytest.mark.parametrize("secret", ["POSTGRES_PASSWORD", "AUTHENTICATOR_PASSWORD", "RABBITMQ_PASSWORD",
                                    "REDIS_PASSWORD", "KEYCLOAK_ADMIN_PASSWORD"])
def test_compose_refuses_to_start_without_a_secret_naming_it(secret: str) -> None:
    env = compose_environment()
    env[secret] = ""
    result = run_composecheck(COMPOSE_FILE, env)
    assert result.returncode != 0
    assert f"set {secret} in .env" in result.stderr


# --- docker-compose.yml: one machine ------------------------------------------------------

@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_project(COMPOSE_FILE, compose_environment())


def test_every_long_running_service_has_a_healthcheck(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        if name == "migrate":
            continue
        check = service.get("healthcheck") or {}
        assert check.get("test") and not check.get("disable"), f"{name} has no healthcheck"


def test_dependencies_wait_for_health_or_a_finished_migration(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        for dependency, rule in (service.get("depends_on") or {}).items():
            expected = "service_completed_successfully" if dependency == "migrate" else "service_healthy"
            assert rule["condition"] == expected, f"{name} -> {dependency}: {rule['condition']}"
            if expected == "service_healthy":
                assert services[dependency].get("healthcheck"), f"{dependency} has no healthcheck to wait for"
    for name in ("proxy", "relay", "worker"):
        assert "migrate" in services[name]["depends_on"], f"{name} may start before the migrations"
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["nginx"]["depends_on"]["proxy"]["condition"] == "service_healthy"
    assert services["migrate"]["restart"] == "no"


def test_data_lives_in_named_volumes(compose: dict[str, Any]) -> None:
    for name, target in STATEFUL.items():
        mounts = {m["target"]: m for m in compose["services"][name]["volumes"]}
        assert mounts[target]["type"] == "volume", f"{name} keeps its data outside a named volume"
        assert mounts[target]["source"] in compose["volumes"]


def test_app_services_share_one_image_with_their_commands(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert len({services[name]["image"] for name in APP_SERVICES}) == 1
    assert services["migrate"]["command"] == ["jim", "db", "migrate"]
    assert services["proxy"]["command"] == ["jim", "proxy"]
    assert services["relay"]["command"] == ["jim", "worker", "relay"]
    assert services["worker"]["command"] == ["jim", "worker", "consume"]
    assert services["db"]["build"]["dockerfile"] == "deploy/db/Dockerfile"
    assert services["proxy"]["build"]["dockerfile"] == "deploy/app/Dockerfile"


def test_only_the_front_doors_are_published(compose: dict[str, Any]) -> None:
    published = {name for name, service in compose["services"].items() if service.get("ports")}
    assert published == {"nginx", "keycloak"}
    assert compose["networks"]["backend"]["internal"] is True
    for name in ("db", "redis", "rabbitmq", "proxy", "relay", "worker", "migrate"):
        assert set(compose["services"][name]["networks"]) == {"backend"}, name


def test_keycloak_imports_the_same_realm_file_as_the_local_stack(compose: dict[str, Any]) -> None:
    assert Path(compose["configs"]["keycloak_realm"]["file"]) == REALM_FILE
    targets = {c["source"]: c["target"] for c in compose["services"]["keycloak"]["configs"]}
    assert targets["keycloak_realm"] == "/opt/keycloak/data/import/realm-jim.json"
    assert "--import-realm" in compose["services"]["keycloak"]["command"]
    assert "deploy/keycloak/realm-jim.json" in (REPO / "scripts" / "services" / "keycloak.sh").read_text()


def test_proxy_verifies_tokens_for_the_issuer_keycloak_puts_in_them(compose: dict[str, Any]) -> None:
    keycloak = compose["services"]["keycloak"]["environment"]
    proxy = compose["services"]["proxy"]["environment"]
    assert proxy["JWT_ISSUERS"] == f"{keycloak['KC_HOSTNAME']}/realms/jim"
    assert proxy["KEYCLOAK_URL"] == "http://keycloak:8080"


@FILES
def test_proxy_listens_for_nginx_and_trusts_its_forwarded_address(path: Path) -> None:
    """nginx runs in another container: the proxy must bind beyond loopback and take the
    client's address from nginx's X-Forwarded-For (gunicorn's FORWARDED_ALLOW_IPS), or every
    anonymous caller would share nginx's address in the proxy's rate limit."""
    project = load_project(path, environment(path))
    proxy = project["services"]["proxy"]["environment"]
    assert proxy["FORWARDED_ALLOW_IPS"] == "*"
    assert proxy.get("PROXY_HOST", "0.0.0.0") == "0.0.0.0"  # the image's default
    assert "PROXY_HOST=0.0.0.0" in (REPO / "deploy" / "app" / "Dockerfile").read_text()
    assert project["services"]["nginx"]["environment"]["JIM_NGINX_UPSTREAM"] == "proxy:8000"


# --- the Swarm stack file -----------------------------------------------------------------

# Where `docker stack deploy` turns interpolated strings into numbers before validating
# (docker/cli's loader does the same for these paths).
_INT_PATHS = [
    ("deploy", "replicas"), ("deploy", "update_config", "parallelism"),
    ("deploy", "rollback_config", "parallelism"), ("deploy", "restart_policy", "max_attempts"),
    ("healthcheck", "retries"),
]


def _cast_like_docker_cli(document: dict[str, Any]) -> dict[str, Any]:
    for service in document["services"].values():
        for path in _INT_PATHS:
            parent = service
            for key in path[:-1]:
                parent = parent.get(key, {}) if isinstance(parent, dict) else {}
            if isinstance(parent, dict) and isinstance(parent.get(path[-1]), str):
                parent[path[-1]] = int(parent[path[-1]])
        for port in service.get("ports", []):
            if isinstance(port, dict):
                for key in ("target", "published"):
                    if isinstance(port.get(key), str):
                        port[key] = int(port[key])
    return document


def test_stack_validates_against_docker_stack_deploys_schema() -> None:
    raw = raw_yaml(STACK_FILE)
    document = _cast_like_docker_cli(interpolate(raw, compose_environment(**SWARM_ENV)))
    assert schema_errors(stack_schema(raw["version"]), document, jsonschema.Draft4Validator) == []


def test_stack_schema_check_has_teeth() -> None:
    document = _cast_like_docker_cli(interpolate(raw_yaml(STACK_FILE), compose_environment(**SWARM_ENV)))
    document["name"] = "jim"  # valid Compose Specification, not valid for `docker stack deploy`
    document["services"]["proxy"]["depends_on"] = {"db": {"condition": "service_healthy"}}
    errors = schema_errors(stack_schema("3.8"), document, jsonschema.Draft4Validator)
    assert errors, "the v3 schema accepted what docker stack deploy refuses"


@pytest.fixture(scope="module")
def stack() -> dict[str, Any]:
    return load_project(STACK_FILE, compose_environment(**SWARM_ENV))


def test_stack_replicates_the_stateless_services_with_rolling_updates_and_rollback(stack: dict[str, Any]) -> None:
    services = stack["services"]
    for name in ("proxy", "worker", "nginx"):
        deploy = services[name]["deploy"]
        assert deploy["replicas"] >= 2, name
        assert deploy["update_config"]["failure_action"] == "rollback", name
        assert deploy["update_config"]["order"] == "start-first", name
        assert deploy["rollback_config"]["parallelism"] >= 1, name
        assert services[name]["healthcheck"]["test"], f"{name}: updates need a healthcheck to judge by"


def test_stack_runs_migrations_as_a_job(stack: dict[str, Any]) -> None:
    deploy = stack["services"]["migrate"]["deploy"]
    assert deploy["mode"] == "replicated-job"
    assert deploy["restart_policy"]["condition"] == "on-failure"


def test_stack_places_stateful_services_on_labelled_nodes_one_task_each(stack: dict[str, Any]) -> None:
    for name, target in STATEFUL.items():
        deploy = stack["services"][name]["deploy"]
        assert deploy["replicas"] == 1
        assert f"node.labels.jim.{name} == true" in deploy["placement"]["constraints"]
        assert deploy["update_config"]["order"] == "stop-first", f"{name}: two servers on one volume"
        mounts = {m["target"]: m for m in stack["services"][name]["volumes"]}
        assert mounts[target]["type"] == "volume"


def test_stack_limits_every_service(stack: dict[str, Any]) -> None:
    for name, service in stack["services"].items():
        if name == "migrate":
            continue
        limits = service["deploy"]["resources"]["limits"]
        assert limits.get("cpus") and limits.get("memory"), f"{name} has no resource limits"


def test_stack_passes_passwords_only_as_secrets() -> None:
    """No password value in the stack file: *_FILE paths under /run/secrets, or $${NAME}
    references the entrypoint resolves from those files."""
    raw = raw_yaml(STACK_FILE)
    declared = raw["secrets"]
    assert all(secret.get("external") is True for secret in declared.values())
    for name, service in raw["services"].items():
        env = service.get("environment") or {}
        for key, value in env.items():
            if "PASSWORD" in key:
                assert key.endswith("_FILE") and str(value).startswith("/run/secrets/"), f"{name}: {key}"
                secret = str(value).removeprefix("/run/secrets/")
                assert secret in (service.get("secrets") or []), f"{name} reads {secret} without mounting it"
            if "://" in str(value) and "@" in str(value):
                credentials = str(value).split("://", 1)[1].split("@", 1)[0]
                assert "${" in credentials, f"{name}: {key} carries a literal credential"


def test_stack_networks_are_overlays_and_the_backend_is_private(stack: dict[str, Any]) -> None:
    networks = stack["networks"]
    assert {network["driver"] for network in networks.values()} == {"overlay"}
    assert networks["backend"]["internal"] is True
    assert networks["backend"]["driver_opts"]["encrypted"] == "true"
