"""Scenarios: one folder each under bench/peers/scenarios/, holding scenario.toml and one
GraphQL document per dialect (jim.graphql for pg_graphql's, pg4.graphql, pg5.graphql).

Variables in scenario.toml may name fixture values as "{alice}", "{alice_workout}" ...;
they are filled from the dataset's fixtures (peerbench.dataset). "{position}" stands for the
per-request integer of a mutation.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from peerbench.wrk import POSITION_MARKER

SCENARIOS_DIR = Path(__file__).resolve().parent.parent / "scenarios"
ORDER = ("catalog", "member_workouts", "coach_athlete", "workout_by_id", "log_entry")


@dataclass(frozen=True)
class Normalise:
    json: tuple[str, ...] = ()
    enums: tuple[str, ...] = ()
    times: tuple[str, ...] = ()
    single: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    description: str
    user: str  # "anon" or a demo user name
    kind: str  # "read" or "mutation"
    cache: bool  # also measured through jim's response cache
    documents: dict[str, str]  # dialect -> GraphQL text
    variables: dict[str, Any]
    variables_by_system: dict[str, dict[str, Any]] = field(default_factory=dict)
    normalise: Normalise = Normalise()

    @property
    def is_read(self) -> bool:
        return self.kind == "read"

    def body(self, dialect: str, fixtures: dict[str, Any], *, position: int | None = None) -> str:
        """The JSON request body for one system; `position` None leaves the wrk marker in."""
        values = {**fixtures, "position": POSITION_MARKER if position is None else position}
        raw = {**self.variables, **self.variables_by_system.get(dialect, {})}
        variables = {name: _fill(value, values) for name, value in raw.items()}
        return json.dumps({"query": self.documents[dialect], "variables": variables})


def _fill(value: Any, values: dict[str, Any]) -> Any:
    # A whole-string placeholder keeps the fixture's type (an int stays an int).
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in values:
        return values[value[1:-1]]
    return value


def load(name: str, directory: Path = SCENARIOS_DIR) -> Scenario:
    folder = directory / name
    meta = tomllib.loads((folder / "scenario.toml").read_text())
    documents = {path.stem: path.read_text() for path in sorted(folder.glob("*.graphql"))}
    missing = {"jim", "pg4", "pg5"} - documents.keys()
    if missing:
        raise SystemExit(f"scenario {name}: missing documents for {', '.join(sorted(missing))}")
    norm = meta.get("normalise", {})
    return Scenario(
        name=name,
        title=meta["title"],
        description=meta["description"],
        user=meta["user"],
        kind=meta["kind"],
        cache=bool(meta.get("cache", False)),
        documents=documents,
        variables=meta.get("variables", {}),
        variables_by_system=meta.get("variables_by_system", {}),
        normalise=Normalise(**{key: tuple(value) for key, value in norm.items()}),
    )


def load_all(only: list[str] | None = None) -> list[Scenario]:
    names = [n for n in ORDER if not only or n in only]
    unknown = set(only or ()) - set(ORDER)
    if unknown:
        raise SystemExit(f"unknown scenario(s): {', '.join(sorted(unknown))} (known: {', '.join(ORDER)})")
    return [load(n) for n in names]
