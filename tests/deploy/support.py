"""Shared vocabulary of the deployment tests: where the files and the validation tools are,
what .env.example says, and how Compose would see the compose files.

The tools (hadolint, composecheck, docker/cli's schemas) are installed by
scripts/services/deploy.sh (`./dev install`); a missing one fails with that hint.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
STACK_FILE = REPO / "deploy" / "swarm" / "jim-stack.yml"
ENV_EXAMPLE = REPO / ".env.example"
NGINX_TEMPLATE = REPO / "deploy" / "nginx" / "nginx.conf.template"
REALM_FILE = REPO / "deploy" / "keycloak" / "realm-jim.json"
DOCKERFILES = sorted((REPO / "deploy").glob("*/Dockerfile"))

CACHE_DIR = Path(os.environ.get("JIM_CACHE_DIR") or Path.home() / ".cache" / "jim")
INSTALL_HINT = "run ./dev install (scripts/services/deploy.sh installs the deployment validation tools)"

# Values for the secrets that .env.example leaves empty, as deploy/make-env.sh would fill them.
FAKE_SECRET = "0123456789abcdef0123456789abcdef"
# What a Swarm operator exports before `docker stack deploy` (the stack requires them).
SWARM_ENV = {
    "JIM_REGISTRY": "registry.example.com/jim",
    "JIM_IMAGE_TAG": "1.0.0",
    "KEYCLOAK_PUBLIC_URL": "https://auth.example.com",
}

_ENTRY = re.compile(r"^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$")


def tool_versions() -> dict[str, str]:
    pairs = {}
    for line in (REPO / "deploy" / "validation-tools.env").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            pairs[name] = value
    return pairs


def hadolint() -> Path:
    path = REPO / ".venv" / "bin" / "hadolint"
    assert path.exists(), f"hadolint is missing: {INSTALL_HINT}"
    return path


def composecheck() -> Path:
    path = CACHE_DIR / "bin" / "composecheck"
    assert path.exists(), f"composecheck is missing: {INSTALL_HINT}"
    return path


def _module_dir(module: str, version: str) -> Path:
    return CACHE_DIR / "go" / "pkg" / "mod" / f"{module}@{version}"


def compose_spec_schema() -> dict[str, Any]:
    """The Compose Specification's JSON schema, from the compose-go version composecheck uses."""
    go_mod = (Path(__file__).parent / "composecheck" / "go.mod").read_text()
    version = re.search(r"github\.com/compose-spec/compose-go/v2 (v\S+)", go_mod)
    assert version, "tests/deploy/composecheck/go.mod does not require compose-go"
    path = _module_dir("github.com/compose-spec/compose-go/v2", version.group(1)) / "schema" / "compose-spec.json"
    assert path.exists(), f"{path} is missing: {INSTALL_HINT}"
    return json.loads(path.read_text())


def stack_schema(version: str) -> dict[str, Any]:
    """docker/cli's schema for a version-3 file, the one `docker stack deploy` applies."""
    tools = tool_versions()
    path = (_module_dir(tools["DOCKER_CLI_MODULE"], tools["DOCKER_CLI_VERSION"])
            / "cli" / "compose" / "schema" / "data" / f"config_schema_v{version}.json")
    assert path.exists(), f"{path} is missing: {INSTALL_HINT}"
    return json.loads(path.read_text())


@cache
def env_example_entries() -> dict[str, tuple[bool, str]]:
    """NAME -> (set, value) for every `NAME=value` or `# NAME=value` line of .env.example."""
    entries: dict[str, tuple[bool, str]] = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = _ENTRY.match(line)
        if match:
            name = match.group(2)
            assert name not in entries, f".env.example lists {name} twice"
            entries[name] = (match.group(1) is None, match.group(3))
    return entries


def compose_environment(**extra: str) -> dict[str, str]:
    """The variables Compose sees after `deploy/make-env.sh`: .env.example's set lines,
    empty secrets filled in."""
    env = {}
    for name, (is_set, value) in env_example_entries().items():
        if is_set:
            env[name] = value or (FAKE_SECRET if name.endswith("_PASSWORD") else "")
    env.update(extra)
    return env


def run_composecheck(path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Load a compose file as Docker Compose would, with exactly the variables in `env`."""
    return subprocess.run(
        [str(composecheck()), str(path)],
        env={"PATH": "/usr/bin:/bin", **env}, capture_output=True, text=True, timeout=60,
    )


def load_project(path: Path, env: dict[str, str]) -> dict[str, Any]:
    result = run_composecheck(path, env)
    assert result.returncode == 0, f"compose-go rejects {path.name}:\n{result.stderr}"
    return json.loads(result.stdout)


def raw_yaml(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


_REFERENCE = re.compile(r"\$(?:\{([^}]*)\}|([A-Za-z_][A-Za-z0-9_]*)|(\$))")


class InterpolationError(ValueError):
    pass


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's variable substitution over a parsed YAML document (strings only):
    ${V}, ${V:-default}, ${V-default}, ${V:?error}, ${V?error}, $V, and $$ for a literal $."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        if match.group(3):
            return "$"
        if match.group(2):
            return env.get(match.group(2), "")
        expr = match.group(1)
        for op in (":-", ":?", "-", "?"):
            name, sep, arg = expr.partition(op)
            if sep and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                current = env.get(name)
                missing = current is None or (op.startswith(":") and current == "")
                if op.endswith("-"):
                    return arg if missing else current  # type: ignore[return-value]
                if missing:
                    raise InterpolationError(f"{name}: {arg}")
                return current  # type: ignore[return-value]
        return env.get(expr, "")

    return _REFERENCE.sub(substitute, value)


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return [value] if isinstance(value, str) else []


def referenced_variables(path: Path) -> set[str]:
    """Every variable a compose file interpolates: references in its values, not in its
    comments; `$$` is an escaped dollar, not a reference."""
    names = set()
    for text in _strings(raw_yaml(path)):
        for braced, bare, _ in _REFERENCE.findall(text.replace("$$", "")):
            name = re.match(r"[A-Za-z_][A-Za-z0-9_]*", braced or bare)
            if name:
                names.add(name.group(0))
    return names
