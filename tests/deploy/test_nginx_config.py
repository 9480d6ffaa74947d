"""The nginx template: `nginx -t` accepts it as the local stack, the tests, Compose and
Swarm render it; the renderer refuses values that would change the config's meaning."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from tests.deploy.nginx import config_test, render
from tests.deploy.support import (
    COMPOSE_FILE,
    NGINX_TEMPLATE,
    REPO,
    STACK_FILE,
    SWARM_ENV,
    compose_environment,
    load_project,
)


def _renderer():
    spec = importlib.util.spec_from_file_location("jim_nginx_render", REPO / "deploy" / "nginx" / "render.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RENDERER = _renderer()


def test_local_defaults_pass_nginx_t(tmp_path: Path) -> None:
    assert render(tmp_path).returncode == 0
    result = config_test(tmp_path / "nginx.conf", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr


def test_nginx_t_rejects_a_broken_template(tmp_path: Path) -> None:
    """The check has teeth: a config nginx cannot load fails `nginx -t`."""
    broken = tmp_path / "broken.template"
    broken.write_text(NGINX_TEMPLATE.read_text().replace("gzip_vary on;", "gzip_vary sometimes;"))
    out = tmp_path / "nginx.conf"
    values = RENDERER.resolve_values({}, {}, str(tmp_path))
    out.write_text(RENDERER.render(broken.read_text(), values))
    result = config_test(out, tmp_path)
    assert result.returncode != 0
    assert "gzip_vary" in result.stderr


@pytest.mark.parametrize("compose_file", [COMPOSE_FILE, STACK_FILE], ids=["compose", "swarm"])
def test_container_environment_renders_a_valid_config(compose_file: Path, tmp_path: Path) -> None:
    """Render exactly as the nginx image's envsubst would with the service's environment
    (the proxy's service name swapped for a loopback address, which `nginx -t` can resolve
    here), then `nginx -t` it."""
    project = load_project(compose_file, compose_environment(**SWARM_ENV))
    env = project["services"]["nginx"]["environment"]
    assert env["NGINX_ENVSUBST_FILTER"] == "^JIM_NGINX_"
    template = NGINX_TEMPLATE.read_text()
    placeholders = set(re.findall(r"\$\{(JIM_NGINX_[A-Z0-9_]+)\}", template))
    missing = placeholders - set(env)
    assert not missing, f"{compose_file.name}: nginx service does not set {sorted(missing)}"
    assert env["JIM_NGINX_UPSTREAM"] == "proxy:8000"
    values = {name: env[name] for name in placeholders}
    values["JIM_NGINX_RUN_DIR"] = str(tmp_path)
    values["JIM_NGINX_UPSTREAM"] = "127.0.0.1:8000"
    # The renderer's checks accept what the container gets.
    checked = RENDERER.resolve_values({}, values)
    conf = tmp_path / "nginx.conf"
    conf.write_text(RENDERER.render(template, checked))
    result = config_test(conf, tmp_path)
    assert result.returncode == 0, result.stderr
    # The image's envsubst substitutes only these names; nginx's own variables stay.
    assert "$request_id" in conf.read_text() and "$jim_request_id" in conf.read_text()


def test_template_placeholders_are_exactly_the_renderer_settings() -> None:
    placeholders = set(re.findall(r"\$\{([A-Z0-9_]+)\}", NGINX_TEMPLATE.read_text()))
    assert placeholders == set(RENDERER.CHECKS)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("JIM_NGINX_UPSTREAM", "127.0.0.1:8000; include /etc/passwd"),
        ("JIM_NGINX_UPSTREAM", "127.0.0.1"),
        ("JIM_NGINX_UPSTREAM", "127.0.0.1:70000"),
        ("JIM_NGINX_PORT", "0"),
        ("JIM_NGINX_PORT", "80 ssl"),
        ("JIM_NGINX_RATE", "lots"),
        ("JIM_NGINX_RATE", "0r/s"),
        ("JIM_NGINX_BURST", "-1"),
        ("JIM_NGINX_MAX_BODY", "1g; client_max_body_size 0"),
        ("JIM_NGINX_RUN_DIR", "relative/path"),
        ("JIM_NGINX_ACCESS_LOG", "/tmp/a log"),
    ],
)
def test_renderer_refuses_bad_values_naming_them(name: str, value: str) -> None:
    with pytest.raises(RENDERER.RenderError, match=f"^{name}: "):
        RENDERER.resolve_values({}, {"JIM_NGINX_RUN_DIR": "/srv/nginx", name: value})


def test_render_command_fails_cleanly_and_writes_nothing(tmp_path: Path) -> None:
    result = render(tmp_path, JIM_NGINX_UPSTREAM="proxy:8000;")
    assert result.returncode == 2
    assert result.stderr.startswith("render.py: JIM_NGINX_UPSTREAM: 'proxy:8000;' is not HOST:PORT")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "nginx.conf").exists()


def test_renderer_refuses_unknown_settings_and_missing_values(tmp_path: Path) -> None:
    result = render(tmp_path, JIM_NGINX_TYPO="1")
    assert result.returncode == 2 and "JIM_NGINX_TYPO: not a setting" in result.stderr
    with pytest.raises(RENDERER.RenderError, match="no value for .*JIM_NGINX_RUN_DIR"):
        RENDERER.render(NGINX_TEMPLATE.read_text(), RENDERER.resolve_values({}, {}))


def test_renderer_applies_defaults_environment_then_overrides() -> None:
    values = RENDERER.resolve_values(
        {"JIM_NGINX_RATE": "5r/s", "JIM_NGINX_PORT": "9000", "UNRELATED": "x"},
        {"JIM_NGINX_PORT": "9100"},
        "/srv/nginx",
    )
    assert values["JIM_NGINX_RATE"] == "5r/s"  # environment over default
    assert values["JIM_NGINX_PORT"] == "9100"  # override over environment
    assert values["JIM_NGINX_BURST"] == RENDERER.DEFAULTS["JIM_NGINX_BURST"]
    assert values["JIM_NGINX_ACCESS_LOG"] == "/srv/nginx/access.log"
    assert "UNRELATED" not in values
