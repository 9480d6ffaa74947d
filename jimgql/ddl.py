"""The SQL objects of schema ``graphql`` (created and replaced by ``install.py``).

Public interface (pg_graphql's): ``graphql.resolve``, ``graphql.comment_directive``,
``graphql.encode``/``graphql.decode``, ``graphql.get_schema_version`` and the
``graphql.seq_schema_version`` sequence bumped by the DDL event triggers. jim's addition:
``graphql.operation_tables`` (tables an operation reads and writes). Everything prefixed
with ``_`` is internal.
"""

from __future__ import annotations

from jimgql.boot import BOOT_SOURCE, COMPILE_SOURCE
from jimgql.reflect import CATALOG_SQL

TAG = "$jimgql$"

SCHEMA = """
create schema if not exists graphql;
comment on schema graphql is 'The GraphQL engine (jimgql, pg_graphql-compatible). Call graphql.resolve(query, variables, "operationName", extensions).';
create table if not exists graphql._module (
    name text primary key,
    is_package boolean not null,
    source text not null,
    code bytea,
    magic bytea
);
create table if not exists graphql._engine (
    singleton boolean primary key default true check (singleton),
    version text not null,
    hash text not null,
    installed_at timestamptz not null default now()
);
create sequence if not exists graphql.seq_schema_version as bigint;
create table if not exists graphql._schema_version (version bigint primary key);
revoke all on graphql._module from public;
-- Read on every request (cache keys): version numbers and the code hash, nothing secret.
grant select on graphql._engine, graphql._schema_version to public;
grant usage on schema graphql to public;
"""


def functions() -> str:
    boot = f"""
create or replace function graphql._boot(reload boolean default false) returns boolean
language plpython3u as {TAG}{BOOT_SOURCE}{TAG};
comment on function graphql._boot(boolean) is 'Installs the import hook that serves the engine''s modules from graphql._module (once per session).';

create or replace function graphql._compile_modules() returns integer
language plpython3u as {TAG}{COMPILE_SOURCE}{TAG};
"""
    return boot + f"""
drop function if exists graphql._load_modules(bytea);
create or replace function graphql._load_modules(magic bytea, package text)
returns table (name text, is_package boolean, code bytea, source text)
language sql stable security definer set search_path = pg_catalog
as {TAG}
    select m.name, m.is_package,
           case when m.magic = $1 then m.code end,
           case when m.magic is distinct from $1 then m.source end
    from graphql._module m
    where m.name = $2 or m.name like $2 || '.%'
{TAG};

create or replace function graphql._engine_hash() returns text
language sql stable security definer set search_path = pg_catalog
as {TAG} select hash from graphql._engine {TAG};

create or replace function graphql.get_schema_version() returns bigint
language sql stable security definer set search_path = pg_catalog
as {TAG} select coalesce(max(version), 0) from graphql._schema_version {TAG};
comment on function graphql.get_schema_version() is 'Bumped by every DDL statement (event triggers); cached schemas and plans are keyed by it.';

create or replace function graphql._bump_schema_version() returns event_trigger
language plpgsql security definer set search_path = pg_catalog
as {TAG}
begin
    -- A read-only transaction can still create temporary objects; those are never exposed
    -- (pg_temp is not reflected) and it could not record a version anyway.
    if current_setting('transaction_read_only') = 'on' then
        return;
    end if;
    insert into graphql._schema_version (version) values (nextval('graphql.seq_schema_version'));
    -- Every request reads the set of versions (the cache key): keep it at a row or two.
    -- Older versions this statement sees are deleted, skipping rows another DDL transaction
    -- is deleting right now (so DDL never waits on DDL here). Under REPEATABLE READ or
    -- SERIALIZABLE, locking a row deleted since the snapshot is an error, so those
    -- transactions drop only their own earlier rows. Rolled back, the deletions come back.
    if current_setting('transaction_isolation') = 'read committed' then
        delete from graphql._schema_version where version in (
            select version from graphql._schema_version
             where version < currval('graphql.seq_schema_version')
               for update skip locked);
    else
        delete from graphql._schema_version
         where version < currval('graphql.seq_schema_version')
           and xmin = pg_catalog.pg_current_xact_id()::xid;
    end if;
end
{TAG};

create or replace function graphql._catalog() returns text
language sql stable set jit = off
as {TAG}{CATALOG_SQL}{TAG};
comment on function graphql._catalog() is 'Reflection, evaluated with the caller''s privileges (security invoker).';

create or replace function graphql._b64(value jsonb) returns text
language sql immutable parallel safe
as {TAG} select translate(encode(convert_to(value::text, 'utf8'), 'base64'), E'\\n', '') {TAG};

create or replace function graphql.encode(value jsonb) returns text
language sql immutable parallel safe
as {TAG} select graphql._b64(value) {TAG};

create or replace function graphql.decode(value text) returns jsonb
language sql immutable parallel safe
as {TAG} select convert_from(decode(value, 'base64'), 'utf8')::jsonb {TAG};

create or replace function graphql._raise(message text) returns jsonb
language plpgsql volatile
as {TAG} begin raise exception using message = message; end {TAG};

create or replace function graphql._agg_num(value numeric) returns jsonb
language sql immutable parallel safe
as {TAG}
    select case
        when value is null then null
        when value::text !~ '[.eE]' then to_jsonb(value)
        when (value::float8)::text ~ '^-?[0-9]+$' then ((value::float8)::text || '.0')::jsonb
        else ((value::float8)::text)::jsonb
    end
{TAG};

create or replace function graphql.comment_directive(comment_ text) returns jsonb
language sql immutable parallel safe
as {TAG}
    select (regexp_match(comment_, '@graphql\\((.*)\\)', 's'))[1]::jsonb
{TAG};
comment on function graphql.comment_directive(text) is 'The JSON of a @graphql({{...}}) comment directive, or null.';

create or replace function graphql.resolve(
    query text,
    variables jsonb default '{{}}',
    "operationName" text default null,
    extensions jsonb default null
) returns jsonb
language plpython3u volatile
as {TAG}
host = GD.get("jimgql_host")
if host is None:
    plpy.execute("select graphql._boot()")
    host = GD["jimgql_host"]
return host.resolve(plpy, GD, query, variables, operationName, extensions)
{TAG};
comment on function graphql.resolve(text, jsonb, text, jsonb) is 'Execute a GraphQL request as the calling role (pg_graphql-compatible).';

create or replace function graphql.operation_tables(
    query text,
    variables jsonb default '{{}}',
    "operationName" text default null
) returns jsonb
language plpython3u volatile
as {TAG}
host = GD.get("jimgql_host")
if host is None:
    plpy.execute("select graphql._boot()")
    host = GD["jimgql_host"]
return host.operation_tables(plpy, GD, query, variables, operationName)
{TAG};
comment on function graphql.operation_tables(text, jsonb, text) is 'The tables (regclass text) a GraphQL operation reads and writes: {{"kind", "reads", "writes"}}.';

revoke all on function graphql._compile_modules() from public;
"""


EVENT_TRIGGERS = """
do $events$
begin
    if not exists (select 1 from pg_event_trigger where evtname = 'graphql_watch_ddl') then
        create event trigger graphql_watch_ddl on ddl_command_end
            execute function graphql._bump_schema_version();
    end if;
    if not exists (select 1 from pg_event_trigger where evtname = 'graphql_watch_drop') then
        create event trigger graphql_watch_drop on sql_drop
            execute function graphql._bump_schema_version();
    end if;
end
$events$;
"""
