"""Pure-code parts of the worker: no services needed."""

from __future__ import annotations

import json

import pytest

from jim.settings import SettingsError, load
from worker.backoff import Backoff
from worker.errors import BadMessage
from worker.messages import Event, error_text
from worker.settings import WorkerSettings, parse_delays
from worker.tasks import default_registry
from worker.topology import Topology, topic_matches

EVENT = {"id": 7, "schema": "app", "table": "workout_entry", "op": "update", "key": {"id": 3},
         "data": {"workout_id": 1, "exercise_id": 2}, "old": {"exercise_id": 5},
         "changed": ["exercise_id"], "at": "2026-01-01T00:00:00+00:00"}


@pytest.mark.parametrize(("pattern", "key", "matches"), [
    ("app.workout.*", "app.workout.insert", True),
    ("app.workout.*", "app.workout_entry.insert", False),
    ("app.workout.delete", "app.workout.update", False),
    ("app.#", "app.workout.insert", True),
    ("#", "a", True),
    ("app.*", "app.workout.insert", False),
    ("*.workout.#", "app.workout", True),
])
def test_topic_matching_follows_amqp(pattern, key, matches):
    assert topic_matches(pattern, key) is matches


def test_event_round_trip_and_values():
    event = Event.from_json(json.dumps(EVENT).encode())
    assert event.routing_key == "app.workout_entry.update"
    assert event.value("id") == 3 and event.value("exercise_id") == 2
    assert event.old_value("exercise_id") == 5 and event.old_value("workout_id") is None
    assert Event.from_json(event.to_json()) == event
    with pytest.raises(BadMessage, match="carries no column 'owner_id'"):
        event.value("owner_id")


@pytest.mark.parametrize(("body", "error"), [
    (b"\xff", "not JSON"),
    (b"[1]", "not a JSON object"),
    (json.dumps({**EVENT, "id": "7"}).encode(), "'id' must be int"),
    (json.dumps({**EVENT, "id": True}).encode(), "'id' must be int"),
    (json.dumps({k: v for k, v in EVENT.items() if k != "key"}).encode(), "'key' is missing"),
    (json.dumps({**EVENT, "op": "truncate"}).encode(), "unknown operation"),
    (json.dumps({**EVENT, "old": [1]}).encode(), "'old' must be an object"),
])
def test_malformed_events_are_bad_messages(body, error):
    with pytest.raises(BadMessage, match=error):
        Event.from_json(body)


def test_error_text_is_bounded():
    assert error_text(ValueError("x" * 5000), 100).endswith("...")
    assert len(error_text(ValueError("x" * 5000), 100)) == 100
    assert error_text(KeyError("k")) == "KeyError: 'k'"


def test_retry_tiers_grow_then_repeat_the_last():
    topo = Topology("p", (1.0, 5.0), ("app.#",))
    assert [topo.retry_queue_for(n) for n in (1, 2, 3, 9)] == [
        "p.tasks.retry.1000ms", "p.tasks.retry.5000ms", "p.tasks.retry.5000ms", "p.tasks.retry.5000ms"]
    retry = [d for d in topo.declarations() if d.name == "p.tasks.retry.5000ms"][0]
    assert retry.arguments == {"x-message-ttl": 5000, "x-dead-letter-exchange": "",
                               "x-dead-letter-routing-key": "p.tasks"}
    tasks = [d for d in topo.declarations() if d.name == "p.tasks" and d.kind == "queue"][0]
    assert tasks.arguments == {"x-max-priority": 9}


def test_backoff_is_bounded_and_grows_to_its_ceiling():
    backoff = Backoff(attempts=4, first=0.5, maximum=2.0)
    delays = [backoff.delay(n) for n in range(1, 6)]
    assert 0.4 <= delays[0] <= 0.5 and 1.6 <= delays[2] <= 2.0 and delays[4] <= 2.0
    assert not backoff.exhausted(3) and backoff.exhausted(4)


def test_registry_routes_events_to_the_tasks_that_want_them():
    registry = default_registry()
    names = lambda key: sorted(t.name for t in registry.for_routing_key(key))  # noqa: E731
    assert names("app.workout_entry.insert") == ["personal_records", "weekly_summary"]
    assert names("app.workout.insert") == ["weekly_summary"]
    assert names("app.workout.delete") == ["personal_records", "weekly_summary"]
    assert names("app.member.update") == []
    assert registry.get("personal_records").priority > registry.get("weekly_summary").priority
    with pytest.raises(BadMessage, match="unknown task 'nope'"):
        registry.get("nope")


def test_settings_derive_the_worker_role_and_refuse_bad_values(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://jim:jim@db.example:5433/jim")
    monkeypatch.setenv("WORKER_PASSWORD", "s3cret")
    settings = load(WorkerSettings)
    assert "user=worker" in settings.conninfo and "password=s3cret" in settings.conninfo
    assert "host=db.example" in settings.conninfo and "port=5433" in settings.conninfo
    assert parse_delays("1, 2.5") == (1.0, 2.5)
    for name, value, problem in [("WORKER_RETRY_DELAYS", "1,-2", "WORKER_RETRY_DELAYS"),
                                 ("WORKER_AMQP_PREFIX", "Has Spaces", "WORKER_AMQP_PREFIX"),
                                 ("RABBITMQ_URL", "http://x", "RABBITMQ_URL"),
                                 ("WORKER_PREFETCH", "0", "WORKER_PREFETCH")]:
        monkeypatch.setenv(name, value)
        with pytest.raises(SettingsError, match=problem):
            load(WorkerSettings)
        monkeypatch.delenv(name)


def test_production_refuses_dev_secrets(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://jim:x@db/jim")
    monkeypatch.setenv("JIM_ENV", "production")
    monkeypatch.setenv("WORKER_PASSWORD", "worker")
    with pytest.raises(SettingsError, match="WORKER_PASSWORD"):
        load(WorkerSettings)
    monkeypatch.setenv("WORKER_PASSWORD", "a-real-one")
    monkeypatch.setenv("RABBITMQ_URL", "amqp://guest:guest@mq:5672/%2F")
    with pytest.raises(SettingsError, match="guest"):
        load(WorkerSettings)
