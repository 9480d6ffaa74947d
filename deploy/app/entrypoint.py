#!/usr/bin/env python3
"""Entrypoint of jim's app image: load secrets from files, then exec the command.

Docker Swarm hands secrets to a container as files under /run/secrets, while jim's settings
read environment variables. Two conventions bridge them, as the official postgres image
does:

- ``NAME_FILE=/run/secrets/x`` sets ``NAME`` to the file's content (trailing newline
  removed). Setting both ``NAME`` and ``NAME_FILE`` is an error: which one wins would be a
  guess.
- ``${NAME}`` inside another variable's value is replaced by ``NAME``'s value, so a
  connection string can carry a secret without the secret being written into the stack
  file: ``DATABASE_URL=postgresql://authenticator:$${AUTHENTICATOR_PASSWORD}@db:5432/jim``
  (``$$`` keeps Compose from interpolating it). Inside a URL the value is percent-encoded,
  so any password works. A reference to an unset variable stops the container with a
  message naming it instead of connecting with a wrong password.

Nothing is printed about the values.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import MutableMapping
from urllib.parse import quote

REFERENCE = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")
FILE_SUFFIX = "_FILE"
NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


class EntrypointError(Exception):
    pass


def load_secret_files(env: MutableMapping[str, str]) -> list[str]:
    """Turn every NAME_FILE into NAME; return the names loaded."""
    loaded = []
    for key in sorted(env):
        if not key.endswith(FILE_SUFFIX) or not NAME.match(key[: -len(FILE_SUFFIX)]):
            continue
        name = key[: -len(FILE_SUFFIX)]
        if env.get(name):
            raise EntrypointError(f"both {name} and {key} are set; set only one")
        try:
            with open(env[key], encoding="utf-8") as handle:
                value = handle.read().rstrip("\r\n")
        except OSError as exc:
            raise EntrypointError(f"{key}: cannot read {env[key]} ({exc.strerror})") from None
        if not value:
            raise EntrypointError(f"{key}: {env[key]} is empty")
        env[name] = value
        del env[key]
        loaded.append(name)
    return loaded


def expand_references(env: MutableMapping[str, str]) -> None:
    """Replace ${NAME} in every value by NAME's value (percent-encoded inside URLs)."""
    originals = dict(env)
    for key, value in originals.items():
        if "${" not in value:
            continue
        in_url = "://" in value

        def substitute(match: re.Match[str], key: str = key, in_url: bool = in_url) -> str:
            name = match.group(1)
            if name not in originals:
                raise EntrypointError(f"{key} refers to ${{{name}}}, which is not set (nor {name}_FILE)")
            return quote(originals[name], safe="") if in_url else originals[name]

        env[key] = REFERENCE.sub(substitute, value)


def main(argv: list[str]) -> int:
    if not argv:
        print("jim-entrypoint: no command given", file=sys.stderr)
        return 2
    env = dict(os.environ)
    try:
        load_secret_files(env)
        expand_references(env)
    except EntrypointError as exc:
        print(f"jim-entrypoint: {exc}", file=sys.stderr)
        return 2
    try:
        os.execvpe(argv[0], argv, env)
    except OSError as exc:
        print(f"jim-entrypoint: cannot run {argv[0]}: {exc.strerror}", file=sys.stderr)
        return 127


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
