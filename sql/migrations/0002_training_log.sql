-- The sample app: a training log. Tables live in `app` (exposed through GraphQL);
-- `app_private` holds helpers that are never granted to web roles.
-- Comments on exposed objects are pg_graphql description directives, so they become the
-- API documentation (GraphiQL's docs, introspection); plain comments would not.
-- Policies and grants are in sql/functions/ (re-applied after every migrate).

create schema app;
comment on schema app is e'@graphql({"inflect_names": true, "introspection": true})';

create schema app_private;
comment on schema app_private is 'Helpers for policies and triggers; never exposed to web roles.';

create type app.exercise_category as enum ('strength', 'cardio', 'mobility', 'plyometrics', 'skill');
comment on type app.exercise_category is '@graphql({"description": "How an exercise is trained."})';

create type app.workout_visibility as enum ('private', 'coach', 'public');
comment on type app.workout_visibility is '@graphql({"description": "Who may read a workout: its owner only, also the owner''s accepted coaches, or every signed-in user."})';

create type app.coaching_status as enum ('pending', 'accepted');
comment on type app.coaching_status is '@graphql({"description": "A coaching link is requested by the coach (pending) and accepted by the athlete."})';

-- The metric keys an exercise may declare and a record may hold. One immutable function so
-- the check constraints agree; in `app` because check constraints run with the writer's
-- privileges (and the app can list the keys through GraphQL).
create function app.known_metrics() returns text[]
  language sql immutable parallel safe
  as $$ select array['reps', 'weight_kg', 'distance_m', 'duration_s', 'avg_hr', 'rpe', 'elevation_m', 'calories'] $$;
comment on function app.known_metrics() is '@graphql({"description": "Every metric key an exercise may declare (reps, weight_kg, distance_m, duration_s, avg_hr, rpe, elevation_m, calories)."})';

create table app.member (
  id uuid primary key,
  username text not null unique check (username ~ '^[a-z0-9][a-z0-9_.@-]{1,63}$'),
  display_name text not null check (length(display_name) between 1 and 80),
  profile jsonb not null default '{}' check (jsonb_typeof(profile) = 'object'),
  created_at timestamptz not null default now()
);
comment on table app.member is '@graphql({"description": "A user of the app: one row per Keycloak user."})';
comment on column app.member.id is '@graphql({"description": "The Keycloak user id (the access token''s sub claim)."})';
comment on column app.member.username is '@graphql({"description": "The Keycloak username (lower case)."})';
comment on column app.member.display_name is '@graphql({"description": "The name shown to other users."})';
comment on column app.member.profile is '@graphql({"description": "Free-form preferences of the member (units, goals, ...), a JSON object."})';
comment on column app.member.created_at is '@graphql({"description": "When the member first used the app."})';

create table app.exercise (
  id bigint generated always as identity primary key,
  name text not null check (length(name) between 1 and 100),
  category app.exercise_category not null,
  metrics text[] not null check (cardinality(metrics) between 1 and 8 and metrics <@ app.known_metrics()),
  attributes jsonb not null default '{}' check (jsonb_typeof(attributes) = 'object'),
  owner_id uuid default auth.uid() references app.member (id) on delete cascade,
  created_at timestamptz not null default now()
);
-- One name per owner, and one per public catalog (owner_id null).
create unique index exercise_owner_name_key on app.exercise (owner_id, lower(name)) nulls not distinct;
create index exercise_owner_id_idx on app.exercise (owner_id);
comment on table app.exercise is '@graphql({"description": "The exercise catalog: public exercises (no owner) and members'' private ones."})';
comment on column app.exercise.id is '@graphql({"description": "Identifier of the exercise."})';
comment on column app.exercise.name is '@graphql({"description": "Name of the exercise, unique per owner."})';
comment on column app.exercise.category is '@graphql({"description": "How the exercise is trained."})';
comment on column app.exercise.metrics is '@graphql({"description": "The metric keys an entry of this exercise may record (reps, weight_kg, distance_m, duration_s, avg_hr, rpe, elevation_m, calories)."})';
comment on column app.exercise.attributes is '@graphql({"description": "Free-form attributes (equipment, muscles, cues ...), a JSON object."})';
comment on column app.exercise.owner_id is '@graphql({"description": "The member who added this private exercise; null for the public catalog."})';
comment on column app.exercise.created_at is '@graphql({"description": "When the exercise was added."})';

create table app.workout (
  id bigint generated always as identity primary key,
  owner_id uuid not null default auth.uid() references app.member (id) on delete cascade,
  title text not null check (length(title) between 1 and 200),
  started_at timestamptz not null default now(),
  ended_at timestamptz,
  notes text check (length(notes) <= 4000),
  tags text[] not null default '{}' check (cardinality(tags) <= 20),
  data jsonb not null default '{}' check (jsonb_typeof(data) = 'object'),
  visibility app.workout_visibility not null default 'private',
  created_at timestamptz not null default now(),
  constraint workout_ends_after_start check (ended_at is null or ended_at >= started_at)
);
create index workout_owner_started_idx on app.workout (owner_id, started_at desc);
create index workout_public_idx on app.workout (started_at desc) where visibility = 'public';
comment on table app.workout is '@graphql({"description": "A training session of one member."})';
comment on column app.workout.id is '@graphql({"description": "Identifier of the workout."})';
comment on column app.workout.owner_id is '@graphql({"description": "The member who trained."})';
comment on column app.workout.title is '@graphql({"description": "Short title of the session."})';
comment on column app.workout.started_at is '@graphql({"description": "When the session started."})';
comment on column app.workout.ended_at is '@graphql({"description": "When the session ended; null while it is in progress."})';
comment on column app.workout.notes is '@graphql({"description": "Free-text notes."})';
comment on column app.workout.tags is '@graphql({"description": "Labels chosen by the member."})';
comment on column app.workout.data is '@graphql({"description": "Free-form data recorded by the app (location, weather, device ...), a JSON object."})';
comment on column app.workout.visibility is '@graphql({"description": "Who may read the workout: private, coach (also accepted coaches) or public (every signed-in user)."})';
comment on column app.workout.created_at is '@graphql({"description": "When the row was created."})';

create table app.workout_entry (
  id bigint generated always as identity primary key,
  workout_id bigint not null references app.workout (id) on delete cascade,
  exercise_id bigint not null references app.exercise (id) on delete restrict,
  position integer not null check (position >= 0),
  metrics jsonb not null default '{}' check (jsonb_typeof(metrics) = 'object'),
  performed_at timestamptz not null default now(),
  constraint workout_entry_position_key unique (workout_id, position)
);
create index workout_entry_exercise_idx on app.workout_entry (exercise_id);
comment on table app.workout_entry is '@graphql({"description": "One set or effort inside a workout."})';
comment on column app.workout_entry.id is '@graphql({"description": "Identifier of the entry."})';
comment on column app.workout_entry.workout_id is '@graphql({"description": "The workout this entry belongs to."})';
comment on column app.workout_entry.exercise_id is '@graphql({"description": "The exercise performed."})';
comment on column app.workout_entry.position is '@graphql({"description": "Order of the entry inside its workout, from 0."})';
comment on column app.workout_entry.metrics is '@graphql({"description": "What was measured, e.g. {\"reps\": 5, \"weight_kg\": 100}: only keys the exercise declares, non-negative numbers."})';
comment on column app.workout_entry.performed_at is '@graphql({"description": "When the set or effort was done."})';

create table app.coaching (
  coach_id uuid not null default auth.uid() references app.member (id) on delete cascade,
  athlete_id uuid not null references app.member (id) on delete cascade,
  status app.coaching_status not null default 'pending',
  created_at timestamptz not null default now(),
  primary key (coach_id, athlete_id),
  constraint coaching_not_self check (coach_id <> athlete_id)
);
create index coaching_athlete_idx on app.coaching (athlete_id, coach_id) where status = 'accepted';
create index coaching_athlete_id_idx on app.coaching (athlete_id);
comment on table app.coaching is '@graphql({"description": "A coach <-> athlete link: requested by the coach, accepted by the athlete."})';
comment on column app.coaching.coach_id is '@graphql({"description": "The coaching member."})';
comment on column app.coaching.athlete_id is '@graphql({"description": "The coached member."})';
comment on column app.coaching.status is '@graphql({"description": "pending until the athlete accepts."})';
comment on column app.coaching.created_at is '@graphql({"description": "When the coach asked."})';

create table app.personal_record (
  member_id uuid not null references app.member (id) on delete cascade,
  exercise_id bigint not null references app.exercise (id) on delete cascade,
  metric text not null check (metric = any (app.known_metrics())),
  value numeric not null,
  entry_id bigint references app.workout_entry (id) on delete set null,
  achieved_at timestamptz not null,
  updated_at timestamptz not null default now(),
  primary key (member_id, exercise_id, metric)
);
create index personal_record_exercise_idx on app.personal_record (exercise_id);
create index personal_record_entry_idx on app.personal_record (entry_id);
comment on table app.personal_record is '@graphql({"description": "Best value per member, exercise and metric; maintained by the worker."})';
comment on column app.personal_record.member_id is '@graphql({"description": "The member who set the record."})';
comment on column app.personal_record.exercise_id is '@graphql({"description": "The exercise."})';
comment on column app.personal_record.metric is '@graphql({"description": "The metric key (e.g. weight_kg)."})';
comment on column app.personal_record.value is '@graphql({"description": "The best value recorded."})';
comment on column app.personal_record.entry_id is '@graphql({"description": "The entry that set the record (null if it was deleted since)."})';
comment on column app.personal_record.achieved_at is '@graphql({"description": "When the record was set."})';
comment on column app.personal_record.updated_at is '@graphql({"description": "When the worker last recomputed it."})';

-- Row-level security on every table; the policies are in sql/functions/.
alter table app.member enable row level security;
alter table app.exercise enable row level security;
alter table app.workout enable row level security;
alter table app.workout_entry enable row level security;
alter table app.coaching enable row level security;
alter table app.personal_record enable row level security;

-- Entry metrics must fit the exercise: known keys only, non-negative numbers.
-- Runs as the caller, so an exercise the caller cannot see cannot be logged either.
create function app_private.check_entry_metrics() returns trigger
  language plpgsql stable
  set search_path = pg_catalog
  as $$
declare
  allowed text[];
  exercise_name text;
  metric record;
begin
  select e.metrics, e.name into allowed, exercise_name
    from app.exercise e where e.id = new.exercise_id;
  if not found then
    raise exception 'exercise % does not exist or is not visible to you', new.exercise_id
      using errcode = 'JIM03';
  end if;
  if jsonb_typeof(new.metrics) is distinct from 'object' then
    raise exception 'metrics must be a JSON object, got %', coalesce(jsonb_typeof(new.metrics), 'null')
      using errcode = 'JIM02', column = 'metrics';
  end if;
  for metric in select key, value from jsonb_each(new.metrics) loop
    if not metric.key = any (allowed) then
      raise exception 'metric "%" does not apply to exercise "%" (allowed: %)',
        metric.key, exercise_name, array_to_string(allowed, ', ')
        using errcode = 'JIM01', column = 'metrics';
    end if;
    if jsonb_typeof(metric.value) <> 'number' then
      raise exception 'metric "%" must be a number, got %', metric.key, metric.value::text
        using errcode = 'JIM02', column = 'metrics';
    end if;
    if (metric.value)::numeric < 0 then
      raise exception 'metric "%" must not be negative, got %', metric.key, metric.value::text
        using errcode = 'JIM02', column = 'metrics';
    end if;
  end loop;
  return new;
end
$$;
comment on function app_private.check_entry_metrics() is 'Trigger: rejects entry metrics whose keys the exercise does not declare, or whose values are not non-negative numbers.';

create trigger workout_entry_check_metrics
  before insert or update of metrics, exercise_id on app.workout_entry
  for each row execute function app_private.check_entry_metrics();
