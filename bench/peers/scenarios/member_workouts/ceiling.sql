-- Hand-written stand-in for the SQL jim's engine compiles (used until the engine can print it).
select jsonb_build_object('workouts', jsonb_build_object('rows', coalesce(jsonb_agg(
  jsonb_build_object(
    'id', w.id::text, 'title', w.title, 'startedAt', w.started_at, 'visibility', w.visibility,
    'tags', w.tags, 'data', w.data::text,
    'entries', jsonb_build_object('rows', (
      select coalesce(jsonb_agg(jsonb_build_object(
               'position', en.position, 'metrics', en.metrics::text,
               'exercise', (select jsonb_build_object('name', x.name, 'category', x.category)
                            from app.exercise x where x.id = en.exercise_id))
             order by en.id), '[]')
      from (select * from app.workout_entry e where e.workout_id = w.id order by e.id limit 20) en)))
  order by w.started_at desc, w.id desc), '[]')))::text
from (select * from app.workout where owner_id = cast(:me as uuid)
      order by started_at desc, id desc limit 10) w
