-- events: the outbox and the worker's bookkeeping. Only the worker role (and the owner)
-- may touch it; the web roles get nothing, not even usage of the schema.
revoke all on schema events from public, anon, authenticated, admin;
revoke all on all tables in schema events from public, anon, authenticated, admin;
revoke all on all functions in schema events from public, anon, authenticated, admin;
grant usage on schema events to worker;

-- The relay claims, marks and prunes outbox rows.
drop policy if exists outbox_worker_all on events.outbox;
create policy outbox_worker_all on events.outbox for all to worker using (true) with check (true);
revoke all on events.outbox from worker;
grant select, delete on events.outbox to worker;
grant update (delivered_at) on events.outbox to worker;

drop policy if exists tracked_worker_read on events.tracked;
create policy tracked_worker_read on events.tracked for select to worker using (true);
revoke all on events.tracked from worker;
grant select on events.tracked to worker;

-- Consumers record processed messages and prune old records.
drop policy if exists processed_worker_all on events.processed;
create policy processed_worker_all on events.processed for all to worker using (true) with check (true);
revoke all on events.processed from worker;
grant select, insert (task, message_id), delete on events.processed to worker;
