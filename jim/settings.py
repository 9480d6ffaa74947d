"""Typed settings, read once per process from the environment (and `.env`).

Each process builds exactly one settings object at start through :func:`load`, which turns
a missing or malformed value into one message naming the variable, instead of a traceback
in the middle of a request. Components extend :class:`BaseJimSettings` with their own
fields (``proxy.settings``, ``worker.settings``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent

# Secrets that are fine on a developer's machine and must never reach production.
DEV_PASSWORDS = frozenset({"jim", "authenticator", "worker", "guest", "admin", "changeme", ""})


class SettingsError(SystemExit):
    """Raised (as a clean exit) when the environment does not describe a usable setup."""


# How every jim settings class reads its environment (and .env). env_ignore_empty: `NAME=`
# (as in .env.example's secrets) means "not set", as it does for ./dev's `${NAME:-default}`;
# an empty password would otherwise remove a role's password.
ENVIRONMENT = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore",
                                 env_ignore_empty=True)


class BaseJimSettings(BaseSettings):
    """Settings every jim process needs."""

    model_config = ENVIRONMENT

    jim_env: Literal["dev", "test", "production"] = "dev"
    database_url: str
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: str | None) -> str | None:
        if value is None:  # only where a subclass makes it optional (worker.settings.BrokerSettings)
            return value
        if not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a postgresql:// URL")
        return value

    @property
    def is_production(self) -> bool:
        return self.jim_env == "production"

    def refuse_dev_secret(self, name: str, value: str) -> None:
        """Fail when a well-known dev password is used in production."""
        if self.is_production and value in DEV_PASSWORDS:
            raise ValueError(f"{name.upper()} is a development placeholder; set a real secret")


class DbSettings(BaseJimSettings):
    """Settings of the `jim db` and `jim engine` commands."""

    authenticator_password: str = "authenticator"
    worker_password: str = "worker"

    def check(self) -> None:
        self.refuse_dev_secret("authenticator_password", self.authenticator_password)
        self.refuse_dev_secret("worker_password", self.worker_password)


S = TypeVar("S", bound=BaseJimSettings)


def load(cls: type[S]) -> S:
    """Build the settings object or exit with one line per bad variable."""
    try:
        settings = cls()  # type: ignore[call-arg]
        check = getattr(settings, "check", None)
        if callable(check):
            check()
        return settings
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = "_".join(str(part) for part in error["loc"]).upper() or "settings"
            lines.append(f"  {name}: {error['msg']}")
        raise SettingsError("jim: bad configuration\n" + "\n".join(lines)) from None
    except ValueError as exc:
        raise SettingsError(f"jim: bad configuration\n  {exc}") from None


def fail(message: str) -> None:
    print(message, file=sys.stderr)
    raise SystemExit(1)
