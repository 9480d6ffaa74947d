-- app.workout: the owner reads and writes their workouts; an accepted coach reads the
-- athlete's workouts shared with coaches (or public); public workouts are readable by
-- every signed-in member.
drop policy if exists workout_select_visible on app.workout;
create policy workout_select_visible on app.workout for select to authenticated
  using (
    owner_id = (select auth.uid())
    or visibility = 'public'
    or (
      visibility = 'coach'
      and exists (
        select 1 from app.coaching c
        where c.coach_id = (select auth.uid()) and c.athlete_id = workout.owner_id
          and c.status = 'accepted'
      )
    )
  );

drop policy if exists workout_insert_own on app.workout;
create policy workout_insert_own on app.workout for insert to authenticated
  with check (owner_id = (select auth.uid()));

drop policy if exists workout_update_own on app.workout;
create policy workout_update_own on app.workout for update to authenticated
  using (owner_id = (select auth.uid()))
  with check (owner_id = (select auth.uid()));

drop policy if exists workout_delete_own on app.workout;
create policy workout_delete_own on app.workout for delete to authenticated
  using (owner_id = (select auth.uid()));

drop policy if exists workout_admin_all on app.workout;
create policy workout_admin_all on app.workout for all to admin using (true) with check (true);

drop policy if exists workout_worker_read on app.workout;
create policy workout_worker_read on app.workout for select to worker using (true);

revoke all on app.workout from anon, authenticated, admin, worker;
grant select on app.workout to authenticated, admin, worker;
grant insert (title, started_at, ended_at, notes, tags, data, visibility),
      update (title, started_at, ended_at, notes, tags, data, visibility),
      delete on app.workout to authenticated;
grant insert (owner_id, title, started_at, ended_at, notes, tags, data, visibility),
      update (owner_id, title, started_at, ended_at, notes, tags, data, visibility),
      delete on app.workout to admin;
