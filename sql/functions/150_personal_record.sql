-- app.personal_record: written only by the worker (and admin); the member and their
-- accepted coaches read it.
drop policy if exists personal_record_select_own_or_coached on app.personal_record;
create policy personal_record_select_own_or_coached on app.personal_record for select to authenticated
  using (
    member_id = (select auth.uid())
    or exists (
      select 1 from app.coaching c
      where c.coach_id = (select auth.uid()) and c.athlete_id = personal_record.member_id
        and c.status = 'accepted'
    )
  );

drop policy if exists personal_record_worker_all on app.personal_record;
create policy personal_record_worker_all on app.personal_record for all to worker using (true) with check (true);

drop policy if exists personal_record_admin_all on app.personal_record;
create policy personal_record_admin_all on app.personal_record for all to admin using (true) with check (true);

revoke all on app.personal_record from anon, authenticated, admin, worker;
grant select on app.personal_record to authenticated, admin, worker;
grant insert (member_id, exercise_id, metric, value, entry_id, achieved_at, updated_at),
      update (value, entry_id, achieved_at, updated_at),
      delete on app.personal_record to worker, admin;
