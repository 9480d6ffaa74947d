-- Hand-written stand-in for the SQL jim's engine compiles (used until the engine can print it).
select jsonb_build_object('workout', jsonb_build_object('rows', coalesce((
  select jsonb_agg(jsonb_build_object(
    'id', w.id::text, 'ownerId', w.owner_id, 'title', w.title, 'startedAt', w.started_at,
    'endedAt', w.ended_at, 'notes', w.notes, 'tags', w.tags, 'data', w.data::text,
    'visibility', w.visibility, 'createdAt', w.created_at))
  from app.workout w where w.id = cast(:id as bigint)), '[]')))::text
