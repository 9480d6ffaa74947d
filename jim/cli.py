"""The `jim` command. Each command group lives in its own module and is imported only when
used, so `jim db ...` does not pay for FastAPI and `jim worker ...` does not pay for the
engine. A group module exposes ``register(parser)``, which adds its subcommands and sets
``func`` on each; ``func(args)`` returns the exit status.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# group name -> (module, one-line help)
COMMAND_GROUPS: dict[str, tuple[str, str]] = {
    "db": ("jim.db.cli", "migrate, roll back, seed and reset the database"),
    "engine": ("jimgql.cli", "install the GraphQL engine into a database"),
    "proxy": ("proxy.cli", "run the HTTP proxy"),
    "token": ("proxy.token_cli", "print an access token for a dev user"),
    "queries": ("proxy.persisted_cli", "register persisted GraphQL operations"),
    "worker": ("worker.cli", "run the outbox relay and the task consumers"),
}


def build_parser(group: str | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jim", description="jim: schema-first backend tooling")
    sub = parser.add_subparsers(dest="group", metavar="COMMAND")
    for name, (module_name, help_text) in COMMAND_GROUPS.items():
        group_parser = sub.add_parser(name, help=help_text, description=help_text)
        if name == group:
            importlib.import_module(module_name).register(group_parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    group = argv[0] if argv and argv[0] in COMMAND_GROUPS else None
    parser = build_parser(group)
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.parse_args([*argv, "--help"])
        return 2
    return int(func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
