"""`.env.example` lists every environment variable jim reads, and nothing else.

The list of what is read is derived, not written down, so it follows the code as the other
components grow:
- every pydantic-settings class in jim's packages (field names, prefixes and aliases);
- every direct `os.environ` / `os.getenv` read of a constant name in those packages;
- the variables ./dev's shell scripts take from the environment (`${NAME:-default}` forms);
- the nginx renderer's settings;
- every variable docker-compose.yml and the Swarm stack file interpolate.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re
from pathlib import Path

from pydantic import AliasChoices, AliasPath
from pydantic_settings import BaseSettings

from tests.deploy.support import (
    COMPOSE_FILE,
    REPO,
    STACK_FILE,
    env_example_entries,
    referenced_variables,
)

PACKAGES = ("jim", "proxy", "worker", "jimgql")
SHELL_SCRIPTS = [REPO / "dev", *sorted((REPO / "scripts").rglob("*.sh"))]
# The environment every Unix process has; the scripts read them but they are not jim's settings.
SYSTEM_VARIABLES = {"HOME", "PATH", "USER", "SHELL", "TMPDIR", "XDG_CACHE_HOME", "JAVA_HOME", "CI"}


def python_files() -> list[Path]:
    return [path for package in PACKAGES for path in sorted((REPO / package).rglob("*.py"))]


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(REPO).with_suffix("").parts)


def settings_classes() -> list[type[BaseSettings]]:
    """Every BaseSettings subclass defined in jim's packages (only their modules are imported)."""
    found = []
    for path in python_files():
        tree = ast.parse(path.read_text(), str(path))
        names = [node.name for node in ast.walk(tree) if isinstance(node, ast.ClassDef)
                 and any("Settings" in ast.unparse(base) for base in node.bases)]
        if not names:
            continue
        module = importlib.import_module(_module_name(path))
        for name in names:
            cls = getattr(module, name)
            if isinstance(cls, type) and issubclass(cls, BaseSettings):
                found.append(cls)
    return found


def settings_variables(cls: type[BaseSettings]) -> set[str]:
    config = cls.model_config
    prefix = config.get("env_prefix") or ""
    names = set()
    for field_name, field in cls.model_fields.items():
        alias = field.validation_alias or field.alias
        if isinstance(alias, str):
            candidates = [alias]
        elif isinstance(alias, AliasChoices):
            candidates = [choice for choice in alias.choices if isinstance(choice, str)]
        elif isinstance(alias, AliasPath):
            candidates = [str(alias.path[0])]
        else:
            candidates = [prefix + field_name]
        names.update(candidates if config.get("case_sensitive") else (c.upper() for c in candidates))
    return names


def direct_environment_reads() -> set[str]:
    """Names read with os.environ.get("X"), os.getenv("X") or os.environ["X"]."""
    names = set()
    for path in python_files():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            target = None
            if isinstance(node, ast.Call) and node.args:
                func = ast.unparse(node.func)
                if func in ("os.environ.get", "os.getenv", "environ.get", "getenv", "os.environ.setdefault"):
                    target = node.args[0]
            elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
                if ast.unparse(node.value) in ("os.environ", "environ"):
                    target = node.slice
            if isinstance(target, ast.Constant) and isinstance(target.value, str):
                names.add(target.value)
    return names


def shell_variables() -> set[str]:
    """Variables the scripts take from the environment: ${NAME:-x}, ${NAME-x}, ${NAME:=x},
    ${NAME:?x} (a plain $NAME is the script's own variable)."""
    pattern = re.compile(r"\$\{([A-Z][A-Z0-9_]*)(?::?[-=?])")
    names = set()
    for script in SHELL_SCRIPTS:
        names.update(pattern.findall(script.read_text()))
    return names - SYSTEM_VARIABLES


def renderer_variables() -> set[str]:
    spec = importlib.util.spec_from_file_location("jim_nginx_render", REPO / "deploy" / "nginx" / "render.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return set(module.CHECKS)


def variables_read() -> dict[str, set[str]]:
    return {
        "settings classes": set().union(*(settings_variables(cls) for cls in settings_classes())),
        "os.environ reads": direct_environment_reads(),
        "./dev scripts": shell_variables(),
        "nginx renderer": renderer_variables(),
        "docker-compose.yml": referenced_variables(COMPOSE_FILE),
        "Swarm stack file": referenced_variables(STACK_FILE),
    }


def test_the_derivation_finds_what_is_known_to_be_read() -> None:
    """Guard against a scan that silently finds nothing."""
    read = variables_read()
    assert {"DATABASE_URL", "JIM_ENV", "LOG_LEVEL", "AUTHENTICATOR_PASSWORD"} <= read["settings classes"]
    assert {"KEYCLOAK_URL", "JWT_AUDIENCE", "PROXY_KEEPALIVE_SECONDS"} <= read["settings classes"]
    assert {"PGPORT", "REDIS_URL", "JIM_CACHE_DIR"} <= read["./dev scripts"]
    assert {"POSTGRES_PASSWORD", "JIM_IMAGE_TAG"} <= read["docker-compose.yml"]
    assert {"JIM_REGISTRY", "PROXY_REPLICAS"} <= read["Swarm stack file"]
    assert "AUTHENTICATOR_PASSWORD" not in read["Swarm stack file"], "$$ escapes are not references"


def test_every_variable_read_is_listed_in_env_example() -> None:
    listed = set(env_example_entries())
    missing = {source: sorted(names - listed) for source, names in variables_read().items() if names - listed}
    assert not missing, f".env.example does not list: {missing}"


def test_env_example_lists_nothing_that_is_not_read() -> None:
    read = set().union(*variables_read().values())
    stale = sorted(set(env_example_entries()) - read)
    assert not stale, f".env.example lists variables nothing reads: {stale}"


def test_env_example_commits_no_secret() -> None:
    for name, (_, value) in env_example_entries().items():
        if name.endswith("_PASSWORD"):
            assert value == "", f"{name} has a value in .env.example"


def test_env_example_leaves_the_local_stack_in_dev_mode() -> None:
    """`./dev` sources .env: a copy of the example must not switch the local stack to
    production or point it at another database."""
    entries = env_example_entries()
    for name in ("JIM_ENV", "DATABASE_URL", "LOG_LEVEL"):
        is_set, _ = entries[name]
        assert not is_set, f"{name} is set in .env.example"
