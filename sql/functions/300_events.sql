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

-- The relay's claim. Locks the oldest undelivered events (skipping rows another relay
-- holds) and builds the message bodies for those rows only. The plan is pinned to an
-- ordered walk of the partial index that stops after batch_size rows: with statistics
-- that lag behind a growing backlog, the planner otherwise picks a bitmap scan that
-- reads, serializes and sorts the whole backlog for every batch.
create or replace function events.claim(batch_size integer)
  returns table (id bigint, priority smallint, routing_key text, body text)
  language sql volatile
  set search_path = pg_catalog
  set enable_bitmapscan = off
  set enable_seqscan = off
  as $$
  with claimed as (
    select o.id from events.outbox o
    where o.delivered_at is null
    order by o.id
    limit batch_size
    for update skip locked
  )
  select o.id, o.priority, o.schema_name || '.' || o.table_name || '.' || o.op,
         json_build_object('id', o.id, 'schema', o.schema_name, 'table', o.table_name, 'op', o.op,
                           'key', o.row_key, 'data', o.data, 'old', o.old_data,
                           'changed', o.changed, 'at', o.created_at)::text
  from events.outbox o
  join claimed c on c.id = o.id
  order by o.id
$$;
comment on function events.claim(integer) is 'Lock up to batch_size undelivered events (SKIP LOCKED) in the caller''s transaction and return their routing keys and message bodies.';
revoke all on function events.claim(integer) from public;
grant execute on function events.claim(integer) to worker;
