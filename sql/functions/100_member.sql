-- app.member: a member reads and edits their own row, and reads the members they have a
-- coaching link with (either side, pending or accepted: an athlete must see who asked).
-- The proxy provisions a member's row on their first request (insert of their own id).
drop policy if exists member_select_own_or_linked on app.member;
create policy member_select_own_or_linked on app.member for select to authenticated
  using (
    id = (select auth.uid())
    or exists (
      select 1 from app.coaching c
      where (c.coach_id = (select auth.uid()) and c.athlete_id = member.id)
         or (c.athlete_id = (select auth.uid()) and c.coach_id = member.id)
    )
  );

drop policy if exists member_insert_self on app.member;
create policy member_insert_self on app.member for insert to authenticated
  with check (id = (select auth.uid()));

drop policy if exists member_update_self on app.member;
create policy member_update_self on app.member for update to authenticated
  using (id = (select auth.uid()))
  with check (id = (select auth.uid()));

drop policy if exists member_admin_all on app.member;
create policy member_admin_all on app.member for all to admin using (true) with check (true);

drop policy if exists member_worker_read on app.member;
create policy member_worker_read on app.member for select to worker using (true);

revoke all on app.member from anon, authenticated, admin, worker;
grant select on app.member to authenticated, admin, worker;
grant insert (id, username, display_name, profile) on app.member to authenticated;
grant update (display_name, profile) on app.member to authenticated;
grant insert (id, username, display_name, profile, created_at),
      update (username, display_name, profile),
      delete on app.member to admin;
