"""`jim db ...`: migrate, rollback, status, new, seed, reset."""

from __future__ import annotations

import argparse

from jim.db import migrate as migrations
from jim.db import seed as seeds
from jim.db.connect import connect, database_name, with_database
from jim.settings import DbSettings, load


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("migrate", help="apply pending migrations, then re-apply sql/functions/")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("rollback", help="roll back the last migration (or all of them)")
    p.add_argument("--all", action="store_true", dest="everything", help="roll back every migration")
    p.set_defaults(func=cmd_rollback)

    p = sub.add_parser("status", help="list migrations, applied or pending")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("new", help="create a migration and its rollback file")
    p.add_argument("name", help="snake_case name, e.g. add_workout_rating")
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("seed", help="load the demo data (idempotent), or a large generated set")
    p.add_argument("--scale", type=int, metavar="N", help="generate N members with ~200 workouts each")
    p.set_defaults(func=cmd_seed)

    p = sub.add_parser("reset", help="drop the database, migrate and seed it")
    p.set_defaults(func=cmd_reset)


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = load(DbSettings)
    applied, functions = migrations.migrate(settings)
    print(f"applied {len(applied)} migration(s){': ' + ', '.join(applied) if applied else ''}")
    print(f"re-applied {len(functions)} function file(s)")
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    settings = load(DbSettings)
    rolled_back = migrations.rollback(settings, everything=args.everything)
    print(f"rolled back {len(rolled_back)} migration(s){': ' + ', '.join(rolled_back) if rolled_back else ''}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    settings = load(DbSettings)
    for state in migrations.status(settings):
        print(f"{'applied' if state.applied else 'pending'}  {state.id}")
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    forward, backward = migrations.new_migration(args.name)
    print(forward)
    print(backward)
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    settings = load(DbSettings)
    if args.scale is not None:
        if args.scale < 1:
            print("jim: --scale takes a positive number of members")
            return 2
        seeds.seed_scale(settings.database_url, args.scale)
    else:
        seeds.seed_demo(settings.database_url)
    return 0


def cmd_reset(args: argparse.Namespace) -> int:
    settings = load(DbSettings)
    name = database_name(settings.database_url)
    from psycopg import sql

    with connect(with_database(settings.database_url, "postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    print(f"recreated database {name}")
    cmd_migrate(args)
    seeds.seed_demo(settings.database_url)
    return 0
