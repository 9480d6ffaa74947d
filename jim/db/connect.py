"""Connections for the database tooling (the owner's DATABASE_URL, not a request role)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg.conninfo import conninfo_to_dict


def connect(url: str, *, autocommit: bool = False) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=autocommit, application_name="jim-cli")


def database_name(url: str) -> str:
    name = conninfo_to_dict(url).get("dbname")
    if not name:
        raise ValueError("DATABASE_URL names no database")
    return str(name)


def with_database(url: str, name: str) -> str:
    """The same server and credentials, another database (e.g. the `postgres` maintenance db)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


# yoyo keeps its bookkeeping tables here, out of the exposed schemas and the search_path.
MIGRATIONS_SCHEMA = "jim_migrations"


def yoyo_url(url: str) -> str:
    """yoyo selects its driver from the URL scheme (psycopg 3 is `postgresql+psycopg`) and
    its bookkeeping schema from the `schema` parameter (it also becomes the search_path
    while migrations run, so migrations schema-qualify every name)."""
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, f"schema={MIGRATIONS_SCHEMA}") if q)
    return urlunsplit(parts._replace(scheme="postgresql+psycopg", query=query))
