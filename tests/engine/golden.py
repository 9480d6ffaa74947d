"""Golden cases: GraphQL in, JSON out (and the compiled SQL beside it where useful).

Each ``golden/*.yaml`` file holds ``cases``; a case has ``query`` and ``expected`` and may
have ``variables``, ``operationName``, ``setup`` (SQL run first, in the same rolled-back
transaction), ``role`` (``set local role``), ``search_path``, ``claims`` and ``sql: true``
(store the compiled statements under ``compiled``).

Regenerate with ``JIMGQL_UPDATE_GOLDEN=1 pytest tests/engine/test_golden.py`` and review the
diff before committing: the files are the behaviour we promise.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import psycopg
import yaml

from jimgql import reflect
from jimgql.compile import document
from jimgql.compile.planner import compile_operation
from jimgql.schema.builder import build

GOLDEN_DIR = Path(__file__).parent / "golden"
UPDATE = os.environ.get("JIMGQL_UPDATE_GOLDEN") == "1"


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> Any:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def load(path: Path) -> list[dict[str, Any]]:
    return yaml.safe_load(path.read_text())["cases"]


def save(path: Path, cases: list[dict[str, Any]]) -> None:
    header = []
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            break
        header.append(line)
    body = yaml.dump({"cases": cases}, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     width=100)
    path.write_text("\n".join(header) + ("\n" if header else "") + body)


def prepare(conn: psycopg.Connection, case: dict[str, Any]) -> None:
    if case.get("setup"):
        conn.execute(case["setup"])
    if case.get("search_path"):
        conn.execute("select set_config('search_path', %s, true)", (case["search_path"],))
    if case.get("claims") is not None:
        conn.execute("select set_config('request.jwt.claims', %s, true)", (json.dumps(case["claims"]),))
    if case.get("role"):
        conn.execute("select set_config('role', %s, true)", (case["role"],))


def resolve(conn: psycopg.Connection, case: dict[str, Any]) -> Any:
    row = conn.execute(
        "select graphql.resolve(%s, %s::jsonb, %s)",
        (case["query"], json.dumps(case.get("variables", {})), case.get("operationName")),
    ).fetchone()
    assert row is not None
    return row[0]


def compiled_sql(conn: psycopg.Connection, case: dict[str, Any]) -> str:
    """The statements the compiler produces for this case (compiled here, in Python, from the
    same catalog the server sees in this transaction)."""
    catalog = reflect.load(conn.execute("select graphql._catalog()").fetchone()[0])
    schema = build(catalog)
    doc = document.load(case["query"], case.get("operationName"))
    plan = compile_operation(schema, doc, case.get("variables", {}))
    out = []
    for step in plan.steps:
        if step.sql is None:
            continue
        params = ", ".join(json.dumps(p) for p in step.bind(case.get("variables", {})))
        out.append(f"-- {step.alias}\n{step.sql};\n-- params: [{params}]")
    return "\n".join(out) + "\n"
