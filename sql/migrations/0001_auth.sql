-- Request context helpers. The proxy sets, in each request's transaction,
--   SET LOCAL ROLE <role>; select set_config('request.jwt.claims', <claims json>, true);
-- and SQL reads that context only through these functions. Each returns null (never an
-- error) when no claims are set, e.g. in psql or in the worker.
--
-- The roles themselves (authenticator, anon, authenticated, admin, worker) are cluster-wide
-- and are created by `jim db migrate` before any migration runs (jim/db/roles.py).

create schema auth;
comment on schema auth is 'Helpers that expose the current request''s identity (JWT claims) to SQL.';

create function auth.jwt() returns jsonb
  language sql stable parallel safe
  as $$ select nullif(current_setting('request.jwt.claims', true), '')::jsonb $$;
comment on function auth.jwt() is 'The verified claims of the current request''s access token, or null outside a request.';

create function auth.uid() returns uuid
  language sql stable parallel safe
  as $$
    select case
      when (auth.jwt() ->> 'sub') ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
        then (auth.jwt() ->> 'sub')::uuid
    end
  $$;
comment on function auth.uid() is 'The current user''s id (the token''s sub claim as uuid), or null.';

create function auth.role() returns text
  language sql stable parallel safe
  as $$ select auth.jwt() ->> 'role' $$;
comment on function auth.role() is 'The Postgres role the proxy chose for the request (the role claim), or null outside a request.';

create function auth.has_realm_role(role_name text) returns boolean
  language sql stable parallel safe
  as $$
    select case when auth.jwt() is not null
      then coalesce(auth.jwt() -> 'realm_access' -> 'roles' ? role_name, false)
    end
  $$;
comment on function auth.has_realm_role(text) is 'Whether the token carries this Keycloak realm role (realm_access.roles); null outside a request.';
