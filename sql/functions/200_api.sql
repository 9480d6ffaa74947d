-- The app's API functions, exposed through GraphQL (graphql.resolve reflects schema app):
-- stable functions become Query fields, volatile ones Mutation fields. They run as the
-- caller (security invoker), so row-level security decides what they read and write; anon
-- may not execute them, so they do not exist in anon's schema at all.
-- Descriptions use @graphql({"description": ...}) so they reach the GraphQL schema.

-- Relationship names on the member type: coaching has two keys to member.
comment on constraint coaching_coach_id_fkey on app.coaching
  is e'@graphql({"foreign_name": "coach", "local_name": "coachingsAsCoach"})';
comment on constraint coaching_athlete_id_fkey on app.coaching
  is e'@graphql({"foreign_name": "athlete", "local_name": "coachingsAsAthlete"})';

-- me: the signed-in member (null outside a request). Recent workouts come through the
-- member's relationships, e.g. me { workoutCollection(first: 5, orderBy: [{startedAt: DescNullsLast}]) }.
create or replace function app.me() returns app.member
  language sql stable
  as $$ select m.* from app.member m where m.id = (select auth.uid()) $$;
comment on function app.me() is
  e'@graphql({"description": "The signed-in member: profile, and workouts through workoutCollection."})';

-- A member's workouts of the last 30 days, newest first (a computed connection on Member).
create or replace function app._recent_workouts(member app.member) returns setof app.workout
  language sql stable
  as $$
    select w.* from app.workout w
    where w.owner_id = member.id and w.started_at >= now() - interval '30 days'
  $$;
comment on function app._recent_workouts(app.member) is
  e'@graphql({"description": "Workouts of the last 30 days that you may see (order them with orderBy)."})';

-- start_workout: a new workout of the signed-in member, starting now unless told otherwise.
create or replace function app.start_workout(
  title text,
  visibility text default 'private',
  tags text[] default '{}',
  started_at timestamptz default now()
) returns app.workout
  language sql volatile
  as $$
    insert into app.workout (title, visibility, tags, started_at)  -- owner_id defaults to auth.uid()
    values (start_workout.title, start_workout.visibility::app.workout_visibility,
            coalesce(start_workout.tags, '{}'), coalesce(start_workout.started_at, now()))
    returning *
  $$;
comment on function app.start_workout(text, text, text[], timestamptz) is
  e'@graphql({"description": "Start a workout of yours (visibility: private, coach or public)."})';

-- log_entry: one set or effort in one of your workouts, appended after the last entry.
-- The entry trigger checks the metrics against the exercise (messages JIM01-JIM03).
create or replace function app.log_entry(
  workout_id bigint,
  exercise_id bigint,
  metrics jsonb default '{}',
  performed_at timestamptz default now()
) returns app.workout_entry
  language sql volatile
  as $$
    insert into app.workout_entry (workout_id, exercise_id, position, metrics, performed_at)
    values (
      log_entry.workout_id, log_entry.exercise_id,
      coalesce((select max(e.position) + 1 from app.workout_entry e where e.workout_id = log_entry.workout_id), 0),
      coalesce(log_entry.metrics, '{}'), coalesce(log_entry.performed_at, now())
    )
    returning *
  $$;
comment on function app.log_entry(bigint, bigint, jsonb, timestamptz) is
  e'@graphql({"description": "Log an entry (a set or effort with its metrics) in one of your workouts."})';

-- athlete_week: an athlete's workouts in one week (default: this week), as the caller may
-- see them: an accepted coach sees the ones shared with coaches, anyone signed in the
-- public ones, the athlete all of them.
create or replace function app.athlete_week(athlete_id uuid, week_start date default null)
returns setof app.workout
  language sql stable
  as $$
    select w.* from app.workout w
    where w.owner_id = athlete_week.athlete_id
      and w.started_at >= coalesce(athlete_week.week_start, date_trunc('week', now())::date)
      and w.started_at < coalesce(athlete_week.week_start, date_trunc('week', now())::date) + 7
  $$;
comment on function app.athlete_week(uuid, date) is
  e'@graphql({"description": "An athlete''s workouts in the week starting week_start (default: this week), as far as you may see them."})';

revoke all on function app.me(), app._recent_workouts(app.member),
  app.start_workout(text, text, text[], timestamptz),
  app.log_entry(bigint, bigint, jsonb, timestamptz), app.athlete_week(uuid, date) from public;
grant execute on function app.me(), app._recent_workouts(app.member),
  app.start_workout(text, text, text[], timestamptz),
  app.log_entry(bigint, bigint, jsonb, timestamptz), app.athlete_week(uuid, date)
  to authenticated, admin;
