-- app.weekly_summary: written only by the worker (and admin); the member and their
-- accepted coaches read it; anon sees nothing.
drop policy if exists weekly_summary_select_own_or_coached on app.weekly_summary;
create policy weekly_summary_select_own_or_coached on app.weekly_summary for select to authenticated
  using (
    member_id = (select auth.uid())
    or exists (
      select 1 from app.coaching c
      where c.coach_id = (select auth.uid()) and c.athlete_id = weekly_summary.member_id
        and c.status = 'accepted'
    )
  );

drop policy if exists weekly_summary_worker_all on app.weekly_summary;
create policy weekly_summary_worker_all on app.weekly_summary for all to worker using (true) with check (true);

drop policy if exists weekly_summary_admin_all on app.weekly_summary;
create policy weekly_summary_admin_all on app.weekly_summary for all to admin using (true) with check (true);

revoke all on app.weekly_summary from anon, authenticated, admin, worker;
grant select on app.weekly_summary to authenticated, admin, worker;
grant insert (member_id, week_start, workouts, entries, volume_kg, distance_m, duration_s, updated_at),
      update (workouts, entries, volume_kg, distance_m, duration_s, updated_at),
      delete on app.weekly_summary to worker, admin;
