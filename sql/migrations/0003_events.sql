-- The transactional outbox (issue 6). A row change in a tracked table writes an event row
-- into events.outbox in the SAME transaction (so an event exists exactly when its change
-- committed), and a NOTIFY that is delivered at commit wakes the relay (`jim worker relay`),
-- which publishes the events to RabbitMQ and marks them delivered once the broker confirmed
-- them. The NOTIFY carries nothing: LISTEN/NOTIFY alone would lose every event fired while
-- nobody listens and caps payloads at 8 kB; the table is the source of truth.
--
-- Tables are attached declaratively with events.track(table, operations, priority,
-- payload_columns); the last statements of this migration track the sample app.
-- Grants and policies are in sql/functions/300_events.sql. `events` is never granted to
-- the web roles (anon, authenticated, admin).

create schema events;
comment on schema events is 'The transactional outbox and the worker''s bookkeeping; never granted to web roles.';

create table events.outbox (
  id bigint generated always as identity primary key,
  schema_name text not null,
  table_name text not null,
  op text not null check (op in ('insert', 'update', 'delete')),
  priority smallint not null check (priority between 0 and 9),
  row_key jsonb not null check (jsonb_typeof(row_key) = 'object'),
  data jsonb not null default '{}' check (jsonb_typeof(data) = 'object'),
  old_data jsonb check (jsonb_typeof(old_data) = 'object'),
  changed text[],
  created_at timestamptz not null default clock_timestamp(),
  delivered_at timestamptz
);
-- The relay only ever looks for undelivered rows, oldest first.
create index outbox_undelivered_idx on events.outbox (id) where delivered_at is null;
comment on table events.outbox is 'One row per tracked row change, written by events.capture() in the changing transaction; published to RabbitMQ by the relay.';
comment on column events.outbox.id is 'Event id; the RabbitMQ message_id, and the key consumers de-duplicate on.';
comment on column events.outbox.schema_name is 'Schema of the changed table.';
comment on column events.outbox.table_name is 'Name of the changed table.';
comment on column events.outbox.op is 'insert, update or delete; the routing key is <schema>.<table>.<op>.';
comment on column events.outbox.priority is 'Message priority (0-9), chosen by events.track().';
comment on column events.outbox.row_key is 'The changed row''s primary key, e.g. {"id": 42}.';
comment on column events.outbox.data is 'The payload columns chosen by events.track(), from the new row (the old row for a delete).';
comment on column events.outbox.old_data is 'For an update that changed a key or payload column: those columns'' old values.';
comment on column events.outbox.changed is 'For an update: the names of the columns whose value changed.';
comment on column events.outbox.created_at is 'When the change was captured.';
comment on column events.outbox.delivered_at is 'When the broker confirmed the publish; null while pending. Delivered rows are pruned by the relay.';

create table events.tracked (
  schema_name text not null,
  table_name text not null,
  operations text[] not null,
  priority smallint not null,
  key_columns text[] not null,
  payload_columns text[] not null,
  tracked_at timestamptz not null default now(),
  primary key (schema_name, table_name)
);
comment on table events.tracked is 'Which tables events.track() attached, with what operations, priority and payload.';

create table events.processed (
  task text not null,
  message_id text not null,
  processed_at timestamptz not null default clock_timestamp(),
  primary key (task, message_id)
);
comment on table events.processed is 'Messages a task has processed, written in the same transaction as the task''s effect: a redelivered message finds its record and is skipped.';
comment on column events.processed.task is 'The task that processed the message.';
comment on column events.processed.message_id is 'The message''s message_id (the outbox id).';
comment on column events.processed.processed_at is 'When the task''s transaction wrote it.';

alter table events.outbox enable row level security;
alter table events.tracked enable row level security;
alter table events.processed enable row level security;

-- The trigger behind events.track(). Arguments (fixed by track()): priority, the primary
-- key columns and the payload columns, both comma-separated. Security definer: a member
-- who logs an entry may not write the outbox directly.
create function events.capture() returns trigger
  language plpgsql volatile security definer
  set search_path = pg_catalog
  as $$
declare
  new_row jsonb := case when tg_op <> 'DELETE' then to_jsonb(new) end;
  old_row jsonb := case when tg_op <> 'INSERT' then to_jsonb(old) end;
  current_row jsonb := coalesce(new_row, old_row);
  key_columns text[] := string_to_array(tg_argv[1], ',');
  payload_columns text[] := string_to_array(tg_argv[2], ',');
  changed_columns text[];
  old_payload jsonb;
begin
  if tg_op = 'UPDATE' then
    select array_agg(n.key order by n.key) into changed_columns
      from jsonb_each(new_row) n
      where n.value is distinct from old_row -> n.key;
    if changed_columns is null then
      return null;  -- nothing changed: no event
    end if;
    if changed_columns && (key_columns || payload_columns) then
      select jsonb_object_agg(c, old_row -> c) into old_payload
        from unnest(key_columns || payload_columns) c
        where c = any (changed_columns);
    end if;
  end if;

  insert into events.outbox (schema_name, table_name, op, priority, row_key, data, old_data, changed)
  values (
    tg_table_schema,
    tg_table_name,
    lower(tg_op),
    tg_argv[0]::smallint,
    (select coalesce(jsonb_object_agg(c, current_row -> c), '{}') from unnest(key_columns) c),
    (select coalesce(jsonb_object_agg(c, current_row -> c), '{}') from unnest(payload_columns) c),
    old_payload,
    changed_columns
  );
  -- Delivered at commit, collapsed to one per transaction; only wakes the relay.
  perform pg_notify('events_outbox', '');
  return null;
end
$$;
comment on function events.capture() is 'Trigger attached by events.track(): writes the change into events.outbox and wakes the relay at commit.';

create function events.track(
  target regclass,
  operations text[] default array['insert', 'update', 'delete'],
  priority integer default 0,
  payload_columns text[] default '{}'
) returns void
  language plpgsql volatile
  set search_path = pg_catalog
  as $$
declare
  rel record;
  key_columns text[];
  missing text;
  bad_op text;
begin
  select n.nspname, c.relname into rel
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.oid = target;
  if operations is null or cardinality(operations) = 0 then
    raise exception 'events.track(%): name at least one operation', target using errcode = '22023';
  end if;
  select o into bad_op from unnest(operations) o
    where o is null or o not in ('insert', 'update', 'delete') limit 1;
  if found then
    raise exception 'events.track(%): unknown operation "%" (use insert, update, delete)', target, bad_op
      using errcode = '22023';
  end if;
  if priority is null or priority not between 0 and 9 then
    raise exception 'events.track(%): priority must be between 0 and 9, got %', target, priority
      using errcode = '22023';
  end if;
  select array_agg(a.attname::text order by k.ord) into key_columns
    from pg_index i
    cross join lateral unnest(i.indkey) with ordinality as k(attnum, ord)
    join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
    where i.indrelid = target and i.indisprimary;
  if key_columns is null then
    raise exception 'events.track(%): the table needs a primary key (events name their row by it)', target
      using errcode = '22023';
  end if;
  select p into missing from unnest(coalesce(payload_columns, '{}')) p
    where p is null or p like '%,%' or not exists (
      select 1 from pg_attribute a
      where a.attrelid = target and a.attname = p and a.attnum > 0 and not a.attisdropped)
    limit 1;
  if found then
    raise exception 'events.track(%): no column "%" to carry in the payload', target, missing
      using errcode = '42703';
  end if;

  execute format('drop trigger if exists events_capture on %s', target);
  execute format(
    'create trigger events_capture after %s on %s for each row execute function events.capture(%L, %L, %L)',
    (select string_agg(distinct o, ' or ') from unnest(operations) o),
    target, priority, array_to_string(key_columns, ','),
    array_to_string(coalesce(payload_columns, '{}'), ','));

  insert into events.tracked (schema_name, table_name, operations, priority, key_columns, payload_columns)
  values (rel.nspname, rel.relname,
          (select array_agg(distinct o order by o) from unnest(operations) o),
          priority, key_columns, coalesce(payload_columns, '{}'))
  on conflict (schema_name, table_name) do update
    set operations = excluded.operations, priority = excluded.priority,
        key_columns = excluded.key_columns, payload_columns = excluded.payload_columns,
        tracked_at = now();
end
$$;
comment on function events.track(regclass, text[], integer, text[]) is
  'Attach the outbox to a table: each insert/update/delete (as chosen) writes an event with this priority (0-9) naming the row by its primary key and carrying payload_columns. Calling it again replaces the settings.';

create function events.untrack(target regclass) returns void
  language plpgsql volatile
  set search_path = pg_catalog
  as $$
begin
  execute format('drop trigger if exists events_capture on %s', target);
  delete from events.tracked t
    using pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.oid = target and t.schema_name = n.nspname and t.table_name = c.relname;
end
$$;
comment on function events.untrack(regclass) is 'Detach the outbox from a table (pending events stay in the outbox).';

-- The sample app. Entries matter most (personal records follow them), members least.
do $$
begin
  perform events.track('app.member', priority => 1);
  perform events.track('app.workout', priority => 3, payload_columns => array['owner_id', 'started_at']);
  perform events.track('app.workout_entry', priority => 7, payload_columns => array['workout_id', 'exercise_id']);
end
$$;
