"""Low priority: keep app.weekly_summary for the weeks an entry or workout change touches
(app_private.refresh_weekly_summary, in SQL)."""

from __future__ import annotations

import psycopg

from worker.messages import Event
from worker.tasks import Task


def handle(conn: psycopg.Connection, event: Event) -> None:
    weeks: set[tuple[str, str]] = set()
    if event.table == "workout_entry":
        workout_ids = {event.value("workout_id"), event.old_value("workout_id")} - {None}
        for owner, started_at in conn.execute(
            "select owner_id::text, started_at::text from app.workout where id = any(%s)",
            (list(workout_ids),),
        ):
            weeks.add((owner, started_at))
    elif event.table == "workout":
        owner, started = event.value("owner_id"), event.value("started_at")
        weeks.add((owner, started))
        weeks.add((event.old_value("owner_id") or owner, event.old_value("started_at") or started))
    for owner, started_at in weeks:
        conn.execute(
            "select app_private.refresh_weekly_summary(%s::uuid, app_private.week_start(%s::timestamptz))",
            (owner, started_at),
        )


TASK = Task(
    name="weekly_summary",
    priority=2,
    routing_keys=("app.workout_entry.*", "app.workout.*"),
    handler=handle,
)
