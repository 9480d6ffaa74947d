-- Hand-written stand-in for the SQL jim's engine compiles (used until the engine can print it).
select jsonb_build_object('exercises', jsonb_build_object('rows', coalesce(jsonb_agg(
  jsonb_build_object('id', e.id::text, 'name', e.name, 'category', e.category,
                     'metrics', e.metrics, 'attributes', e.attributes::text)
  order by e.id), '[]')))::text
from (select * from app.exercise order by id limit 20) e
