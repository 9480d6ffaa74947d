"""The deployment's shell scripts pass shellcheck."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.deploy.support import REPO

STANDALONE = sorted((REPO / "deploy").rglob("*.sh"))
# Sourced by ./dev: their variables and functions come from scripts/lib.sh.
SOURCED = [REPO / "scripts" / "services" / "nginx.sh", REPO / "scripts" / "services" / "deploy.sh"]


def shellcheck(*args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("shellcheck")
    assert binary, "shellcheck is missing: run ./dev install (scripts/services/deploy.sh installs it)"
    return subprocess.run([binary, "--format=gcc", *args], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("script", STANDALONE, ids=lambda p: str(p.relative_to(REPO)))
def test_standalone_scripts(script: Path) -> None:
    result = shellcheck(str(script))
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("script", SOURCED, ids=lambda p: p.name)
def test_service_scripts(script: Path) -> None:
    result = shellcheck("--shell=bash", "--exclude=SC2154", str(script))
    assert result.returncode == 0, result.stdout


def test_shellcheck_has_teeth(tmp_path: Path) -> None:
    bad = tmp_path / "bad.sh"
    bad.write_text('#!/bin/sh\nrm -rf $1/*\n')
    result = shellcheck(str(bad))
    assert result.returncode != 0 and "SC2086" in result.stdout
