"""The peer benchmark's answer checks (bench/peers/peerbench): pure code, no services.

These decide whether a system is timed or refused, so they must forgive exactly the
dialect differences (edges/nodes, JSON as text or value, enum case, timestamp precision,
BigInt as string) and nothing else.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "peers"))

from peerbench import ceiling, checks, scenarios, wrk  # noqa: E402
from peerbench.canonical import canonical, first_difference  # noqa: E402
from peerbench.scenarios import Normalise  # noqa: E402

RULES = Normalise(json=("data",), enums=("visibility",), times=("startedAt",), single=("workout",))

JIM = {"workout": {"rows": [{"node": {
    "id": "12", "visibility": "coach", "startedAt": "2026-11-27T09:00:00+00:00",
    "data": '{"sleep_h": 8.0, "location": "home"}', "position": 0}}]}}
PG4 = {"workout": {
    "id": "12", "visibility": "COACH", "startedAt": "2026-11-27T09:00:00+00:00",
    "data": '{"sleep_h":8,"location":"home"}', "position": 0}}
PG5 = {"workout": {
    "id": "12", "visibility": "coach", "startedAt": "2026-11-27T09:00:00.000000+00:00",
    "data": {"sleep_h": 8, "location": "home"}, "position": 0}}


def test_the_three_dialects_normalise_to_one_answer() -> None:
    assert canonical(JIM, RULES) == canonical(PG4, RULES) == canonical(PG5, RULES)


@pytest.mark.parametrize(
    ("field", "value"),
    [("id", "13"), ("visibility", "PUBLIC"), ("startedAt", "2026-11-27T09:00:01+00:00"),
     ("data", '{"sleep_h": 8.5, "location": "home"}'), ("position", 1)],
)
def test_a_different_value_is_a_different_answer(field: str, value: object) -> None:
    other = json.loads(json.dumps(PG4))
    other["workout"][field] = value
    assert canonical(other, RULES) != canonical(JIM, RULES)
    assert field in (first_difference(canonical(JIM, RULES), canonical(other, RULES)) or "")


def test_a_missing_row_or_a_different_order_is_a_different_answer() -> None:
    rules = Normalise()
    a = {"rows": [{"node": {"id": "1"}}, {"node": {"id": "2"}}]}
    assert canonical(a, rules) != canonical({"rows": [{"id": "2"}, {"id": "1"}]}, rules)
    assert first_difference(canonical(a, rules), canonical({"rows": [{"id": "1"}]}, rules)) == "$.rows: 2 rows vs 1 rows"


def test_more_than_one_row_where_one_is_expected_is_refused() -> None:
    two = {"workout": {"rows": [{"node": {"id": "1"}}, {"node": {"id": "2"}}]}}
    with pytest.raises(ValueError, match="at most one row"):
        canonical(two, RULES)


def test_the_system_that_differs_from_the_majority_is_refused() -> None:
    wrong = json.loads(json.dumps(PG5))
    wrong["workout"]["data"]["sleep_h"] = 9
    verdicts = checks.agree({"jim": JIM, "pg4": PG4, "pg5": wrong}, RULES, tie_breaker="ceiling")
    assert verdicts["jim"].ok and verdicts["pg4"].ok
    assert not verdicts["pg5"].ok
    assert "sleep_h" in verdicts["pg5"].note


def test_two_systems_that_disagree_are_both_refused_without_a_tie_breaker() -> None:
    wrong = json.loads(json.dumps(PG4))
    wrong["workout"]["id"] = "99"
    verdicts = checks.agree({"jim": JIM, "pg4": wrong}, RULES, tie_breaker="ceiling")
    assert not verdicts["jim"].ok and not verdicts["pg4"].ok


def test_a_mutation_must_echo_the_row_it_was_asked_to_write() -> None:
    rules = Normalise(json=("metrics",), single=("logged",))
    expected = {"logged": {"rows": [{"workoutId": "7", "position": 0, "metrics": '{"reps": 5}'}]}}
    good = {"logged": {"rows": {"workoutId": "7", "position": 0, "metrics": {"reps": 5}}}}
    bad = {"logged": {"rows": {"workoutId": "7", "position": 0, "metrics": {"reps": 6}}}}
    assert checks.expected_mutation(good, rules, expected).ok
    assert not checks.expected_mutation(bad, rules, expected).ok


def test_graphql_errors_and_http_errors_are_failures() -> None:
    assert checks.graphql_data(200, {"data": {"x": 1}}) == ({"x": 1}, None)
    assert checks.graphql_data(200, {"data": None, "errors": [{"message": "boom"}]})[1] == "GraphQL errors: boom"
    assert checks.graphql_data(503, {"errors": []})[1].startswith("HTTP 503")


def test_every_scenario_has_a_document_per_dialect_and_fills_its_variables() -> None:
    fixtures = {"alice": "a11ce000-0000-4000-8000-000000000001", "alice_workout": "12",
                "squat": "1", "mutation_workout": "7"}
    loaded = scenarios.load_all()
    assert [s.name for s in loaded] == list(scenarios.ORDER)
    for scenario in loaded:
        for dialect in ("jim", "pg4", "pg5"):
            body = json.loads(scenario.body(dialect, fixtures, position=3))
            placeholders = [v for v in body["variables"].values()
                            if isinstance(v, str) and re.fullmatch(r"\{[a-z_]+\}", v)]
            assert placeholders == [], (scenario.name, dialect, placeholders)
            assert scenario.documents[dialect].strip().startswith(("query", "mutation"))
    log = scenarios.load("log_entry")
    assert json.loads(log.body("pg5", fixtures, position=3))["variables"]["metrics"] == {"reps": 5, "weight_kg": 100}
    assert json.loads(log.body("jim", fixtures, position=3))["variables"]["position"] == 3


def test_a_mutation_body_gets_a_fresh_integer_per_request(tmp_path: Path) -> None:
    body = scenarios.load("log_entry").body("jim", {"mutation_workout": "7", "squat": "1"})
    script = tmp_path / "load.lua"
    wrk.write_script(script, body, "Bearer t", first=10)
    text = script.read_text()
    assert "local varying = true" in text and str(wrk.POSITION_MARKER) not in text
    assert "thread_no * 100000000 + 10" in text
    read = scenarios.load("catalog").body("jim", {})
    wrk.write_script(script, read, None, first=0)
    assert "local varying = false" in script.read_text()


def test_the_ceiling_runs_in_the_proxy_request_shape() -> None:
    statement = ceiling.Statement("select :p1::int + :position", {"p1": "1"}, "compiled by jim")
    script = ceiling._script(statement)
    assert script.startswith("\\startpipeline\n") and script.endswith("\\endpipeline\n")
    assert "set_config('role', :role, true)" in script
    assert "set_config('request.jwt.claims', :claims, true)" in script
    assert ceiling.NEXT_POSITION in script
