-- The weekly summary, kept per member by the worker's low-priority task (issue 6).
-- Policies and grants are in sql/functions/310_weekly_summary.sql; the functions that
-- recompute it in sql/functions/320_worker_tasks.sql.

create table app.weekly_summary (
  member_id uuid not null references app.member (id) on delete cascade,
  week_start date not null check (extract(isodow from week_start) = 1),
  workouts integer not null check (workouts >= 0),
  entries integer not null check (entries >= 0),
  volume_kg numeric not null default 0 check (volume_kg >= 0),
  distance_m numeric not null default 0 check (distance_m >= 0),
  duration_s numeric not null default 0 check (duration_s >= 0),
  updated_at timestamptz not null default now(),
  primary key (member_id, week_start)
);
comment on table app.weekly_summary is '@graphql({"description": "Training totals per member and week; maintained by the worker."})';
comment on column app.weekly_summary.member_id is '@graphql({"description": "The member who trained."})';
comment on column app.weekly_summary.week_start is '@graphql({"description": "The Monday (UTC) the week starts on."})';
comment on column app.weekly_summary.workouts is '@graphql({"description": "Workouts started that week."})';
comment on column app.weekly_summary.entries is '@graphql({"description": "Sets and efforts logged in those workouts."})';
comment on column app.weekly_summary.volume_kg is '@graphql({"description": "Sum of reps x weight_kg over the week''s entries."})';
comment on column app.weekly_summary.distance_m is '@graphql({"description": "Sum of distance_m over the week''s entries."})';
comment on column app.weekly_summary.duration_s is '@graphql({"description": "Sum of duration_s over the week''s entries."})';
comment on column app.weekly_summary.updated_at is '@graphql({"description": "When the worker last recomputed the week."})';

alter table app.weekly_summary enable row level security;
