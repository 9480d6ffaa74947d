"""``jim engine ...``: install the GraphQL engine into a database and report its state."""

from __future__ import annotations

import argparse

import psycopg

from jimgql import install


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    p = sub.add_parser("install", help="install or upgrade the engine (idempotent)")
    p.add_argument("--dsn", help="database URL (default: DATABASE_URL)")
    p.set_defaults(func=cmd_install)
    p = sub.add_parser("status", help="show the installed engine version and whether it is current")
    p.add_argument("--dsn", help="database URL (default: DATABASE_URL)")
    p.set_defaults(func=cmd_status)


def _dsn(args: argparse.Namespace) -> str:
    if args.dsn:
        return args.dsn
    from jim.settings import DbSettings, load  # noqa: PLC0415 - only when no --dsn

    return load(DbSettings).database_url


def cmd_install(args: argparse.Namespace) -> int:
    try:
        with psycopg.connect(_dsn(args), autocommit=True) as conn:
            result = install.install_into(conn)
    except psycopg.Error as exc:
        print(f"jim engine install: {exc.diag.message_primary or exc}")
        return 1
    print(f"jimgql {result.version}: {result.message}" if result.version else result.message)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    with psycopg.connect(_dsn(args), autocommit=True) as conn:
        state = install.status(conn)
    for key, value in state.items():
        print(f"{key}: {value}")
    return 0
