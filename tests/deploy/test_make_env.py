"""deploy/make-env.sh: a .env Compose accepts, with fresh, distinct, private secrets."""

from __future__ import annotations

import re
import stat
import subprocess
from pathlib import Path

from tests.deploy.support import COMPOSE_FILE, REPO, env_example_entries, run_composecheck

MAKE_ENV = REPO / "deploy" / "make-env.sh"


def make_env(out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(MAKE_ENV), str(out)], capture_output=True, text=True, timeout=30)


def parse(path: Path) -> dict[str, str]:
    pairs = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Z][A-Z0-9_]*)=(.*)$", line)
        if match:
            pairs[match.group(1)] = match.group(2)
    return pairs


def test_generated_env_satisfies_compose_with_fresh_private_secrets(tmp_path: Path) -> None:
    first, second = tmp_path / "a.env", tmp_path / "b.env"
    assert make_env(first).returncode == 0 and make_env(second).returncode == 0
    values, other = parse(first), parse(second)
    secrets = {name: value for name, value in values.items() if name.endswith("_PASSWORD")}
    expected = {name for name, (is_set, _) in env_example_entries().items() if is_set and name.endswith("_PASSWORD")}
    assert set(secrets) == expected
    assert all(re.fullmatch(r"[0-9a-f]{32}", value) for value in secrets.values())
    assert len(set(secrets.values())) == len(secrets)  # one secret per purpose
    assert not set(secrets.values()) & set(other.values())  # fresh on every run
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    # Everything but the secrets is .env.example, line for line.
    example = (REPO / ".env.example").read_text().splitlines()
    assert [line for line in first.read_text().splitlines() if not re.match(r"^[A-Z_]+_PASSWORD=", line)] == \
        [line for line in example if not re.match(r"^[A-Z_]+_PASSWORD=", line)]
    result = run_composecheck(COMPOSE_FILE, values)
    assert result.returncode == 0, result.stderr


def test_an_existing_env_is_never_overwritten(tmp_path: Path) -> None:
    out = tmp_path / ".env"
    out.write_text("POSTGRES_PASSWORD=keep-me\n")
    result = make_env(out)
    assert result.returncode == 1 and "exists" in result.stderr
    assert out.read_text() == "POSTGRES_PASSWORD=keep-me\n"
