-- Response-cache invalidation (issue 7): every exposed table tells the proxy when its data
-- changed, whatever wrote it (a GraphQL mutation, psql, a worker task).
--
-- A statement-level trigger on each table sends NOTIFY jim_data_changed, '<schema>.<table>'.
-- NOTIFY is delivered at commit, and only if the transaction commits, so the proxy (which
-- LISTENs and bumps that table's version in Redis) never invalidates for a rolled-back write
-- and never misses a committed one while it is listening. DDL notifies '*' (everything).
--
-- Re-applied after every `jim db migrate`: the DO block below attaches the trigger to every
-- table of the exposed schemas, so migrations need no per-table boilerplate.

create schema if not exists jim_cache;
comment on schema jim_cache is 'Response-cache invalidation triggers; never exposed to web roles.';
revoke all on schema jim_cache from public;

create or replace function jim_cache.notify_change() returns trigger
  language plpgsql volatile
  set search_path = pg_catalog
  as $$
begin
  perform pg_notify('jim_data_changed', tg_table_schema || '.' || tg_table_name);
  return null;
end
$$;
comment on function jim_cache.notify_change() is 'Statement trigger: NOTIFY jim_data_changed with the changed table''s schema-qualified name (delivered at commit).';

-- The schemas whose tables the GraphQL API exposes: the database's search_path (app, public).
create or replace function jim_cache.exposed_schemas() returns text[]
  language sql stable
  set search_path = pg_catalog
  as $$
    select coalesce(array_agg(n.nspname::text), '{}')
    from pg_namespace n
    where n.nspname = any (string_to_array(replace(coalesce(
            (select split_part(c, '=', 2) from pg_db_role_setting s, unnest(s.setconfig) c
              where s.setdatabase = (select oid from pg_database where datname = current_database())
                and s.setrole = 0 and c like 'search_path=%'),
            'app, public'), ' ', ''), ','))
  $$;
comment on function jim_cache.exposed_schemas() is 'Schemas whose tables are exposed through GraphQL (the database''s search_path).';

create or replace function jim_cache.attach(target regclass) returns void
  language plpgsql volatile
  set search_path = pg_catalog
  as $$
begin
  execute format(
    'create or replace trigger jim_cache_invalidate'
    ' after insert or update or delete or truncate on %s'
    ' for each statement execute function jim_cache.notify_change()', target);
end
$$;
comment on function jim_cache.attach(regclass) is 'Attach the cache-invalidation statement trigger to one table (idempotent).';

create or replace function jim_cache.attach_all() returns integer
  language plpgsql volatile
  set search_path = pg_catalog
  as $$
declare
  t regclass;
  n integer := 0;
begin
  for t in
    select c.oid::regclass from pg_class c join pg_namespace ns on ns.oid = c.relnamespace
    where c.relkind in ('r', 'p') and ns.nspname = any (jim_cache.exposed_schemas())
      and not exists (select 1 from pg_depend d where d.objid = c.oid and d.deptype = 'e')
  loop
    perform jim_cache.attach(t);
    n := n + 1;
  end loop;
  return n;
end
$$;
comment on function jim_cache.attach_all() is 'Attach the invalidation trigger to every table of the exposed schemas; returns how many.';

create or replace function jim_cache.tracked_tables() returns text[]
  language sql stable
  set search_path = pg_catalog
  as $$
    select coalesce(array_agg(distinct n.nspname || '.' || c.relname), '{}')
    from pg_trigger tg join pg_class c on c.oid = tg.tgrelid join pg_namespace n on n.oid = c.relnamespace
    where tg.tgname = 'jim_cache_invalidate'
  $$;
comment on function jim_cache.tracked_tables() is 'The tables whose changes invalidate cached responses.';

-- Schema changes (a column added in psql, a new table) invalidate everything, and a table
-- created outside `jim db migrate` gets its trigger at once.
create or replace function jim_cache.on_ddl() returns event_trigger
  language plpgsql volatile
  set search_path = pg_catalog
  as $$
declare
  cmd record;
begin
  for cmd in select * from pg_event_trigger_ddl_commands() loop
    if cmd.command_tag = 'CREATE TABLE' and cmd.schema_name = any (jim_cache.exposed_schemas()) then
      perform jim_cache.attach(cmd.objid::regclass);
    end if;
  end loop;
  perform pg_notify('jim_data_changed', '*');
end
$$;
comment on function jim_cache.on_ddl() is 'Event trigger: attach the invalidation trigger to new exposed tables; notify that everything changed.';

drop event trigger if exists jim_cache_ddl;
create event trigger jim_cache_ddl on ddl_command_end
  when tag in ('CREATE TABLE', 'ALTER TABLE', 'DROP TABLE', 'CREATE VIEW', 'DROP VIEW',
               'CREATE FUNCTION', 'ALTER FUNCTION', 'DROP FUNCTION', 'COMMENT',
               'CREATE POLICY', 'ALTER POLICY', 'DROP POLICY', 'GRANT', 'REVOKE')
  execute function jim_cache.on_ddl();

select jim_cache.attach_all();

-- The proxy (as authenticator) asks which tables are tracked; nothing else is granted.
grant usage on schema jim_cache to authenticator;
grant execute on function jim_cache.tracked_tables() to authenticator;
