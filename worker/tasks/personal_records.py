"""High priority: when an entry is logged, changed or deleted, recompute that member's
personal records for the exercise (app_private.refresh_personal_records, in SQL)."""

from __future__ import annotations

import psycopg

from worker.messages import Event
from worker.tasks import Task


def handle(conn: psycopg.Connection, event: Event) -> None:
    if event.table == "workout_entry":
        workout_id = event.value("workout_id")
        owners = {row[0] for row in conn.execute(
            "select owner_id from app.workout where id = any(%s)",
            ([workout_id, event.old_value("workout_id") or workout_id],),
        )}
        # No owner: the workout is gone, and its own delete event recomputes the member.
        exercises = {event.value("exercise_id"), event.old_value("exercise_id")} - {None}
        for member in owners:
            for exercise in exercises:
                conn.execute("select app_private.refresh_personal_records(%s, %s)", (member, exercise))
    elif event.table == "workout":
        for member in {event.value("owner_id"), event.old_value("owner_id")} - {None}:
            conn.execute("select app_private.refresh_all_personal_records(%s)", (member,))


TASK = Task(
    name="personal_records",
    priority=8,
    # Inserted or changed entries; a deleted workout takes its entries (and records) along;
    # an update may move a workout to another owner (admin).
    routing_keys=("app.workout_entry.*", "app.workout.delete", "app.workout.update"),
    handler=handle,
)
