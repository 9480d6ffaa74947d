"""The whole path: a member logs a better set; the capture trigger writes the event, the
relay publishes it, the consumer recomputes the personal record and the weekly summary;
the member reads both through jim's GraphQL engine (graphql.resolve) under RLS."""

from __future__ import annotations

import json

import psycopg
import pytest

from tests.support import BOB, Actor, act_as, user_claims
from tests.worker.support import wait_until

pytestmark = pytest.mark.usefixtures("quiet_outbox")

QUERY = """
query {
  personalRecordCollection(filter: {metric: {eq: "weight_kg"}}) {
    edges { node { value entryId exercise { name } } }
  }
  weeklySummaryCollection { edges { node { workouts entries volumeKg } } }
}
"""


def resolve(database_url: str, actor: Actor) -> dict:
    with psycopg.connect(database_url) as conn:
        act_as(conn, actor)
        result = conn.execute("select graphql.resolve(%s)", (QUERY,)).fetchone()[0]
        conn.rollback()
    assert "errors" not in result, result
    return result["data"]


def record(data: dict) -> tuple[float, str] | None:
    edges = data["personalRecordCollection"]["edges"]
    if not edges:
        return None
    node = edges[0]["node"]
    return float(node["value"]), node["exercise"]["name"]


def log_set(database_url: str, actor: Actor, workout_id: int, position: int, weight: float) -> int:
    """As the member (through RLS, like the proxy would), in a committed transaction."""
    with psycopg.connect(database_url) as conn:
        act_as(conn, actor)
        entry_id = conn.execute(
            "insert into app.workout_entry (workout_id, exercise_id, position, metrics) values"
            " (%s, (select id from app.exercise where name = 'Deadlift' and owner_id is null), %s, %s)"
            " returning id", (workout_id, position, json.dumps({"reps": 3, "weight_kg": weight}))).fetchone()[0]
    return entry_id


def test_a_better_set_becomes_the_personal_record_readable_through_graphql(
        database_url, workers, member):
    me = Actor("member", "authenticated", user_claims(member, "wt", "member"))
    workers.start("relay")
    workers.start("consume")
    with psycopg.connect(database_url) as conn:
        act_as(conn, me)
        workout_id = conn.execute("insert into app.workout (title) values ('Pulls') returning id").fetchone()[0]
    log_set(database_url, me, workout_id, 0, 140)
    wait_until(lambda: record(resolve(database_url, me)) == (140.0, "Deadlift"), 30, "the first record")

    better = log_set(database_url, me, workout_id, 1, 150)
    data = wait_until(lambda: (d := resolve(database_url, me)) and record(d) == (150.0, "Deadlift") and d,
                      30, "the better record through GraphQL")
    assert data["personalRecordCollection"]["edges"][0]["node"]["entryId"] == str(better)
    wait_until(lambda: summary(resolve(database_url, me)) == [(1, 2, 3 * 140 + 3 * 150)], 30,
               "the weekly summary through GraphQL")
    # Another member sees neither.
    other = resolve(database_url, BOB)
    assert str(better) not in [e["node"]["entryId"] for e in other["personalRecordCollection"]["edges"]]
    assert (1, 2, 870.0) not in summary(other)


def summary(data: dict) -> list[tuple[int, int, float]]:
    return [(n["workouts"], n["entries"], float(n["volumeKg"]))
            for n in (e["node"] for e in data["weeklySummaryCollection"]["edges"])]
