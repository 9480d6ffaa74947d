-- app.coaching: both sides read their links; a member with the Keycloak realm role `coach`
-- asks (pending); only the athlete accepts; either side ends the link.
drop policy if exists coaching_select_party on app.coaching;
create policy coaching_select_party on app.coaching for select to authenticated
  using (coach_id = (select auth.uid()) or athlete_id = (select auth.uid()));

drop policy if exists coaching_insert_as_coach on app.coaching;
create policy coaching_insert_as_coach on app.coaching for insert to authenticated
  with check (
    coach_id = (select auth.uid())
    and status = 'pending'
    and (select auth.has_realm_role('coach'))
  );

drop policy if exists coaching_update_by_athlete on app.coaching;
create policy coaching_update_by_athlete on app.coaching for update to authenticated
  using (athlete_id = (select auth.uid()))
  with check (athlete_id = (select auth.uid()));

drop policy if exists coaching_delete_party on app.coaching;
create policy coaching_delete_party on app.coaching for delete to authenticated
  using (coach_id = (select auth.uid()) or athlete_id = (select auth.uid()));

drop policy if exists coaching_admin_all on app.coaching;
create policy coaching_admin_all on app.coaching for all to admin using (true) with check (true);

drop policy if exists coaching_worker_read on app.coaching;
create policy coaching_worker_read on app.coaching for select to worker using (true);

revoke all on app.coaching from anon, authenticated, admin, worker;
grant select on app.coaching to authenticated, admin, worker;
grant insert (athlete_id) on app.coaching to authenticated;
grant update (status) on app.coaching to authenticated;
grant delete on app.coaching to authenticated;
grant insert (coach_id, athlete_id, status, created_at),
      update (status),
      delete on app.coaching to admin;
