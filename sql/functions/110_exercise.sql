-- app.exercise: the public catalog (owner_id null) is readable by everyone, anon included;
-- a member reads and manages their own private exercises; admin curates the catalog.
drop policy if exists exercise_anon_catalog on app.exercise;
create policy exercise_anon_catalog on app.exercise for select to anon
  using (owner_id is null);

drop policy if exists exercise_select_catalog_or_own on app.exercise;
create policy exercise_select_catalog_or_own on app.exercise for select to authenticated
  using (owner_id is null or owner_id = (select auth.uid()));

drop policy if exists exercise_insert_own on app.exercise;
create policy exercise_insert_own on app.exercise for insert to authenticated
  with check (owner_id = (select auth.uid()));

drop policy if exists exercise_update_own on app.exercise;
create policy exercise_update_own on app.exercise for update to authenticated
  using (owner_id = (select auth.uid()))
  with check (owner_id = (select auth.uid()));

drop policy if exists exercise_delete_own on app.exercise;
create policy exercise_delete_own on app.exercise for delete to authenticated
  using (owner_id = (select auth.uid()));

drop policy if exists exercise_admin_all on app.exercise;
create policy exercise_admin_all on app.exercise for all to admin using (true) with check (true);

drop policy if exists exercise_worker_read on app.exercise;
create policy exercise_worker_read on app.exercise for select to worker using (true);

revoke all on app.exercise from anon, authenticated, admin, worker;
grant select on app.exercise to anon, authenticated, admin, worker;
grant insert (name, category, metrics, attributes),
      update (name, category, metrics, attributes),
      delete on app.exercise to authenticated;
grant insert (name, category, metrics, attributes, owner_id),
      update (name, category, metrics, attributes, owner_id),
      delete on app.exercise to admin;
