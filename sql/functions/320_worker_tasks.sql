-- The worker's sample analysis, as SQL the tasks call (worker/tasks/). Each function
-- recomputes its rows from the current data, so running it twice, late, or out of order
-- leaves the same result: that is what makes redelivered messages harmless.
-- Security invoker: they run as the worker role, under its grants and policies.

create or replace function app_private.record_metrics() returns text[]
  language sql immutable parallel safe
  as $$ select array['reps', 'weight_kg', 'distance_m', 'duration_s', 'elevation_m', 'calories'] $$;
comment on function app_private.record_metrics() is 'The metrics whose highest value is a personal record (rpe and avg_hr are not achievements).';

create or replace function app_private.week_start(at timestamptz) returns date
  language sql immutable parallel safe
  as $$ select date_trunc('week', at at time zone 'UTC')::date $$;
comment on function app_private.week_start(timestamptz) is 'The Monday (UTC) of the week a moment falls in.';

create or replace function app_private.refresh_personal_records(target_member uuid, target_exercise bigint)
  returns integer
  language sql volatile
  set search_path = pg_catalog
  as $$
  with best as (
    select distinct on (m.key)
      m.key as metric, (m.value #>> '{}')::numeric as value, e.id as entry_id, e.performed_at
    from app.workout_entry e
    join app.workout w on w.id = e.workout_id
    cross join lateral jsonb_each(e.metrics) m
    where w.owner_id = target_member and e.exercise_id = target_exercise
      and jsonb_typeof(m.value) = 'number'
      and m.key = any (app_private.record_metrics())
    order by m.key, (m.value #>> '{}')::numeric desc, e.performed_at, e.id
  ), upserted as (
    insert into app.personal_record (member_id, exercise_id, metric, value, entry_id, achieved_at, updated_at)
    select target_member, target_exercise, b.metric, b.value, b.entry_id, b.performed_at, now()
    from best b
    on conflict (member_id, exercise_id, metric) do update
      set value = excluded.value, entry_id = excluded.entry_id,
          achieved_at = excluded.achieved_at, updated_at = excluded.updated_at
      where (app.personal_record.value, app.personal_record.entry_id, app.personal_record.achieved_at)
            is distinct from (excluded.value, excluded.entry_id, excluded.achieved_at)
    returning 1
  ), removed as (
    delete from app.personal_record pr
    where pr.member_id = target_member and pr.exercise_id = target_exercise
      and not exists (select 1 from best b where b.metric = pr.metric)
    returning 1
  )
  select ((select count(*) from upserted) + (select count(*) from removed))::integer
$$;
comment on function app_private.refresh_personal_records(uuid, bigint) is 'Recompute one member''s personal records for one exercise from their entries; returns the number of records changed.';

create or replace function app_private.refresh_all_personal_records(target_member uuid)
  returns integer
  language sql volatile
  set search_path = pg_catalog
  as $$
  select coalesce(sum(app_private.refresh_personal_records(target_member, x.exercise_id)), 0)::integer
  from (
    select pr.exercise_id from app.personal_record pr where pr.member_id = target_member
    union
    select e.exercise_id from app.workout_entry e
    join app.workout w on w.id = e.workout_id where w.owner_id = target_member
  ) x
$$;
comment on function app_private.refresh_all_personal_records(uuid) is 'Recompute every personal record of a member (after a workout was deleted or changed hands).';

create or replace function app_private.refresh_weekly_summary(target_member uuid, target_week date)
  returns integer
  language plpgsql volatile
  set search_path = pg_catalog
  as $$
declare
  week_from timestamptz := target_week::timestamp at time zone 'UTC';
  totals record;
  changed integer;
begin
  select
    count(distinct w.id)::integer as workouts,
    count(e.id)::integer as entries,
    coalesce(sum((e.metrics ->> 'reps')::numeric * (e.metrics ->> 'weight_kg')::numeric), 0) as volume_kg,
    coalesce(sum((e.metrics ->> 'distance_m')::numeric), 0) as distance_m,
    coalesce(sum((e.metrics ->> 'duration_s')::numeric), 0) as duration_s
  into totals
  from app.workout w
  left join app.workout_entry e on e.workout_id = w.id
  where w.owner_id = target_member
    and w.started_at >= week_from and w.started_at < week_from + interval '7 days';

  if totals.workouts = 0 then
    delete from app.weekly_summary s where s.member_id = target_member and s.week_start = target_week;
  else
    insert into app.weekly_summary as s
      (member_id, week_start, workouts, entries, volume_kg, distance_m, duration_s, updated_at)
    values (target_member, target_week, totals.workouts, totals.entries, totals.volume_kg,
            totals.distance_m, totals.duration_s, now())
    on conflict (member_id, week_start) do update
      set workouts = excluded.workouts, entries = excluded.entries, volume_kg = excluded.volume_kg,
          distance_m = excluded.distance_m, duration_s = excluded.duration_s, updated_at = excluded.updated_at
      where (s.workouts, s.entries, s.volume_kg, s.distance_m, s.duration_s)
            is distinct from (excluded.workouts, excluded.entries, excluded.volume_kg,
                              excluded.distance_m, excluded.duration_s);
  end if;
  get diagnostics changed = row_count;
  return changed;
end
$$;
comment on function app_private.refresh_weekly_summary(uuid, date) is 'Recompute one member''s summary for the week starting on target_week (a Monday, UTC); returns 1 when the row changed.';

-- Only the worker runs the analysis; nothing in app_private is callable by the web roles.
grant usage on schema app_private to worker;
revoke all on function app_private.record_metrics(), app_private.week_start(timestamptz),
  app_private.refresh_personal_records(uuid, bigint), app_private.refresh_all_personal_records(uuid),
  app_private.refresh_weekly_summary(uuid, date) from public;
grant execute on function app_private.record_metrics(), app_private.week_start(timestamptz),
  app_private.refresh_personal_records(uuid, bigint), app_private.refresh_all_personal_records(uuid),
  app_private.refresh_weekly_summary(uuid, date) to worker;
