-- The engine's golden-test fixture (database jim_engine_test; loaded once per session).
-- It mirrors the shapes pg_graphql's documentation and regression tests use: an account /
-- blog / blog_post graph with an enum, a uuid key, a view with a declared key, functions,
-- computed fields and roles with partial privileges. Each golden case runs inside a
-- transaction that is rolled back, and may add its own DDL there.

drop schema if exists public cascade;
create schema public;
grant usage on schema public to public;
comment on schema public is e'@graphql({"inflect_names": true, "introspection": true})';

drop schema if exists other cascade;
create schema other;
comment on schema other is e'@graphql({"inflect_names": true})';

create table public.account (
    id serial primary key,
    email varchar(255) not null,
    priority int,
    status text default 'active',
    created_at timestamp not null default '2025-01-01 10:00:00'
);
comment on table public.account is e'@graphql({"totalCount": {"enabled": true}, "aggregate": {"enabled": true}})';

create table public.blog (
    id serial primary key,
    owner_id integer not null references public.account (id) on delete cascade,
    name varchar(255) not null,
    description varchar(255),
    created_at timestamp not null default '2025-01-02 10:00:00'
);
comment on table public.blog is e'@graphql({"totalCount": {"enabled": true}, "aggregate": {"enabled": true}, "foreign_keys": [{"local_name": "ownedBlogs", "local_columns": ["owner_id"], "foreign_name": "personOwner", "foreign_schema": "public", "foreign_table": "person", "foreign_columns": ["id"]}]})';

create type public.blog_post_status as enum ('PENDING', 'RELEASED', 'in_review');
comment on type public.blog_post_status is e'@graphql({"mappings": {"in_review": "IN_REVIEW"}})';

create table public.blog_post (
    id uuid primary key default gen_random_uuid(),
    blog_id integer not null references public.blog (id) on delete cascade,
    title varchar(255) not null,
    body varchar(10000),
    tags text[],
    status public.blog_post_status not null default 'PENDING',
    rating numeric(4, 2),
    views bigint not null default 0,
    data jsonb,
    created_at timestamp not null default '2025-01-03 10:00:00'
);

insert into public.account (email, priority, created_at) values
    ('aardvark@x.com', 1, '2025-04-27 12:00:00'),
    ('bat@x.com', null, '2025-04-28 12:00:00'),
    ('cat@x.com', 3, '2025-04-29 12:00:00'),
    ('dog@x.com', 2, '2025-04-30 12:00:00'),
    ('elephant@x.com', null, '2025-05-01 12:00:00');

insert into public.blog (owner_id, name, description, created_at) values
    (1, 'A: Blog 1', 'a desc1', '2025-04-22 12:00:00'),
    (1, 'A: Blog 2', 'a desc2', '2025-04-23 12:00:00'),
    (1, 'A: Blog 3', null, '2025-04-24 12:00:00'),
    (2, 'B: Blog 3', 'b desc1', '2025-04-25 12:00:00');

insert into public.blog_post (id, blog_id, title, body, tags, status, rating, views, data, created_at) values
    ('00000000-0000-4000-8000-000000000001', 1, 'Post 1 in A Blog 1', 'body 1', '{tech,update}', 'RELEASED', 4.5, 100, '{"lang": "en"}', '2025-04-02 12:00:00'),
    ('00000000-0000-4000-8000-000000000002', 1, 'Post 2 in A Blog 1', 'body 2', '{announcement,tech}', 'PENDING', 3.25, 9007199254740993, null, '2025-04-07 12:00:00'),
    ('00000000-0000-4000-8000-000000000003', 2, 'Post 1 in A Blog 2', null, '{personal}', 'RELEASED', null, 5, '{"lang": "fr"}', '2025-04-12 12:00:00'),
    ('00000000-0000-4000-8000-000000000004', 4, 'Post 1 in B Blog 3', 'body 4', null, 'in_review', 1.00, 0, null, '2025-04-27 12:00:00');

-- A view with a declared key and a relationship declared by directive.
create view public.person as
    select id, email, priority from public.account;
comment on view public.person is e'@graphql({"primary_key_columns": ["id"]})';

-- Computed fields: a scalar, a to-one record and a connection.
create function public._display_name(rec public.account) returns text
    language sql stable as $$ select split_part(rec.email, '@', 1) $$;
create function public._latest_blog(rec public.account) returns public.blog
    language sql stable as $$ select * from public.blog b where b.owner_id = rec.id order by b.id desc limit 1 $$;
create function public._described_blogs(rec public.account) returns setof public.blog
    language sql stable as $$ select * from public.blog b where b.owner_id = rec.id and b.description is not null $$;

-- Functions on Query (stable/immutable) and Mutation (volatile).
create function public.add_nums(a int, b int default 10) returns int
    language sql immutable as $$ select a + b $$;
create function public.account_by_email(email_to_search text) returns public.account
    language sql stable as $$ select * from public.account where email = email_to_search $$;
create function public.accounts_by_priority(min_priority int) returns setof public.account
    language sql stable as $$ select * from public.account where priority >= min_priority $$;
create function public.newest_account() returns setof public.account
    language sql stable rows 1 as $$ select * from public.account order by id desc limit 1 $$;
create function public.echo_tags(tags text[]) returns text[]
    language sql immutable as $$ select tags $$;
create function public.post_status_label(status public.blog_post_status) returns text
    language sql immutable as $$ select status::text $$;
create function public.add_account(email text, priority int default null) returns public.account
    language sql volatile as $$ insert into public.account (email, priority) values (email, priority) returning * $$;
create function public.void_fn() returns void language sql as $$ select $$;
create function public.overloaded(a int) returns int language sql immutable as $$ select a $$;
create function public.overloaded(a text) returns text language sql immutable as $$ select a $$;

-- A schema on the search path of some cases only (introspection not enabled there).
create table other.secret (id serial primary key, token text not null);
insert into other.secret (token) values ('s1');
grant usage on schema other to public;
grant select on other.secret to public;

-- A role with partial privileges (roles are cluster-wide: created once, never dropped).
do $$
begin
    if not exists (select 1 from pg_roles where rolname = 'jimgql_reader') then
        create role jimgql_reader nologin;
    end if;
end
$$;
grant usage on schema graphql to jimgql_reader;
grant select (id, email) on public.account to jimgql_reader;
grant select on public.blog to jimgql_reader;
grant update (name) on public.blog to jimgql_reader;
revoke execute on function public.add_nums(int, int) from public;
