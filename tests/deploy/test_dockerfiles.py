"""The Dockerfiles: hadolint finds nothing, and the properties the deployment relies on
hold (pinned bases, a non-root app user, the commands and files the compose files use)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.deploy.support import DOCKERFILES, REPO, hadolint, tool_versions

APP_DOCKERFILE = REPO / "deploy" / "app" / "Dockerfile"
DB_DOCKERFILE = REPO / "deploy" / "db" / "Dockerfile"


def lint(path: Path) -> list[dict]:
    result = subprocess.run(
        [str(hadolint()), "--no-color", "--format", "json", str(path)],
        capture_output=True, text=True, timeout=60, cwd=REPO,
    )
    assert result.stderr == "", result.stderr
    return json.loads(result.stdout or "[]")


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", path.read_text())
    pairs = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


def test_hadolint_is_the_pinned_version() -> None:
    result = subprocess.run([str(hadolint()), "--version"], capture_output=True, text=True, timeout=30)
    assert tool_versions()["HADOLINT_VERSION"] in result.stdout


def test_both_images_have_a_dockerfile() -> None:
    assert APP_DOCKERFILE in DOCKERFILES and DB_DOCKERFILE in DOCKERFILES


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.parent.name)
def test_hadolint_finds_nothing(dockerfile: Path) -> None:
    findings = lint(dockerfile)
    assert findings == [], "\n".join(f"{f['line']}: {f['code']} {f['message']}" for f in findings)


def test_hadolint_catches_what_we_avoid(tmp_path: Path) -> None:
    """The lint has teeth: unpinned base and packages, and a root final user, are reported."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM debian:latest\nRUN apt-get update && apt-get install -y curl\nUSER root\n")
    codes = {finding["code"] for finding in lint(bad)}
    assert {"DL3007", "DL3008", "DL3002"} <= codes


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.parent.name)
def test_every_base_image_is_pinned_to_a_tag(dockerfile: Path) -> None:
    for keyword, args in instructions(dockerfile):
        if keyword == "FROM":
            image = args.split()[0]
            assert ":" in image and not image.endswith(":latest"), f"{dockerfile}: unpinned base {image}"


def test_app_image_is_slim_python_311_on_bookworm_and_runs_as_a_numeric_non_root_user() -> None:
    steps = instructions(APP_DOCKERFILE)
    stages = [args.split() for keyword, args in steps if keyword == "FROM"]
    # The Python stages (build and runtime) share one base; the runtime stage is the last.
    python_bases = [stage[0] for stage in stages if stage[0].startswith("python:")]
    assert len(python_bases) == 2 and len(set(python_bases)) == 1, stages
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", python_bases[0])
    assert stages[-1][0] == python_bases[0] and len(stages[-1]) == 1, "the last stage is the runtime"
    final_stage = steps[max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM"):]
    users = [args for keyword, args in final_stage if keyword == "USER"]
    assert users, "the final stage never drops root"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) >= 1000, users[-1]
    # Root's files stay root's: nothing is chowned to the runtime user.
    assert not any("--chown" in args for keyword, args in final_stage if keyword == "COPY")


def test_app_image_entrypoint_and_default_command() -> None:
    steps = dict(instructions(APP_DOCKERFILE)[::-1])  # last occurrence wins
    assert json.loads(steps["ENTRYPOINT"]) == ["jim-entrypoint"]
    assert json.loads(steps["CMD"]) == ["jim", "proxy"]
    copied = " ".join(args for keyword, args in instructions(APP_DOCKERFILE) if keyword == "COPY")
    for package in ("jim", "jimgql", "proxy", "worker", "sql"):
        assert f"COPY {package} ./{package}" in APP_DOCKERFILE.read_text(), f"{package}/ is not in the image"
    assert "deploy/app/entrypoint.py /usr/local/bin/jim-entrypoint" in copied
    assert "deploy/app/healthcheck.py /usr/local/bin/jim-healthcheck" in copied


def test_db_image_adds_plpython_matching_the_server_version() -> None:
    text = DB_DOCKERFILE.read_text()
    assert re.search(r"^FROM postgres:15-bookworm$", text, re.M)
    assert '"postgresql-plpython3-${PG_MAJOR}=${PG_VERSION}"' in text
    assert "COPY --chmod=0755 deploy/db/initdb/ /docker-entrypoint-initdb.d/" in text


def test_dockerignore_keeps_local_state_and_secrets_out_of_the_build_context() -> None:
    ignored = set((REPO / ".dockerignore").read_text().split())
    assert {".git", ".venv", ".run", ".env", "**/__pycache__"} <= ignored


def test_graphiql_assets_in_the_image_are_the_ones_the_local_stack_serves() -> None:
    """The image fetches GraphiQL's bundle with npm; the versions must be the ones
    scripts/services/proxy.sh fetches (and the proxy is tested with)."""
    local = (REPO / "scripts" / "services" / "proxy.sh").read_text()
    pinned = dict(re.findall(r'^\s*"(react|react-dom|graphiql) (\S+) ', local, re.M))
    assert set(pinned) == {"react", "react-dom", "graphiql"}
    npm_pack = next(args for keyword, args in instructions(APP_DOCKERFILE)
                    if keyword == "RUN" and "npm pack" in args)
    for name, version in pinned.items():
        assert f" {name}@{version}" in npm_pack, f"image fetches another {name} than {version}"
    assert "GRAPHIQL_ASSETS_DIR=/opt/jim/graphiql" in APP_DOCKERFILE.read_text()
