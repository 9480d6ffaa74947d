-- Hand-written stand-in for the SQL jim's engine compiles (used until the engine can print it).
select jsonb_build_object('athlete', jsonb_build_object('rows', coalesce((
  select jsonb_agg(jsonb_build_object(
    'id', m.id, 'displayName', m.display_name,
    'workouts', jsonb_build_object('rows', (
      select coalesce(jsonb_agg(jsonb_build_object(
               'id', w.id::text, 'title', w.title, 'startedAt', w.started_at, 'visibility', w.visibility,
               'entries', jsonb_build_object('rows', (
                 select coalesce(jsonb_agg(jsonb_build_object(
                          'position', en.position, 'metrics', en.metrics::text,
                          'exercise', (select jsonb_build_object('name', x.name)
                                       from app.exercise x where x.id = en.exercise_id))
                        order by en.id), '[]')
                 from (select * from app.workout_entry e where e.workout_id = w.id order by e.id limit 20) en)))
             order by w.started_at desc, w.id desc), '[]')
      from (select * from app.workout w where w.owner_id = m.id
            order by started_at desc, id desc limit 10) w))))
  from app.member m where m.id = cast(:athlete as uuid)), '[]')))::text
