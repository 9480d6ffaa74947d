-- Hand-written stand-in for the SQL jim's engine compiles (used until the engine can print it).
-- :position is a fresh value per transaction (pgbench has no per-client counter).
with inserted as (
  insert into app.workout_entry (workout_id, exercise_id, position, metrics)
  values (cast(:workoutId as bigint), cast(:exerciseId as bigint), :position, cast(:metrics as jsonb))
  returning workout_id, position, metrics)
select jsonb_build_object('logged', jsonb_build_object('rows', coalesce(jsonb_agg(jsonb_build_object(
  'workoutId', workout_id::text, 'position', position, 'metrics', metrics::text)), '[]')))::text
from inserted
