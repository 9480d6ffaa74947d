"""Settings are read once, and a missing or bad value fails at start naming the variable;
the `jim` command's db group works end to end."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from jim.db.migrate import new_migration
from jim.settings import DbSettings, SettingsError, load


def run_jim(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jim.cli", *args], capture_output=True, text=True,
                          env=env, cwd="/", timeout=120)


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "JIM_ENV", "AUTHENTICATOR_PASSWORD", "WORKER_PASSWORD")}
    env.update(extra)
    return env


def test_missing_database_url_names_the_variable(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir("/")  # no .env here
    with pytest.raises(SettingsError) as caught:
        load(DbSettings)
    assert "DATABASE_URL" in str(caught.value)


def test_bad_values_name_the_variable(monkeypatch):
    monkeypatch.chdir("/")
    monkeypatch.setenv("DATABASE_URL", "mysql://nope")
    monkeypatch.setenv("JIM_ENV", "staging")
    with pytest.raises(SettingsError) as caught:
        load(DbSettings)
    message = str(caught.value)
    assert "DATABASE_URL" in message and "JIM_ENV" in message


def test_production_refuses_dev_passwords(monkeypatch):
    monkeypatch.chdir("/")
    monkeypatch.setenv("DATABASE_URL", "postgresql://owner:s3cret-Long@db/jim")
    monkeypatch.setenv("JIM_ENV", "production")
    monkeypatch.setenv("AUTHENTICATOR_PASSWORD", "authenticator")
    monkeypatch.setenv("WORKER_PASSWORD", "a-real-one")
    with pytest.raises(SettingsError) as caught:
        load(DbSettings)
    assert "AUTHENTICATOR_PASSWORD" in str(caught.value)
    monkeypatch.setenv("AUTHENTICATOR_PASSWORD", "another-real-one")
    assert load(DbSettings).is_production


def test_empty_values_count_as_unset(monkeypatch, tmp_path):
    """`cp .env.example .env` leaves `AUTHENTICATOR_PASSWORD=` lines: they must mean "the
    default" (as in ./dev), never an empty password, which PostgreSQL takes as no password."""
    (tmp_path / ".env").write_text("AUTHENTICATOR_PASSWORD=\nWORKER_PASSWORD=\n")
    monkeypatch.chdir(tmp_path)
    for name in ("AUTHENTICATOR_PASSWORD", "WORKER_PASSWORD", "JIM_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://jim:jim@127.0.0.1/jim")
    settings = load(DbSettings)
    assert (settings.authenticator_password, settings.worker_password) == ("authenticator", "worker")
    monkeypatch.setenv("JIM_ENV", "production")  # and in production an unset secret is refused
    with pytest.raises(SettingsError) as caught:
        load(DbSettings)
    assert "AUTHENTICATOR_PASSWORD" in str(caught.value)


def test_cli_reports_bad_configuration_without_a_traceback():
    result = run_jim("db", "status", env=clean_env())
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr and "Traceback" not in result.stderr


def test_cli_status_lists_applied_migrations(database_url):
    result = run_jim("db", "status", env=clean_env(DATABASE_URL=database_url))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines and all(line.startswith("applied ") for line in lines)
    assert any("0002_training_log" in line for line in lines)


def test_new_migration_numbers_and_pairs_files(tmp_path):
    (tmp_path / "0007_existing.sql").write_text("")
    forward, backward = new_migration("add_rating", directory=tmp_path)
    assert forward.name == "0008_add_rating.sql" and backward.name == "0008_add_rating.rollback.sql"
    assert forward.exists() and backward.exists()
    with pytest.raises(ValueError):
        new_migration("Bad Name", directory=tmp_path)
