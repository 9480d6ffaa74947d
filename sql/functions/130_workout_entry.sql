-- app.workout_entry: an entry is readable exactly when its workout is (the subquery runs
-- under app.workout's own policies), and writable only inside one's own workouts.
drop policy if exists workout_entry_select_visible on app.workout_entry;
create policy workout_entry_select_visible on app.workout_entry for select to authenticated
  using (exists (select 1 from app.workout w where w.id = workout_entry.workout_id));

drop policy if exists workout_entry_insert_own on app.workout_entry;
create policy workout_entry_insert_own on app.workout_entry for insert to authenticated
  with check (exists (
    select 1 from app.workout w
    where w.id = workout_entry.workout_id and w.owner_id = (select auth.uid())
  ));

drop policy if exists workout_entry_update_own on app.workout_entry;
create policy workout_entry_update_own on app.workout_entry for update to authenticated
  using (exists (
    select 1 from app.workout w
    where w.id = workout_entry.workout_id and w.owner_id = (select auth.uid())
  ))
  with check (exists (
    select 1 from app.workout w
    where w.id = workout_entry.workout_id and w.owner_id = (select auth.uid())
  ));

drop policy if exists workout_entry_delete_own on app.workout_entry;
create policy workout_entry_delete_own on app.workout_entry for delete to authenticated
  using (exists (
    select 1 from app.workout w
    where w.id = workout_entry.workout_id and w.owner_id = (select auth.uid())
  ));

drop policy if exists workout_entry_admin_all on app.workout_entry;
create policy workout_entry_admin_all on app.workout_entry for all to admin using (true) with check (true);

drop policy if exists workout_entry_worker_read on app.workout_entry;
create policy workout_entry_worker_read on app.workout_entry for select to worker using (true);

revoke all on app.workout_entry from anon, authenticated, admin, worker;
grant select on app.workout_entry to authenticated, admin, worker;
grant insert (workout_id, exercise_id, position, metrics, performed_at),
      update (exercise_id, position, metrics, performed_at),
      delete on app.workout_entry to authenticated, admin;
